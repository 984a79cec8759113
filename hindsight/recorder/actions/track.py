"""The frame-aligned action track: ``actions.parquet``, ``events.parquet`` and ``actionmap.toml``.

Alignment rule (stated in every manifest): row *t* holds what the player did while
frame *t* was the latest frame, i.e. during [pts_t, pts_t+1) on the clock. Buttons:
``act.<a>`` held at any time in the interval, ``act.<a>.n`` press edges in it (so a
tap shorter than a frame survives). Axes: value at the end of the interval.
Deltas: summed over the interval. Rows outside a recorded context are invalid and
carry no actions.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from operator import attrgetter

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from hindsight.recorder.actions.events import PRESS, RELEASE, UNFOCUSED, ActionEvent, ContextEvent
from hindsight.actionmap.model import ActionMap
from hindsight.recorder.actions.timeline import ActionTimeline, TimelineCut
from hindsight.bundle import ClipSpan, Contribution

__all__ = ["ALIGNMENT_RULE", "LATENCY_BIAS_FRAMES", "ActionTrackContributor", "build_track", "warm_up"]

ALIGNMENT_RULE = (
    "row t holds what the player did while frame t was the latest frame, i.e. during [pts_t, pts_t+1)"
)
# Measured by tests/recorder/actions/test_alignment.py: the first frame showing a press's
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


def build_track(cut: TimelineCut, span: ClipSpan, amap: ActionMap) -> tuple[pa.Table, pa.Table, dict]:
    """The per-frame table, the event table and facts for the manifest."""
    n_rows = len(span.frame_t_ns)
    bounds = _boundaries(span)
    frame_index = np.arange(n_rows, dtype=np.int64)
    columns: dict[str, pa.Array] = {
        "frame_index": pa.array(frame_index),
        "timestamp": pa.array(frame_index / span.fps),
        "pts_us": pa.array((frame_index * 1_000_000) // span.fps),
    }
    contexts = [cut.initial.context] + [e for e in cut.events if isinstance(e, ContextEvent)]
    ctx_times = np.array([cut.start_ns - 1] + [c.t_ns for c in contexts[1:]], dtype=np.int64)
    ok = np.array([c.recorded and c.amap is amap for c in contexts], dtype=bool)
    start_idx = _last_before(ctx_times, bounds[:-1]).clip(0)
    end_idx = _last_before(ctx_times, bounds[1:]).clip(0)
    # Valid only if every context in force during the interval was a recorded one of this map.
    bad_before = np.concatenate([[0], np.cumsum(~ok)])
    valid = (bad_before[end_idx + 1] - bad_before[start_idx]) == 0
    names = np.array([c.context if c.amap is amap or c.context == UNFOCUSED else UNFOCUSED for c in contexts])
    columns["context"] = pa.array(names[end_idx]).dictionary_encode()
    columns["valid"] = pa.array(valid)
    columns["dup_frame"] = pa.array(np.asarray(span.dup_frames, dtype=bool))
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
        col = f"act.{action.name}"
        if action.kind == "button":
            is_press = np.fromiter((e.edge == PRESS for e in evs), dtype=bool, count=len(evs))
            is_edge = is_press | np.fromiter((e.edge == RELEASE for e in evs), dtype=bool, count=len(evs))
            presses = np.bincount(rows[inside & is_press], minlength=n_rows)[:n_rows]
            edge_times, edge_press = times[is_edge], is_press[is_edge]
            last = _last_before(edge_times, bounds[:-1])
            initial = cut.initial.held.get(action.name, False)
            held_start = np.where(last >= 0, edge_press[last.clip(0)] if len(edge_press) else initial, initial)
            held = (held_start | (presses > 0)) & valid
            columns[col] = pa.array(held)
            columns[f"{col}.n"] = pa.array(np.where(valid, presses, 0).astype(np.int32))
            continue
        xs = np.fromiter(map(_X, evs), dtype=np.float64, count=len(evs))
        ys = np.fromiter(map(_Y, evs), dtype=np.float64, count=len(evs))
        if action.kind in ("axis1d", "axis2d"):
            x0, y0 = cut.initial.values.get(action.name, (0.0, 0.0))
            idx = _last_before(times, bounds[1:])
            x_end = np.where(idx >= 0, xs[idx.clip(0)] if len(xs) else x0, x0)
            y_end = np.where(idx >= 0, ys[idx.clip(0)] if len(ys) else y0, y0)
            columns[f"{col}.x"] = pa.array(np.where(valid, x_end, 0).astype(np.float32))
            if action.kind == "axis2d":
                columns[f"{col}.y"] = pa.array(np.where(valid, y_end, 0).astype(np.float32))
        else:  # delta2d
            dx = np.bincount(rows[inside], weights=xs[inside], minlength=n_rows)[:n_rows]
            dy = np.bincount(rows[inside], weights=ys[inside], minlength=n_rows)[:n_rows]
            columns[f"{col}.dx"] = pa.array(np.where(valid, dx, 0).astype(np.float32))
            columns[f"{col}.dy"] = pa.array(np.where(valid, dy, 0).astype(np.float32))
    table = pa.table(columns)
    events = pa.table({
        "t_us": pa.array(np.fromiter(((e.t_ns - lo) // 1000 for e in kept), dtype=np.int64, count=len(kept))),
        "action": pa.array(list(map(_ACTION, kept)), type=pa.string()).dictionary_encode(),
        "edge": pa.array(list(map(_EDGE, kept)), type=pa.string()).dictionary_encode(),
        "x": pa.array(np.fromiter(map(_X, kept), dtype=np.float32, count=len(kept))),
        "y": pa.array(np.fromiter(map(_Y, kept), dtype=np.float32, count=len(kept))),
    })
    redacted = sorted({c.context for c in contexts if not c.recorded})
    facts = {
        "rows": n_rows,
        "valid_rows": int(valid.sum()),
        "redacted_frames": int((~valid).sum()),
        "contexts_redacted": redacted,
        "events": len(kept),
    }
    return table, events, facts


def warm_up() -> None:
    """Load the Parquet writer's codecs once, so the first save does not pay for it."""
    _parquet_bytes(pa.table({"x": pa.array([0.0])}))


