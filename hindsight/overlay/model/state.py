"""The per-frame action state an overlay draws: what is lit, where the axes stand, APM and history.

Two builders make the same :class:`ActionFrame`: :class:`TrackStates` from a clip's
``actions.parquet`` (row *t* = frame *t*, precomputed with numpy for burn-in) and
:class:`LiveActionState` from live action events (the recorder's SSE stream).
A tap shorter than a frame stays visible: a press (``act.<a>.n`` > 0, or a press
event) lights its action for at least ``min_visible_ms``. APM counts mapped actions
(button presses, and each new direction of a movement axis) over a sliding window.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from hindsight.actionmap.model import ActionKind
from hindsight.bundle import schema
from hindsight.overlay.errors import OverlayError
from hindsight.overlay.model.layout import AXIS_LIGHT, ActionInfo

__all__ = [
    "ARROWS",
    "StateConfig",
    "HistoryEntry",
    "ActionFrame",
    "TrackStates",
    "LiveActionState",
    "direction_of",
]

ARROWS = ("", "\u2192", "\u2197", "\u2191", "\u2196", "\u2190", "\u2199", "\u2193", "\u2198")


@dataclass(frozen=True)
class StateConfig:
    """How states are derived: tap visibility, look smoothing, APM window, history length."""

    min_visible_ms: int = 100
    look_window_ms: int = 100
    apm_window_s: int = 10
    history_len: int = 6

    def __post_init__(self) -> None:
        if not 0 <= self.min_visible_ms <= 2000:
            raise OverlayError(f"min visible time {self.min_visible_ms} ms: must be 0..2000")
        if not 10 <= self.look_window_ms <= 2000:
            raise OverlayError(f"look window {self.look_window_ms} ms: must be 10..2000")
        if not 1 <= self.apm_window_s <= 600:
            raise OverlayError(f"APM window {self.apm_window_s} s: must be 1..600")
        if not 1 <= self.history_len <= 20:
            raise OverlayError(f"history length {self.history_len}: must be 1..20")


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    action: str
    direction: str  # an arrow for a movement axis, else ""
    duration_ms: int
    active: bool


@dataclass(frozen=True)
class ActionFrame:
    """Everything the templates draw for one instant."""

    context: str = "unfocused"
    valid: bool = False
    lit: frozenset[str] = frozenset()
    axes: Mapping[str, tuple[float, float]] = field(default_factory=dict)
    look: Mapping[str, tuple[float, float]] = field(default_factory=dict)  # delta units per second
    apm: int = 0
    history: tuple[HistoryEntry, ...] = ()


def direction_of(x: float, y: float) -> int:
    """0 when inside :data:`AXIS_LIGHT`, else the octant 1..8 (1 = right, counter-clockwise)."""
    if math.hypot(x, y) <= AXIS_LIGHT:
        return 0
    return 1 + round(math.atan2(y, x) / (math.pi / 4)) % 8


class TrackStates:
    """Per-frame states of a whole clip, from its action track's columns."""

    def __init__(
        self,
        columns: Mapping[str, np.ndarray],
        actions: Sequence[ActionInfo],
        fps: int,
        config: StateConfig = StateConfig(),
    ) -> None:
        n = len(columns[schema.FRAME_INDEX])
        self.n, self.fps, self.config = n, fps, config
        self._valid = np.asarray(columns.get(schema.VALID, np.ones(n, bool)), dtype=bool)
        self._context = np.asarray(
            columns.get(schema.CONTEXT, np.full(n, "gameplay")), dtype=object
        )

        def col(name: str, dtype: type) -> np.ndarray:
            return np.asarray(columns[name], dtype=dtype) if name in columns else np.zeros(n, dtype)

        self._buttons = [a.name for a in actions if a.kind == ActionKind.BUTTON]
        self._axes = [a for a in actions if a.kind in (ActionKind.AXIS1D, ActionKind.AXIS2D)]
        self._deltas = [a.name for a in actions if a.kind == ActionKind.DELTA2D]
        keep = max(1, math.ceil(config.min_visible_ms * fps / 1000))
        lit = np.zeros((n, len(self._buttons)), dtype=bool)
        counted = np.zeros(n, dtype=np.int64)  # mapped actions started in each frame (for APM)
        segments: list[tuple[int, int, int, str, str]] = []  # (start, order, end, action, arrow)
        for j, name in enumerate(self._buttons):
            held_col, presses_col = schema.button_columns(name)
            held = col(held_col, bool) & self._valid
            presses = np.where(self._valid, col(presses_col, np.int64), 0)
            recent = _recent(presses > 0, keep)
            lit[:, j] = held | recent
            counted += presses
            segments += _button_segments(name, held, presses)
        self._axis_values: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        for a in self._axes:
            x_col, y_col = schema.axis_columns(
                a.name, 2
            )  # a one-axis action has no y: read as zeros
            x = np.where(self._valid, col(x_col, np.float32), 0)
            y = np.where(self._valid, col(y_col, np.float32), 0)
            self._axis_values[a.name] = (x, y)
            dirs = np.array(
                [direction_of(float(u), float(v)) for u, v in zip(x, y, strict=True)], dtype=np.int8
            )
            for start, end, d in _runs(dirs):
                segments.append((start, 1, end, a.name, ARROWS[d]))
                counted[start] += 1
        self._lit = lit
        window = max(1, round(config.look_window_ms * fps / 1000))
        self._look = {}
        for name in self._deltas:
            dx_col, dy_col = schema.delta_columns(name)
            dx = np.where(self._valid, col(dx_col, np.float64), 0)
            dy = np.where(self._valid, col(dy_col, np.float64), 0)
            scale = fps / window
            self._look[name] = (_window_sum(dx, window) * scale, _window_sum(dy, window) * scale)
        apm_frames = config.apm_window_s * fps
        in_window = _window_sum(counted.astype(np.float64), apm_frames)
        elapsed = np.maximum(np.minimum(np.arange(1, n + 1), apm_frames), apm_frames / 2)
        self._apm = np.rint(in_window * 60 * fps / elapsed).astype(np.int64)
        segments.sort()
        self._segments = segments
        self._starts = [s[0] for s in segments]

    @classmethod
    def from_parquet(
        cls,
        path: Path,
        actions: Sequence[ActionInfo],
        fps: int,
        config: StateConfig = StateConfig(),
    ) -> TrackStates:
        import pyarrow.parquet as pq

        try:
            table = pq.read_table(path)
        except Exception as err:
            raise OverlayError(f"cannot read the action track {path}: {err}") from None
        columns = {
            name: table.column(name).to_numpy(zero_copy_only=False) for name in table.column_names
        }
        if schema.FRAME_INDEX not in columns:
            raise OverlayError(f"{path} is not an action track (no {schema.FRAME_INDEX} column)")
        return cls(columns, actions, fps, config)

    def __len__(self) -> int:
        return self.n

    def lit_matrix(self) -> tuple[list[str], np.ndarray]:
        """Button names and the [frame, button] lit matrix (what tests compare against)."""
        return list(self._buttons), self._lit

    def frame(self, i: int) -> ActionFrame:
        i = min(max(i, 0), self.n - 1)
        lit = frozenset(self._buttons[j] for j in np.flatnonzero(self._lit[i]))
        axes = {a: (float(x[i]), float(y[i])) for a, (x, y) in self._axis_values.items()}
        look = {a: (float(x[i]), float(y[i])) for a, (x, y) in self._look.items()}
        hi = bisect_right(self._starts, i)
        history = []
        for start, _, end, action, arrow in reversed(
            self._segments[max(0, hi - self.config.history_len) : hi]
        ):
            frames = min(end, i + 1) - start
            history.append(
                HistoryEntry(action, arrow, round(frames * 1000 / self.fps), end > i + 1)
            )
        return ActionFrame(
            str(self._context[i]),
            bool(self._valid[i]),
            lit,
            axes,
            look,
            int(self._apm[i]),
            tuple(history),
        )


