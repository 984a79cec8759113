"""The files of a LeRobot v3.0 dataset besides the video: frames, episodes, tasks, info, stats.

Spelled as lerobot 0.4's loader reads them: ``data/chunk-XXX/file-XXX.parquet`` (one
row per frame: the features, then ``timestamp``, ``frame_index``, ``episode_index``,
``index``, ``task_index``), ``meta/episodes/chunk-XXX/file-XXX.parquet`` (one row per
episode: where its rows and its video are, its stats as ``stats/<feature>/<stat>``),
``meta/tasks.parquet`` (task strings as the pandas index, ``task_index``),
``meta/info.json`` and ``meta/stats.json`` (min, max, mean, std, count and the
quantiles q01..q99 per feature, aggregated over episodes as lerobot does).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

__all__ = [
    "CODEBASE_VERSION",
    "CHUNK_FILE",
    "DATA_PATH",
    "VIDEO_PATH",
    "EPISODES_PATH",
    "chunk_and_file",
    "feature_stats",
    "aggregate_stats",
    "write_frames",
    "write_episodes",
    "write_tasks",
    "write_json",
]

CODEBASE_VERSION = "v3.0"
CHUNKS_SIZE = 1000  # files per chunk folder, as lerobot's default
CHUNK_FILE = "chunk-{chunk_index:03d}/file-{file_index:03d}"
DATA_PATH = "data/" + CHUNK_FILE + ".parquet"
VIDEO_PATH = "videos/{video_key}/" + CHUNK_FILE + ".mp4"
EPISODES_PATH = "meta/episodes/" + CHUNK_FILE + ".parquet"
TASKS_PATH = "meta/tasks.parquet"
QUANTILES = (0.01, 0.10, 0.50, 0.90, 0.99)


def chunk_and_file(number: int) -> tuple[int, int]:
    """The (chunk_index, file_index) of the ``number``-th file of one kind."""
    return divmod(number, CHUNKS_SIZE)


def feature_stats(values: np.ndarray, axes: tuple[int, ...] = (0,)) -> dict[str, np.ndarray]:
    """lerobot's statistics of ``values`` reduced over ``axes`` (kept as size-1 for pictures)."""
    data = values.astype(np.float64)
    keep = axes != (0,)
    stats = {
        "min": data.min(axis=axes, keepdims=keep),
        "max": data.max(axis=axes, keepdims=keep),
        "mean": data.mean(axis=axes, keepdims=keep),
        "std": data.std(axis=axes, keepdims=keep),
    }
    quantiles = np.quantile(data, QUANTILES, axis=axes, keepdims=keep)  # one sort for all
    for q, at_q in zip(QUANTILES, quantiles, strict=True):
        stats[f"q{int(q * 100):02d}"] = at_q
    if keep:  # a picture's (1, 3, 1, 1) -> (3, 1, 1)
        stats = {k: v[0] for k, v in stats.items()}
    count = values.shape[0]
    return {"count": np.array([count]), **stats}


def aggregate_stats(per_episode: Sequence[Mapping[str, np.ndarray]]) -> dict[str, np.ndarray]:
    """One feature's stats over episodes: exact min/max/mean/std, count-weighted quantiles."""
    counts = np.array([s["count"][0] for s in per_episode], dtype=np.float64)
    total = counts.sum()
    shape = (-1,) + (1,) * (per_episode[0]["mean"].ndim)
    w = counts.reshape(shape)
    means = np.stack([s["mean"] for s in per_episode])
    mean = (means * w).sum(axis=0) / total
    var = ((np.stack([s["std"] for s in per_episode]) ** 2 + (means - mean) ** 2) * w).sum(
        axis=0
    ) / total
    out = {
        "min": np.stack([s["min"] for s in per_episode]).min(axis=0),
        "max": np.stack([s["max"] for s in per_episode]).max(axis=0),
        "mean": mean,
        "std": np.sqrt(var),
        "count": np.array([int(total)]),
    }
    for key in per_episode[0]:
        if key.startswith("q"):
            out[key] = (np.stack([s[key] for s in per_episode]) * w).sum(axis=0) / total
    return out


def _to_json(stats: Mapping[str, Mapping[str, np.ndarray]]) -> dict[str, Any]:
    return {f: {k: np.asarray(v).tolist() for k, v in s.items()} for f, s in stats.items()}


def write_json(data: Mapping[str, Any], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(_to_json_ready(data), indent=4) + "\n")


def _to_json_ready(data: Any) -> Any:
    if isinstance(data, Mapping):
        return {k: _to_json_ready(v) for k, v in data.items()}
    if isinstance(data, (list, tuple)):
        return [_to_json_ready(v) for v in data]
    if isinstance(data, np.ndarray):
        return data.tolist()
    if isinstance(data, np.generic):
        return data.item()
    return data


def write_frames(path: Path, columns: Mapping[str, np.ndarray], action_width: int) -> None:
    """One data file: ``action`` as a fixed-size float32 list, the rest as plain columns."""
    arrays: dict[str, pa.Array] = {}
    for name, values in columns.items():
        if values.ndim == 2:
            flat = pa.array(values.reshape(-1), type=pa.float32())
            arrays[name] = pa.FixedSizeListArray.from_arrays(flat, action_width)
        else:
            arrays[name] = pa.array(values)
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.table(arrays), path, compression="snappy")


def write_episodes(
    root: Path, rows: Sequence[Mapping[str, Any]], stats: Sequence[Mapping[str, Any]]
) -> None:
    """``meta/episodes``: one file; each row with its stats flattened as ``stats/<f>/<s>``."""
    table: dict[str, list[Any]] = {}
    for row, episode_stats in zip(rows, stats, strict=True):
        flat = dict(row)
        flat["meta/episodes/chunk_index"], flat["meta/episodes/file_index"] = 0, 0
        for feature, s in _to_json(episode_stats).items():
            for key, value in s.items():
                flat[f"stats/{feature}/{key}"] = value
        for key, value in flat.items():
            table.setdefault(key, []).append(value)
    path = root / EPISODES_PATH.format(chunk_index=0, file_index=0)
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.table(table), path, compression="snappy")


def write_tasks(root: Path, tasks: Sequence[str]) -> None:
    """``meta/tasks.parquet`` as pandas writes a frame indexed by the task strings."""
    index = "__index_level_0__"
    pandas_meta = {
        "index_columns": [index],
        "column_indexes": [],
        "columns": [
            {"name": "task_index", "field_name": "task_index", "pandas_type": "int64",
             "numpy_type": "int64", "metadata": None},
            {"name": None, "field_name": index, "pandas_type": "unicode",
             "numpy_type": "object", "metadata": None},
        ],
        "pandas_version": "2.0.0",
    }  # fmt: skip
    schema = pa.schema(
        [("task_index", pa.int64()), (index, pa.string())],
        metadata={b"pandas": json.dumps(pandas_meta).encode()},
    )
    table = pa.table({"task_index": list(range(len(tasks))), index: list(tasks)}, schema=schema)
    path = root / TASKS_PATH
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, path)
