"""What happened in a running recorder, numbered, for clients that ask later (the desktop app).

The control channel carries one request and one reply per connection, so a client does
not hold a stream open: it asks for the events after the last number it saw (``{"cmd":
"events", "after": N}``) a few times a second, optionally waiting up to ``wait_ms`` for
one to happen (a long poll: news arrives at once, idle costs nothing). Numbers only
grow, so a client that was away (restarted, busy) gets what it missed; the log keeps the
last :data:`KEEP_EVENTS` and says how many a slow client lost, never blocking the
recorder for it. Events are past tense and carry nothing a person typed: a clip's
folder, a one-line reason, a state name.
"""

from __future__ import annotations

import itertools
import threading
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from hindsight.clock import now_ns

__all__ = ["KEEP_EVENTS", "EVENT_KINDS", "RecorderEvent", "EventLog", "EventPage"]

#: a client polling every 250 ms never falls this far behind; a stalled one loses the oldest
KEEP_EVENTS = 256

#: what a client can hear
EVENT_KINDS = ("save_started", "clip_saved", "save_failed", "state_changed")


@dataclass(frozen=True, slots=True)
class RecorderEvent:
    seq: int  # 1, 2, 3, ... over the recorder's run
    kind: str  # one of EVENT_KINDS
    t_ns: int  # on the one clock
    fields: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"seq": self.seq, "kind": self.kind, "t_ns": self.t_ns, **self.fields}


@dataclass(frozen=True, slots=True)
class EventPage:
    """The events after a number, the number to ask after next, and how many were lost."""

    events: list[RecorderEvent]
    last_seq: int
    missed: int

    def to_json(self) -> dict[str, Any]:
        return {
            "events": [event.to_json() for event in self.events],
            "last_seq": self.last_seq,
            "missed": self.missed,
        }


class EventLog:
    """A bounded, thread-safe, numbered log; :meth:`record` never blocks on a reader."""

    def __init__(self, keep: int = KEEP_EVENTS) -> None:
        if keep < 1:
            raise ValueError(f"keep {keep}: must be >= 1")
        self._events: deque[RecorderEvent] = deque(maxlen=keep)
        self._seq = itertools.count(1)
        self._last = 0
        self._lock = threading.Lock()
        self._grew = threading.Condition(self._lock)

    def record(self, kind: str, **fields: Any) -> RecorderEvent:
        if kind not in EVENT_KINDS:
            raise ValueError(f"unknown event kind {kind!r}")
        with self._lock:
            event = RecorderEvent(next(self._seq), kind, now_ns(), fields)
            self._events.append(event)
            self._last = event.seq
            self._grew.notify_all()
        return event

    def wait_after(self, after: int, timeout_s: float) -> None:
        """Return once there is news after ``after`` (or the log restarted below it), or after
        ``timeout_s``."""
        with self._grew:
            self._grew.wait_for(lambda: self._last != after, timeout_s)

    @property
    def last_seq(self) -> int:
        return self._last

    def since(self, after: int, limit: int = KEEP_EVENTS) -> EventPage:
        """Up to ``limit`` events numbered above ``after``, oldest first.

        ``missed`` counts events above ``after`` that the log no longer holds. A client
        that asks after a number the log has not reached (the recorder restarted) gets
        everything it holds.
        """
        with self._lock:
            events = list(self._events)
            last = self._last
        if after > last:
            after = 0
        kept = [event for event in events if event.seq > after]
        oldest = events[0].seq if events else last + 1
        missed = max(0, oldest - after - 1)
        page = kept[:limit]
        return EventPage(page, page[-1].seq if page else max(after, 0), missed)