def _recent(flags: np.ndarray, keep: int) -> np.ndarray:
    """True where ``flags`` was True in this or the ``keep - 1`` frames before."""
    c = np.concatenate([[0], np.cumsum(flags)])
    lo = np.maximum(np.arange(len(flags)) + 1 - keep, 0)
    return (c[1:] - c[lo]) > 0


def _window_sum(values: np.ndarray, window: int) -> np.ndarray:
    c = np.concatenate([[0.0], np.cumsum(values)])
    lo = np.maximum(np.arange(len(values)) + 1 - window, 0)
    return c[1:] - c[lo]


def _runs(codes: np.ndarray) -> list[tuple[int, int, int]]:
    """(start, end, code) of each run of a non-zero code."""
    out = []
    change = np.flatnonzero(np.diff(codes)) + 1
    bounds = np.concatenate([[0], change, [len(codes)]])
    for s, e in zip(bounds[:-1], bounds[1:], strict=True):
        if e > s and codes[s]:
            out.append((int(s), int(e), int(codes[s])))
    return out


def _button_segments(
    name: str, held: np.ndarray, presses: np.ndarray
) -> list[tuple[int, int, int, str, str]]:
    """One entry per press: from its frame while held continues without a new press; extra taps in a
    frame."""
    out = []
    n = len(held)
    starts = [int(t) for t in np.flatnonzero(presses > 0)]
    if n and held[0] and presses[0] == 0:
        starts.insert(0, 0)  # held since before the clip began
    stops = np.flatnonzero(~held)
    for k, t in enumerate(starts):
        nxt = starts[k + 1] if k + 1 < len(starts) else n
        after = stops[np.searchsorted(stops, t + 1) :]
        end = min(nxt, int(after[0]) if len(after) else n, n)
        end = max(end, t + 1)
        for _ in range(int(presses[t]) - 1):
            out.append((t, 0, t + 1, name, ""))  # several taps inside one frame
        out.append((t, 0, end, name, ""))
    return out


