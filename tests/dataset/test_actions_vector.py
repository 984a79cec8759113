"""The action vector: a map's actions in order, a track's columns as float32, resampling rules."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hindsight.actionmap.model import ActionDef, ActionKind, ActionMap, ActionSet, MatchRule
from hindsight.bundle import schema
from hindsight.dataset.actions import (
    ValueRule,
    action_layout,
    action_matrix,
    column_values,
    resample_rows,
)

NAMES = st.from_regex(r"[a-z][a-z_]{0,7}", fullmatch=True)
KINDS = st.sampled_from(list(ActionKind))


@st.composite
def action_maps(draw) -> ActionMap:
    names = draw(st.lists(NAMES, min_size=1, max_size=6, unique=True))
    actions = tuple(ActionDef(n, draw(KINDS), n.title()) for n in names)
    return ActionMap(
        id="test.game",
        version="1.2.3",
        title="Test",
        match=MatchRule(),
        actions=actions,
        sets=(ActionSet("gameplay"),),
    )


def parts(action: ActionDef) -> list[str]:
    """The track columns of one action, spelled by the bundle's schema."""
    if action.kind == ActionKind.BUTTON:
        return list(schema.button_columns(action.name))
    if action.kind.is_axis:
        return list(schema.axis_columns(action.name, 2 if action.kind == ActionKind.AXIS2D else 1))
    return list(schema.delta_columns(action.name))


@given(action_maps())
def test_the_layout_is_the_maps_actions_in_order_named_without_the_prefix(amap) -> None:
    layout = action_layout(amap)
    expected = [c for a in amap.actions for c in parts(a)]
    assert list(layout.columns) == expected
    assert [schema.ACTION_PREFIX + n for n in layout.names] == expected
    assert layout.map_ref == "test.game@1.2.3"
    for column, rule in zip(layout.columns, layout.rules, strict=True):
        name = column[len(schema.ACTION_PREFIX) :].split(".")[0]
        kind = amap.action(name).kind
        if kind == ActionKind.BUTTON:
            presses = column == schema.button_columns(name)[1]
            assert rule == (ValueRule.COUNT if presses else ValueRule.HELD)
        else:
            assert rule == (ValueRule.LAST if kind.is_axis else ValueRule.SUM)


@st.composite
def tracks(draw):
    amap = draw(action_maps())
    layout = action_layout(amap)
    rows = draw(st.integers(0, 40))
    track: dict[str, object] = {
        schema.VALID: np.array(draw(st.lists(st.booleans(), min_size=rows, max_size=rows)))
    }
    for column, rule in zip(layout.columns, layout.rules, strict=True):
        if rule is ValueRule.HELD:
            values = st.lists(st.booleans(), min_size=rows, max_size=rows)
            track[column] = np.array(draw(values), dtype=bool)
        elif rule is ValueRule.COUNT:
            values = st.lists(st.integers(0, 5), min_size=rows, max_size=rows)
            track[column] = np.array(draw(values), dtype=np.int32)
        else:
            floats = st.floats(-1000, 1000, width=32)
            track[column] = np.array(
                draw(st.lists(floats, min_size=rows, max_size=rows)), dtype=np.float32
            )
    return layout, track, rows


@given(tracks())
def test_the_matrix_holds_each_column_as_float32_in_layout_order(case) -> None:
    layout, track, rows = case
    matrix = action_matrix(track, layout)
    assert matrix.dtype == np.float32 and matrix.shape == (rows, layout.width)
    for i, column in enumerate(layout.columns):
        np.testing.assert_array_equal(matrix[:, i], np.asarray(track[column], dtype=np.float32))


def test_a_track_without_a_column_of_the_map_is_named() -> None:
    amap = ActionMap("t.g", "1.0.0", "T", MatchRule(), (ActionDef("jump", "button", "Jump"),), ())
    with pytest.raises(KeyError, match="act.jump.n"):
        action_matrix({"act.jump": [True]}, action_layout(amap))


@settings(max_examples=60)
@given(tracks(), st.sampled_from([(30, 15), (60, 30), (60, 20), (30, 30), (60, 25)]))
def test_resampling_keeps_presses_and_deltas_holds_and_last_values(case, rates) -> None:
    layout, track, rows = case
    src, dst = rates
    matrix = action_matrix(track, layout)
    valid = np.asarray(track[schema.VALID], dtype=bool)
    out, out_valid, firsts = resample_rows(matrix, valid, layout, src, dst)
    groups = [[k for k in range(rows) if k * dst // src == j] for j in range(len(out))]
    assert sum(len(g) for g in groups) == rows and all(groups)
    assert firsts.tolist() == [g[0] for g in groups]
    for j, group in enumerate(groups):
        assert out_valid[j] == valid[group].all()
        for i, rule in enumerate(layout.rules):
            values = matrix[group, i].astype(np.float64)
            want = {
                ValueRule.HELD: values.max(),
                ValueRule.COUNT: values.sum(),
                ValueRule.SUM: values.sum(),
                ValueRule.LAST: values[-1],
            }[rule]
            assert out[j, i] == pytest.approx(want, rel=1e-5, abs=1e-3)


def test_resampling_up_is_refused() -> None:
    amap = ActionMap("t.g", "1.0.0", "T", MatchRule(), (ActionDef("jump", "button", "Jump"),), ())
    layout = action_layout(amap)
    with pytest.raises(ValueError, match="only down"):
        resample_rows(np.zeros((4, 2), np.float32), np.ones(4, bool), layout, 30, 60)


@st.composite
def arrow_columns(draw):
    kind = draw(st.sampled_from(["bool", "int32", "int64", "float32", "float64"]))
    values = {
        "bool": st.booleans(),
        "int32": st.integers(-(2**31), 2**31 - 1),
        "int64": st.integers(-(2**63), 2**63 - 1),
        "float32": st.floats(width=32, allow_nan=False),
        "float64": st.floats(allow_nan=False),
    }[kind]
    chunks = draw(st.lists(st.lists(values, max_size=20), min_size=1, max_size=4))
    start = draw(st.integers(0, 5))
    column = pa.chunked_array([pa.array(c, type=pa.type_for_alias(kind)) for c in chunks])
    table = pa.table({"c": column}).slice(start)
    return table, [v for c in chunks for v in c][start:]


@given(arrow_columns())
def test_column_values_reads_arrow_buffers_as_pyarrow_does(case) -> None:
    table, expected = case
    values = column_values(table, "c")
    assert len(values) == len(expected)
    assert values.tolist() == pytest.approx(expected) if expected else values.size == 0
