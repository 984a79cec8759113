"""The clip format's Parquet writer: what it writes, pyarrow and pandas read back exactly.

Random tables of every supported column type (empty ones, unicode, NaN and infinities,
the extreme integers) are written and read with ``pyarrow.parquet``; the values must
come back bit for bit, with the types and row count the file's metadata declares.
"""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from hindsight.bundle.parquet import write_parquet

ARROW_TYPES = {
    np.dtype(np.int32): pa.int32(),
    np.dtype(np.int64): pa.int64(),
    np.dtype(np.float32): pa.float32(),
    np.dtype(np.float64): pa.float64(),
    np.dtype(np.bool_): pa.bool_(),
}


def column(dtype: np.dtype | None, rows: int) -> st.SearchStrategy[np.ndarray | list[str]]:
    """Values of one column: a numpy array of ``dtype``, or strings when it is None."""
    if dtype is None:
        few = st.lists(st.text(max_size=12), min_size=1, max_size=4)
        return st.one_of(
            st.lists(st.text(max_size=40), min_size=rows, max_size=rows),
            # low cardinality, as the track's contexts and edges are
            few.flatmap(lambda v: st.lists(st.sampled_from(v), min_size=rows, max_size=rows)),
        )
    if dtype.kind == "f":  # every bit pattern: NaN (any payload), infinities, -0.0, subnormals
        bits = np.dtype(f"<u{dtype.itemsize}")
        return hnp.arrays(bits, rows).map(lambda a: a.view(dtype))
    return hnp.arrays(dtype, rows)  # ints include their extremes


@st.composite
def tables(draw: st.DrawFn) -> dict[str, np.ndarray | list[str]]:
    rows = draw(st.integers(0, 300))
    names = draw(st.lists(st.text(min_size=1, max_size=200), min_size=1, max_size=20, unique=True))
    kinds = st.sampled_from([*ARROW_TYPES, None])
    return {name: draw(column(draw(kinds), rows)) for name in names}


def assert_reads_back(data: bytes, table: dict[str, np.ndarray | list[str]]) -> None:
    rows = len(next(iter(table.values())))
    meta = pq.ParquetFile(io.BytesIO(data)).metadata
    assert (meta.num_rows, meta.num_columns) == (rows, len(table))
    assert meta.created_by.startswith("hindsight ")
    read = pq.read_table(io.BytesIO(data))
    assert read.column_names == list(table)
    assert read.num_rows == rows
    for name, values in table.items():
        got = read.column(name)
        if isinstance(values, list):
            assert got.type == pa.string()
            assert got.to_pylist() == values
        else:
            assert got.type == ARROW_TYPES[values.dtype]
            back = got.to_numpy()
            assert back.dtype == values.dtype
            assert back.tobytes() == values.tobytes()  # bit for bit: NaN payloads, -0.0


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tables())
def test_pyarrow_reads_back_every_table_exactly(table) -> None:
    assert_reads_back(write_parquet(table), table)


def test_the_track_shapes_read_back() -> None:
    """Long lists (more than 14 columns), many rows and long strings: the encoder's wide cases."""
    rows = 100_000
    rng = np.random.default_rng(1)
    table: dict[str, np.ndarray | list[str]] = {
        f"act.{i}": rng.integers(-(2**31), 2**31 - 1, rows, dtype=np.int32) for i in range(30)
    }
    table["frame_index"] = np.arange(rows, dtype=np.int64) * (2**40)
    table["valid"] = rng.random(rows) < 0.5
    table["context"] = [("gameplay", "menu", "é" * 300)[i % 3] for i in range(rows)]
    table["x"] = rng.standard_normal(rows).astype(np.float32)
    assert_reads_back(write_parquet(table), table)


def test_an_empty_table_keeps_its_types() -> None:
    table: dict[str, np.ndarray | list[str]] = {
        "t": np.zeros(0, np.int64),
        "ok": np.zeros(0, bool),
        "s": [],
        "x": np.zeros(0, np.float32),
    }
    read = pq.read_table(io.BytesIO(write_parquet(table)))
    assert read.schema.types == [pa.int64(), pa.bool_(), pa.string(), pa.float32()]
    assert read.num_rows == 0


def test_pandas_reads_it() -> None:
    data = write_parquet(
        {
            "frame_index": np.arange(4, dtype=np.int64),
            "timestamp": np.arange(4) / 60,
            "context": np.array(["gameplay", "menu", "gameplay", "ünïcode"]),
            "valid": np.array([True, False, True, True]),
            "act.jump.n": np.array([0, 2, 1, 0], dtype=np.int32),
            "act.look.dx": np.array([0.5, -1.0, np.inf, np.nan], dtype=np.float32),
        }
    )
    frame = pd.read_parquet(io.BytesIO(data))
    expected = pd.DataFrame(
        {
            "frame_index": pd.Series([0, 1, 2, 3], dtype="int64"),
            "timestamp": [0, 1 / 60, 2 / 60, 3 / 60],
            "context": ["gameplay", "menu", "gameplay", "ünïcode"],
            "valid": [True, False, True, True],
            "act.jump.n": pd.Series([0, 2, 1, 0], dtype="int32"),
            "act.look.dx": pd.Series([0.5, -1.0, np.inf, np.nan], dtype="float32"),
        }
    )
    pd.testing.assert_frame_equal(frame, expected)


def test_what_it_cannot_write_is_refused() -> None:
    with pytest.raises(ValueError, match="different lengths"):
        write_parquet({"a": np.zeros(2, np.int64), "b": np.zeros(3, np.int64)})
    for dtype in (np.uint8, np.float16, np.int16, "datetime64[ns]"):
        with pytest.raises(TypeError, match="unsupported dtype"):
            write_parquet({"a": np.zeros(2, dtype)})
    with pytest.raises(TypeError, match="string column holds int"):
        write_parquet({"a": ["x", 1]})  # type: ignore[list-item]
