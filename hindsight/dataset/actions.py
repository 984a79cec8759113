"""A clip's action track as one float32 matrix: a row per frame, a named column per value.

The layout comes from the action map alone, in the map's order of actions, so every
clip translated with one map id@version gives the same columns:

- a button ``a`` gives ``a`` (1.0 while held at any time in the row, else 0.0) and
  ``a.n`` (the number of presses that began in the row, as a float: a tap shorter
  than a frame still counts, and so does a double tap);
- an ``axis1d`` gives ``a.x``; an ``axis2d`` gives ``a.x`` and ``a.y`` (the value at
  the end of the row, in [-1, 1], y up);
- a ``delta2d`` gives ``a.dx`` and ``a.dy`` (summed over the row).

A vector name is the track's column name without the ``act.`` prefix. Rows where the
track is not valid hold zeros, as in the track itself. :func:`resample_rows` turns
rows at one fps into rows at a lower one by each value's own rule. Pure functions
over arrays: no files, no media.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any

import numpy as np
import pyarrow as pa

from hindsight.actionmap.model import ActionKind, ActionMap
from hindsight.bundle import schema

__all__ = [
    "ActionLayout",
    "ValueRule",
    "action_layout",
    "action_matrix",
    "column_values",
    "resample_rows",
]


class ValueRule(Enum):
    """How the values of one column combine when several rows become one."""

    HELD = "held"  # any row held -> held
    COUNT = "count"  # presses add up
    LAST = "last"  # an axis keeps the value at the end
    SUM = "sum"  # deltas add up


@dataclass(frozen=True)
class ActionLayout:
    """The columns of the action matrix for one map: track columns, vector names, rules."""

    map_ref: str
    columns: tuple[str, ...]
    names: tuple[str, ...]
    rules: tuple[ValueRule, ...]

    def __post_init__(self) -> None:
        if not len(self.columns) == len(self.names) == len(self.rules):
            raise ValueError("an action layout needs one name and one rule per column")
        if len(set(self.names)) != len(self.names):
            raise ValueError(f"{self.map_ref}: two columns of the action vector share a name")

    @property
    def width(self) -> int:
        return len(self.columns)


def action_layout(amap: ActionMap) -> ActionLayout:
    """The action vector's layout for ``amap``: its actions in the map's order."""
    columns: list[str] = []
    rules: list[ValueRule] = []
    for action in amap.actions:
        if action.kind == ActionKind.BUTTON:
            held, presses = schema.button_columns(action.name)
            columns += [held, presses]
            rules += [ValueRule.HELD, ValueRule.COUNT]
        elif action.kind.is_axis:
            dims = 2 if action.kind == ActionKind.AXIS2D else 1
            axis = schema.axis_columns(action.name, dims)
            columns += axis
            rules += [ValueRule.LAST] * len(axis)
        else:
            columns += schema.delta_columns(action.name)
            rules += [ValueRule.SUM, ValueRule.SUM]
    names = tuple(c[len(schema.ACTION_PREFIX) :] for c in columns)
    return ActionLayout(amap.ref, tuple(columns), names, tuple(rules))


def action_matrix(track: Mapping[str, Any], layout: ActionLayout) -> np.ndarray:
    """``track``'s action columns as a ``(rows, layout.width)`` float32 matrix.

    ``track`` maps column names to 1-D arrays (a :class:`pyarrow.Table`'s columns as
    numpy arrays, or lists). A column the layout names but the track lacks is a
    :class:`KeyError` naming it: that clip was not translated with this map.
    """
    missing = [c for c in layout.columns if c not in track]
    if missing:
        raise KeyError(f"the action track has no column {missing[0]!r} of {layout.map_ref}")
    if not layout.columns:
        rows = len(next(iter(track.values()))) if track else 0
        return np.zeros((rows, 0), dtype=np.float32)
    parts = [np.asarray(track[c]).astype(np.float32, copy=False) for c in layout.columns]
    return np.stack(parts, axis=1)


def column_values(table: pa.Table, name: str) -> np.ndarray:
    """Column ``name`` of an Arrow table of numbers or booleans (no nulls) as a numpy array.

    Read straight from the Arrow buffers: ``pyarrow``'s own ``to_numpy`` imports pandas
    when it is installed, half a second in every worker process that reads a track.
    """
    column = table.column(name).combine_chunks()
    if column.null_count:
        raise ValueError(f"column {name!r} has missing values")
    data = column.buffers()[1]
    if data is None:
        return np.zeros(0, dtype=np.float32)
    if pa.types.is_boolean(column.type):
        bits = np.unpackbits(np.frombuffer(data, dtype=np.uint8), bitorder="little")
        return bits[column.offset : column.offset + len(column)].astype(bool)
    dtype = np.dtype(column.type.to_pandas_dtype())
    return np.frombuffer(
        data, dtype=dtype, count=len(column), offset=column.offset * dtype.itemsize
    )


def resample_rows(
    matrix: np.ndarray, valid: np.ndarray, layout: ActionLayout, src_fps: int, dst_fps: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Rows at ``src_fps`` as rows at ``dst_fps`` (at most ``src_fps``).

    Target row *j* covers [j/dst, (j+1)/dst); it gathers the source rows that begin
    in it, by each column's rule, and is valid only if they all are. Returns the new
    matrix, the new valid flags and, per target row, the source row whose frame is
    the latest at the target row's start (the frame to show with it).
    """
    if not 0 < dst_fps <= src_fps:
        raise ValueError(f"cannot resample {src_fps} fps to {dst_fps} fps (only down)")
    n = matrix.shape[0]
    if n == 0:
        return matrix[:0].astype(np.float32), np.zeros(0, dtype=bool), np.zeros(0, dtype=np.int64)
    group = (np.arange(n, dtype=np.int64) * dst_fps) // src_fps
    rows = int(group[-1]) + 1
    starts = np.searchsorted(group, np.arange(rows), side="left")
    ends = np.append(starts[1:], n)
    out = np.zeros((rows, layout.width), dtype=np.float32)
    for i, rule in enumerate(layout.rules):
        column = matrix[:, i].astype(np.float64)
        if rule is ValueRule.HELD:
            out[:, i] = np.maximum.reduceat(column, starts)
        elif rule is ValueRule.LAST:
            out[:, i] = column[ends - 1]
        else:
            out[:, i] = np.add.reduceat(column, starts)
    valid_out = np.logical_and.reduceat(np.asarray(valid, dtype=bool), starts)
    return out, valid_out, starts
