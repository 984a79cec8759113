"""Writing the frame-aligned action track: the per-frame table, the event table and the map used.

Column names, file names and the alignment rule come from :mod:`hindsight.bundle`:
row *t* holds what the player did while frame *t* was the latest frame, i.e. during
[pts_t, pts_t+1) on the clock. Buttons:
``act.<a>`` held at any time in the interval, ``act.<a>.n`` press edges in it (so a
tap shorter than a frame survives). Axes: value at the end of the interval.
Deltas: summed over the interval. Rows outside a recorded context are invalid and
carry no actions.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from operator import attrgetter

import numpy as np

from hindsight.actionmap.model import ActionKind, ActionMap
from hindsight.bundle import (
    ACTION_MAP_FILE,
    ACTIONS_FILE,
    EVENTS_FILE,
    ActionMapPin,
    ClipSpan,
    Contribution,
    GameInfo,
    Redaction,
    TrackFacts,
)
from hindsight.bundle import schema as col
from hindsight.bundle.parquet import ParquetColumns, write_parquet
from hindsight.recorder.actions.events import PRESS, RELEASE, UNFOCUSED, ActionEvent, ContextEvent
from hindsight.recorder.actions.timeline import ActionTimeline, TimelineCut

__all__ = ["LATENCY_BIAS_FRAMES", "ActionTrackContributor", "build_track"]

# Measured by tests/bench/bench_alignment.py: the first frame showing a press's
# effect is typically one row after the row holding the press (capture and render delay).
LATENCY_BIAS_FRAMES = 1


_T_NS, _X, _Y = attrgetter("t_ns"), attrgetter("x"), attrgetter("y")
_ACTION, _EDGE = attrgetter("action"), attrgetter("edge")


def _boundaries(span: ClipSpan) -> np.ndarray:
    t = np.asarray(span.frame_t_ns, dtype=np.int64)
    return np.append(t, t[-1] + 1_000_000_000 // span.fps)


def _last_before(times: np.ndarray, bounds: np.ndarray) -> np.ndarray:
    """Index of the last event strictly before each bound (-1: none)."""
    return np.searchsorted(times, bounds, side="left") - 1


@dataclass(frozen=True)
class _Counts:
    rows: int
    valid_rows: int
    redaction: Redaction
    events: int


def build_track(
    cut: TimelineCut, span: ClipSpan, amap: ActionMap
) -> tuple[dict[str, np.ndarray], ParquetColumns, _Counts]:
    """The per-frame table, the event table (columns by name) and what they hold, for the
    manifest."""
    n_rows = len(span.frame_t_ns)
    bounds = _boundaries(span)
    frame_index = np.arange(n_rows, dtype=np.int64)
    columns: dict[str, np.ndarray] = {
        col.FRAME_INDEX: frame_index,
        col.TIMESTAMP: frame_index / span.fps,
        col.PTS_US: (frame_index * 1_000_000) // span.fps,
    }
    contexts = [cut.initial.context] + [e for e in cut.events if isinstance(e, ContextEvent)]
    ctx_times = np.array([cut.start_ns - 1] + [c.t_ns for c in contexts[1:]], dtype=np.int64)
    ok = np.array([c.recorded and c.amap is amap for c in contexts], dtype=bool)
    start_idx = _last_before(ctx_times, bounds[:-1]).clip(0)
    end_idx = _last_before(ctx_times, bounds[1:]).clip(0)
    # Valid only if every context in force during the interval was a recorded one of this map.
    bad_before = np.concatenate([[0], np.cumsum(~ok)])
    valid = (bad_before[end_idx + 1] - bad_before[start_idx]) == 0
    names = np.array(
        [c.context if c.amap is amap or c.context == UNFOCUSED else UNFOCUSED for c in contexts]
    )
    columns[col.CONTEXT] = names[end_idx]
    columns[col.VALID] = valid
    columns[col.DUP_FRAME] = np.asarray(span.dup_frames, dtype=bool)
    # One pass over the events: per action, times/edges/values as arrays.
    by_action: dict[str, list[ActionEvent]] = {a.name: [] for a in amap.actions}
    kept: list[ActionEvent] = []
    lo, hi = int(bounds[0]), int(bounds[-1])
    for e in cut.events:
        if type(e) is ActionEvent:
            group = by_action.get(e.action)
            if group is not None:
                group.append(e)
            if lo <= e.t_ns < hi:
                kept.append(e)
    for action in amap.actions:
        evs = by_action[action.name]
        times = np.fromiter(map(_T_NS, evs), dtype=np.int64, count=len(evs))
        rows = np.searchsorted(bounds, times, side="right") - 1
        inside = (rows >= 0) & (rows < n_rows)
        if action.kind == ActionKind.BUTTON:
            held_col, presses_col = col.button_columns(action.name)
            is_press = np.fromiter((e.edge == PRESS for e in evs), dtype=bool, count=len(evs))
            is_edge = is_press | np.fromiter(
                (e.edge == RELEASE for e in evs), dtype=bool, count=len(evs)
            )
            presses = np.bincount(rows[inside & is_press], minlength=n_rows)[:n_rows]
            edge_times, edge_press = times[is_edge], is_press[is_edge]
            last = _last_before(edge_times, bounds[:-1])
            initial = cut.initial.held.get(action.name, False)
            held_start = np.where(
                last >= 0, edge_press[last.clip(0)] if len(edge_press) else initial, initial
            )
            held = (held_start | (presses > 0)) & valid
            columns[held_col] = held
            columns[presses_col] = np.where(valid, presses, 0).astype(np.int32)
            continue
        xs = np.fromiter(map(_X, evs), dtype=np.float64, count=len(evs))
        ys = np.fromiter(map(_Y, evs), dtype=np.float64, count=len(evs))
        if action.kind.is_axis:
            x0, y0 = cut.initial.values.get(action.name, (0.0, 0.0))
            idx = _last_before(times, bounds[1:])
            x_end = np.where(idx >= 0, xs[idx.clip(0)] if len(xs) else x0, x0)
            y_end = np.where(idx >= 0, ys[idx.clip(0)] if len(ys) else y0, y0)
            ends = (x_end, y_end)
            for name, end in zip(
                col.axis_columns(action.name, 2 if action.kind == ActionKind.AXIS2D else 1),
                ends,
                strict=False,
            ):
                columns[name] = np.where(valid, end, 0).astype(np.float32)
        else:  # delta2d
            dx = np.bincount(rows[inside], weights=xs[inside], minlength=n_rows)[:n_rows]
            dy = np.bincount(rows[inside], weights=ys[inside], minlength=n_rows)[:n_rows]
            dx_col, dy_col = col.delta_columns(action.name)
            columns[dx_col] = np.where(valid, dx, 0).astype(np.float32)
            columns[dy_col] = np.where(valid, dy, 0).astype(np.float32)
    events: ParquetColumns = {
        col.EVENT_T_US: np.fromiter(
            ((e.t_ns - lo) // 1000 for e in kept), dtype=np.int64, count=len(kept)
        ),
        col.EVENT_ACTION: list(map(_ACTION, kept)),
        col.EVENT_EDGE: list(map(_EDGE, kept)),
        col.EVENT_X: np.fromiter(map(_X, kept), dtype=np.float32, count=len(kept)),
        col.EVENT_Y: np.fromiter(map(_Y, kept), dtype=np.float32, count=len(kept)),
    }
    redacted = tuple(sorted({c.context for c in contexts if not c.recorded}))
    counts = _Counts(
        rows=n_rows,
        valid_rows=int(valid.sum()),
        events=len(kept),
        redaction=Redaction(frames=int((~valid).sum()), contexts=redacted),
    )
    return columns, events, counts


class ActionTrackContributor:
    """Adds the action track to a bundle when a mapped game was in focus during the clip."""

    def __init__(
        self,
        timeline: ActionTimeline,
        base_map: Callable[[ActionMap], ActionMap] = lambda m: m,
        share_events: bool = False,
    ) -> None:
        self._timeline = timeline
        self._base_map = base_map
        self._share_events = share_events

    def contribute(self, span: ClipSpan) -> Contribution:
        bounds = _boundaries(span)
        cut = self._timeline.cut(int(bounds[0]), int(bounds[-1]))
        amap = _clip_map(cut)
        if amap is None:
            # No known game had focus: a video-only clip; nothing is guessed.
            return Contribution()
        table, events, counts = build_track(cut, span, amap)
        shipped = self._base_map(amap)
        return Contribution(
            files={
                ACTIONS_FILE: write_parquet(table),
                EVENTS_FILE: write_parquet(events),
                ACTION_MAP_FILE: shipped.text.encode("utf-8"),
            },
            game=GameInfo(id=amap.id, title=amap.title),
            action_map=ActionMapPin(
                id=shipped.id,
                version=shipped.version,
                sha256=shipped.sha256,
                file=ACTION_MAP_FILE,
                local_override=amap.extends is not None,
            ),
            track=TrackFacts(
                file=ACTIONS_FILE,
                rows=counts.rows,
                valid_rows=counts.valid_rows,
                alignment=col.ALIGNMENT_RULE,
                clock="monotonic",
                latency_bias_frames=LATENCY_BIAS_FRAMES,
                columns=tuple(table),
                events_file=EVENTS_FILE,
                events=counts.events,
                events_shared=self._share_events,
            ),
            redaction=counts.redaction,
        )


def _clip_map(cut: TimelineCut) -> ActionMap | None:
    """The game of the clip: the last matched map in force during it."""
    for event in reversed(cut.events):
        if type(event) is ContextEvent and event.amap is not None:
            return event.amap
    return cut.initial.context.amap
