"""The action timeline: translated events kept beside the video ring, on the same clock.

Bounded by time like the ring (a little longer, so any clip the ring can serve
has its actions). Evicted events are folded into a base state, so a cut at any
retained time knows what was held, which axis values stood and which context
was in force when the clip began.
"""

from __future__ import annotations

import threading
from bisect import bisect_left
from collections import deque
from dataclasses import dataclass, field

from hindsight.clock import NS_PER_S
from hindsight.recorder.actions.events import (
    PRESS,
    RELEASE,
    UNFOCUSED,
    VALUE,
    ActionEvent,
    ContextEvent,
)

__all__ = ["ActionTimeline", "TimelineState", "TimelineCut"]

_MARGIN_S = 5


@dataclass
class TimelineState:
    """What stands at one instant: the context, held buttons and axis values."""

    context: ContextEvent = field(default_factory=lambda: ContextEvent(0, UNFOCUSED, False, None))
    held: dict[str, bool] = field(default_factory=dict)
    values: dict[str, tuple[float, float]] = field(default_factory=dict)

    def apply(self, event: ActionEvent | ContextEvent) -> None:
        if isinstance(event, ContextEvent):
            self.context = event
        elif event.edge == PRESS:
            self.held[event.action] = True
        elif event.edge == RELEASE:
            self.held[event.action] = False
        elif event.edge == VALUE:
            self.values[event.action] = (event.x, event.y)

    def copy(self) -> TimelineState:
        return TimelineState(self.context, dict(self.held), dict(self.values))


@dataclass(frozen=True)
class TimelineCut:
    """The state at ``start_ns`` and every event in ``[start_ns, end_ns)``."""

    start_ns: int
    end_ns: int
    initial: TimelineState
    events: tuple[ActionEvent | ContextEvent, ...]


class ActionTimeline:
    """Thread-safe, time-bounded store of action and context events."""

    def __init__(self, max_seconds: int) -> None:
        self._max_ns = (max_seconds + _MARGIN_S) * NS_PER_S
        self._events: deque[ActionEvent | ContextEvent] = deque()
        self._base = TimelineState()
        self._lock = threading.Lock()

    def append(self, event: ActionEvent | ContextEvent) -> None:
        with self._lock:
            if self._events and event.t_ns < self._events[-1].t_ns:
                # Sources stamp on the same clock but enqueue from different threads.
                event = _restamp(event, self._events[-1].t_ns)
            self._events.append(event)
            horizon = event.t_ns - self._max_ns
            while self._events and self._events[0].t_ns < horizon:
                self._base.apply(self._events.popleft())

    def __len__(self) -> int:
        return len(self._events)

    def clear(self) -> None:
        """Forget every event and the state they built (a paused recorder keeps nothing)."""
        with self._lock:
            self._events.clear()
            self._base = TimelineState()

    def cut(self, start_ns: int, end_ns: int) -> TimelineCut:
        with self._lock:
            events = list(self._events)
            state = self._base.copy()
        times = [e.t_ns for e in events]
        lo = bisect_left(times, start_ns)
        hi = bisect_left(times, end_ns)
        for event in events[:lo]:
            state.apply(event)
        return TimelineCut(start_ns, end_ns, state, tuple(events[lo:hi]))


def _restamp(event: ActionEvent | ContextEvent, t_ns: int) -> ActionEvent | ContextEvent:
    if isinstance(event, ContextEvent):
        return ContextEvent(t_ns, event.context, event.recorded, event.amap)
    return ActionEvent(t_ns, event.action, event.edge, event.x, event.y)