class LiveActionState:
    """Folds live action events into :class:`ActionFrame` s at any instant (times in ms, any
    clock)."""

    def __init__(self, actions: Sequence[ActionInfo], config: StateConfig = StateConfig()) -> None:
        self.config = config
        self.reset(actions)

    def reset(self, actions: Sequence[ActionInfo]) -> None:
        self._kinds = {a.name: a.kind for a in actions}
        self.context = "unfocused"
        self.recorded = False
        self._held: set[str] = set()
        self._last_press: dict[str, int] = {}
        self._axes: dict[str, tuple[float, float]] = {}
        self._dirs: dict[str, int] = {}
        self._deltas: deque[tuple[int, str, float, float]] = deque()
        self._counted: deque[int] = deque()
        # [action, arrow, start_ms, end_ms or None]
        self._history: deque[list] = deque(maxlen=self.config.history_len)

    def apply_state(self, state: Mapping, now_ms: int) -> None:
        """A ``state`` snapshot from the recorder: context, held buttons, axis values."""
        self.context, self.recorded = state.get("context", "unfocused"), bool(state.get("recorded"))
        self._held = {a for a in state.get("held", ()) if self._kinds.get(a) == ActionKind.BUTTON}
        self._axes = {
            a: (float(v[0]), float(v[1]))
            for a, v in state.get("values", {}).items()
            if a in self._kinds
        }
        for entry in self._history:
            if entry[3] is None:
                entry[3] = now_ms

    def apply(self, kind: str, data: Mapping, now_ms: int) -> None:
        """One SSE event (``action`` or ``context``) received at ``now_ms``."""
        if kind == "context":
            self.context, self.recorded = (
                data.get("context", "unfocused"),
                bool(data.get("recorded")),
            )
            return
        if kind != "action":
            return
        action, edge = str(data.get("action", "")), data.get("edge")
        akind = self._kinds.get(action)
        if akind == ActionKind.BUTTON:
            if edge == "press":
                self._held.add(action)
                self._last_press[action] = now_ms
                self._counted.append(now_ms)
                self._history.appendleft([action, "", now_ms, None])
            elif edge == "release":
                self._held.discard(action)
                for entry in self._history:
                    if entry[0] == action and entry[3] is None:
                        entry[3] = now_ms
        elif akind in (ActionKind.AXIS1D, ActionKind.AXIS2D):
            x, y = float(data.get("x", 0.0)), float(data.get("y", 0.0))
            self._axes[action] = (x, y)
            d = direction_of(x, y)
            if d != self._dirs.get(action, 0):
                self._dirs[action] = d
                for entry in self._history:
                    if entry[0] == action and entry[3] is None:
                        entry[3] = now_ms
                if d:
                    self._counted.append(now_ms)
                    self._history.appendleft([action, ARROWS[d], now_ms, None])
        elif akind == ActionKind.DELTA2D:
            self._deltas.append(
                (now_ms, action, float(data.get("x", 0.0)), float(data.get("y", 0.0)))
            )

    def frame(self, now_ms: int) -> ActionFrame:
        cfg = self.config
        while self._deltas and self._deltas[0][0] <= now_ms - cfg.look_window_ms:
            self._deltas.popleft()
        window_s = cfg.apm_window_s * 1000
        while self._counted and self._counted[0] <= now_ms - window_s:
            self._counted.popleft()
        look: dict[str, tuple[float, float]] = {
            a: (0.0, 0.0) for a, k in self._kinds.items() if k == ActionKind.DELTA2D
        }
        for _, action, dx, dy in self._deltas:
            x, y = look.get(action, (0.0, 0.0))
            look[action] = (x + dx, y + dy)
        scale = 1000 / cfg.look_window_ms
        look = {a: (x * scale, y * scale) for a, (x, y) in look.items()}
        lit = set(self._held)
        lit.update(a for a, t in self._last_press.items() if now_ms - t < cfg.min_visible_ms)
        history = tuple(
            HistoryEntry(
                a, arrow, max(0, (end if end is not None else now_ms) - start), end is None
            )
            for a, arrow, start, end in self._history
        )
        apm = round(len(self._counted) * 60 / cfg.apm_window_s)
        return ActionFrame(
            self.context, self.recorded, frozenset(lit), dict(self._axes), look, apm, history
        )
