"""Fan-out of translated action events to live subscribers (overlays), never blocking the
translator.

Each subscriber gets its own bounded queue. Publishing is a non-blocking put per
subscriber: when a queue is full the event is dropped for that subscriber and
counted, so one slow browser tab can never hold up the translator thread or the
other subscribers. A subscriber that sees its drop count grow resynchronises from
the timeline's state instead of trusting its stream.
"""

from __future__ import annotations

import queue
import threading
from typing import Any

__all__ = ["EventFanout", "Subscription", "DEFAULT_QUEUE_EVENTS"]

DEFAULT_QUEUE_EVENTS = 2048


class Subscription:
    """One subscriber's bounded queue of events, with a count of what it missed."""

    def __init__(self, max_events: int = DEFAULT_QUEUE_EVENTS) -> None:
        self._queue: queue.Queue[Any] = queue.Queue(max_events)
        self.dropped = 0
        self.closed = False

    def offer(self, event: Any) -> None:
        """Called on the translator thread: enqueue or drop, never wait."""
        try:
            self._queue.put_nowait(event)
        except queue.Full:
            self.dropped += 1

    def get(self, timeout_s: float) -> Any | None:
        """The next event, or None after ``timeout_s`` (or once closed and empty)."""
        try:
            return self._queue.get(timeout=timeout_s)
        except queue.Empty:
            return None

    def drain(self, limit: int = 4096) -> list[Any]:
        """Every event already queued (up to ``limit``), without waiting."""
        out = []
        for _ in range(limit):
            try:
                out.append(self._queue.get_nowait())
            except queue.Empty:
                break
        return out


class EventFanout:
    """Publishes each event to every current subscription; see the module docstring."""

    def __init__(self) -> None:
        self._subs: tuple[Subscription, ...] = ()
        self._lock = threading.Lock()

    def subscribe(self, max_events: int = DEFAULT_QUEUE_EVENTS) -> Subscription:
        sub = Subscription(max_events)
        with self._lock:
            self._subs = (*self._subs, sub)
        return sub

    def unsubscribe(self, sub: Subscription) -> None:
        sub.closed = True
        with self._lock:
            self._subs = tuple(s for s in self._subs if s is not sub)

    def publish(self, event: Any) -> None:
        # A tuple swapped under the lock is read without it: the hot path takes no lock
        # when nobody listens, and never one a subscriber could hold for long.
        for sub in self._subs:
            sub.offer(event)

    @property
    def subscribers(self) -> int:
        return len(self._subs)

    @property
    def dropped(self) -> int:
        return sum(s.dropped for s in self._subs)
