"""What a clip's action track says about the play in it: contexts, presses, APM, idle spans.

Definitions (the index's columns use them):

- **presses** of a button: the sum of its ``act.<a>.n`` column (press edges), all rows.
  An axis (a stick, WASD as a composite) counts one press per *engagement*: a row whose
  direction, each component rounded to -1 / 0 / +1 at ``axis_threshold``, differs from
  the row before and is not neutral. So W then W+D counts two, as the keys would; a
  stick held still counts once. Deltas (mouse look) are continuous and count none.
- **APM**: the presses in rows of the gameplay context, per minute of those rows. None
  when the clip has no gameplay rows.
- **idle**: runs of at least ``idle_min_s`` of valid rows in which nothing is held,
  pressed, deflected past ``axis_threshold`` or moved; the idle fraction is the share
  of all rows inside such runs. Invalid rows (text entry, no focus) were not recorded,
  so they are never idle and break a run.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from hindsight.actionmap.model import ActionDef, ActionKind
from hindsight.bundle.schema import (
    CONTEXT,
    DUP_FRAME,
    VALID,
    axis_columns,
    button_columns,
    delta_columns,
)

__all__ = ["GAMEPLAY", "MENU", "CHAT", "TrackStats", "track_stats"]

# The context names every shipped map uses for play, menus and text chat.
GAMEPLAY = "gameplay"
MENU = "menu"
CHAT = "chat"


@dataclass(frozen=True)
class TrackStats:
    rows: int
    valid_rows: int
    dup_rows: int
    context_rows: dict[str, int]
    presses: dict[str, int]
    gameplay_presses: int
    idle_rows: int
    idle_spans: int


def track_stats(
    table: pa.Table,
    actions: Sequence[ActionDef],
    *,
    fps: int,
    axis_threshold: float,
    idle_min_s: float,
) -> TrackStats:
    """Count what :mod:`this module's <hindsight.dataset.index_track>` definitions name."""
    rows = table.num_rows
    valid = _bools(table, VALID, rows)
    contexts = table.column(CONTEXT).to_pylist() if CONTEXT in table.column_names else []
    context_rows: dict[str, int] = {}
    for name in contexts:
        key = name if name is not None else ""
        context_rows[key] = context_rows.get(key, 0) + 1
    gameplay = np.array([c == GAMEPLAY for c in contexts], dtype=bool)
    if len(gameplay) != rows:
        gameplay = np.zeros(rows, dtype=bool)

    presses: dict[str, int] = {}
    gameplay_presses = 0
    active = np.zeros(rows, dtype=bool)
    for action in actions:
        per_row, moving = _action_rows(table, action, rows, axis_threshold)
        active |= moving
        if per_row is not None:
            presses[action.name] = int(per_row.sum())
            gameplay_presses += int(per_row[gameplay].sum())
    idle_rows, idle_spans = _idle(valid & ~active, max(1, round(idle_min_s * fps)))
    return TrackStats(
        rows=rows,
        valid_rows=int(valid.sum()),
        dup_rows=int(_bools(table, DUP_FRAME, rows).sum()),
        context_rows=context_rows,
        presses=presses,
        gameplay_presses=gameplay_presses,
        idle_rows=idle_rows,
        idle_spans=idle_spans,
    )


def _bools(table: pa.Table, column: str, rows: int) -> np.ndarray:
    if column not in table.column_names:
        return np.zeros(rows, dtype=bool)
    return np.asarray(table.column(column).fill_null(False).to_numpy(), dtype=bool)


def _numbers(table: pa.Table, column: str, rows: int) -> np.ndarray:
    if column not in table.column_names:
        return np.zeros(rows, dtype=np.float64)
    return np.asarray(table.column(column).fill_null(0).to_numpy(), dtype=np.float64)


def _action_rows(
    table: pa.Table, action: ActionDef, rows: int, axis_threshold: float
) -> tuple[np.ndarray | None, np.ndarray]:
    """``(presses per row or None, rows where the action is in use)`` for one action."""
    if action.kind is ActionKind.BUTTON:
        held, count = button_columns(action.name)
        per_row = _numbers(table, count, rows)
        return per_row, _bools(table, held, rows) | (per_row > 0)
    if action.kind.is_axis:
        dims = 2 if action.kind is ActionKind.AXIS2D else 1
        values = [_numbers(table, c, rows) for c in axis_columns(action.name, dims)]
        direction = np.stack(
            [
                np.where(v >= axis_threshold, 1, np.where(v <= -axis_threshold, -1, 0))
                for v in values
            ]
        )
        engaged: np.ndarray = np.asarray(direction.any(axis=0), dtype=bool)
        previous = np.concatenate(
            [np.zeros((dims, 1), dtype=direction.dtype), direction[:, :-1]], axis=1
        )
        changed = (direction != previous).any(axis=0)
        return (engaged & changed).astype(np.float64), engaged
    dx, dy = (_numbers(table, c, rows) for c in delta_columns(action.name))
    return None, (dx != 0) | (dy != 0)


def _idle(quiet: np.ndarray, min_rows: int) -> tuple[int, int]:
    """Rows inside, and the number of, runs of ``quiet`` rows at least ``min_rows`` long."""
    idle_rows = spans = run = 0
    for q in quiet.tolist() + [False]:
        if q:
            run += 1
            continue
        if run >= min_rows:
            idle_rows += run
            spans += 1
        run = 0
    return idle_rows, spans