def _parquet_bytes(table: pa.Table) -> bytes:
    sink = io.BytesIO()
    pq.write_table(table, sink, compression="zstd")
    return sink.getvalue()


class ActionTrackContributor:
    """Adds the action track to a bundle when a mapped game was in focus during the clip."""

    def __init__(self, timeline: ActionTimeline, base_map: Callable[[ActionMap], ActionMap] = lambda m: m,
                 share_events: bool = False) -> None:
        self._timeline = timeline
        self._base_map = base_map
        self._share_events = share_events

    def contribute(self, span: ClipSpan) -> Contribution:
        bounds = _boundaries(span)
        cut = self._timeline.cut(int(bounds[0]), int(bounds[-1]))
        amap = _clip_map(cut)
        if amap is None:
            # No known game had focus: a video-only clip; nothing is guessed.
            return Contribution(manifest={"privacy": {"raw_inputs_stored": False, "action_track": None}})
        table, events, facts = build_track(cut, span, amap)
        shipped = self._base_map(amap)
        files = {
            "actions.parquet": _parquet_bytes(table),
            "events.parquet": _parquet_bytes(events),
            "actionmap.toml": shipped.text.encode("utf-8"),
        }
        manifest = {
            "game": {"id": amap.id, "title": amap.title},
            "action_map": {
                "id": shipped.id, "version": shipped.version, "sha256": shipped.sha256,
                "file": "actionmap.toml", "local_override": amap.extends is not None,
            },
            "track": {
                "file": "actions.parquet", "rows": facts["rows"], "valid_rows": facts["valid_rows"],
                "alignment": ALIGNMENT_RULE, "clock": "monotonic",
                "latency_bias_frames": LATENCY_BIAS_FRAMES,
                "columns": table.column_names,
                "events_file": "events.parquet", "events": facts["events"],
                "events_shared": self._share_events,
            },
            "privacy": {
                "raw_inputs_stored": False,
                "redacted_frames": facts["redacted_frames"],
                "contexts_redacted": facts["contexts_redacted"],
                "contributor": None,
                "consent_version": None,
            },
        }
        return Contribution(files=files, manifest=manifest)


def _clip_map(cut: TimelineCut) -> ActionMap | None:
    """The game of the clip: the last matched map in force during it."""
    for event in reversed(cut.events):
        if type(event) is ContextEvent and event.amap is not None:
            return event.amap
    return cut.initial.context.amap


