"""The pieces every input backend shares: the raw event, the queue it goes into, the source ABC.

An input source hears the user's keyboard, mouse or controller and does exactly one
thing per event, on its own thread: stamp it with :func:`~hindsight.clock.now_ns`
and put a :class:`RawInput` (a physical input name and a value) into an
:class:`InputQueue`. Naming an event is a table lookup; translating it into actions,
logging and any I/O happen elsewhere (the translator reads the queue). A
:class:`RawInput` never leaves memory: it is not logged, stored or sent (DESIGN 4.2),
and its ``repr`` is redacted so that it cannot end up in a log line or a traceback.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import ClassVar

from hindsight.errors import HindsightError

__all__ = ["NO_SINK", "InputError", "InputQueue", "InputSource", "InputStats", "RawInput"]

log = logging.getLogger("hindsight.recorder.input")


class InputError(HindsightError):
    """An input source cannot start ("cannot start input source x11-mouse: ...")."""


@dataclass(frozen=True, slots=True, repr=False)
class RawInput:
    """One physical input event, between a source's callback and the translator.

    Lives only in memory: never logged, stored or sent, so its repr names nothing.
    """

    t_ns: int
    #: full input name: ``key:W``, ``mouse:left``, ``mouse:delta``, ``pad:south``,
    #: ``pad:left_stick``, ``pad:right_trigger``
    name: str
    #: button: 1.0 pressed / 0.0 released; trigger: 0..1; stick: x in [-1, 1];
    #: delta: dx (pixels or counts, right positive)
    x: float = 1.0
    #: stick: y in [-1, 1], up positive; delta: dy, up positive (screen y inverted)
    y: float = 0.0
    #: controller slot (0, 1, ...) for pads; 0 for keyboard and mouse
    device: int = 0

    def __repr__(self) -> str:
        return "RawInput(<redacted>)"

    __str__ = __repr__


@dataclass(slots=True)
class InputStats:
    """What a source has heard and dropped: counts only, never which input."""

    events: int = 0  # RawInputs put into the queue
    unnamed_dropped: int = 0  # key codes / buttons / axes without a name in our vocabulary
    repeats_dropped: int = 0  # key autorepeat: a press for a key already held
    warps_dropped: int = 0  # pointer warps not counted as motion (where a backend sees them)


_CLOSED = object()


class InputQueue:
    """The sink of every source: bounded, and ``put`` never blocks.

    When ``maxsize`` inputs are waiting, ``put`` drops the new one and counts it in
    ``dropped``; a warning (without naming the input) is logged at most once per
    ``warn_interval_s``. Several sources may put concurrently; the bound is checked
    without a lock, so it may be exceeded by a few items under contention. One
    consumer calls :meth:`get`. After :meth:`close`, ``put`` refuses everything and
    ``get`` returns what was queued before, then ``None``.
    """

    def __init__(self, maxsize: int = 4096, *, warn_interval_s: float = 10.0) -> None:
        if maxsize < 1:
            raise ValueError("maxsize must be at least 1")
        self.maxsize = maxsize
        self.warn_interval_s = warn_interval_s
        self.dropped = 0
        self._q: queue.SimpleQueue = queue.SimpleQueue()
        self._closed = False
        self._lock = threading.Lock()  # only for the drop path
        self._last_warn = float("-inf")

    def put(self, item: RawInput) -> bool:
        """Queue ``item``; False (and counted in ``dropped``) when full, False when closed."""
        if self._closed:
            return False
        if self._q.qsize() >= self.maxsize:
            self._drop()
            return False
        self._q.put(item)
        return True

    def _drop(self) -> None:
        with self._lock:
            self.dropped += 1
            now = time.monotonic()
            if now - self._last_warn < self.warn_interval_s:
                return
            self._last_warn = now
            dropped = self.dropped
        log.warning(
            "input queue full (%d waiting): %d input events dropped so far; the consumer is too "
            "slow",
            self.maxsize,
            dropped,
        )

    def get(self, timeout: float | None = None) -> RawInput | None:
        """The next input; None after ``timeout`` seconds without one, or once closed and
        drained."""
        try:
            item = self._q.get(timeout=timeout)
        except queue.Empty:
            return None
        if item is _CLOSED:
            self._q.put(_CLOSED)  # keep the marker for the next call (and other consumers)
            return None
        return item

    def close(self) -> None:
        """Refuse further inputs and wake a consumer blocked in :meth:`get`."""
        if not self._closed:
            self._closed = True
            self._q.put(_CLOSED)

    @property
    def closed(self) -> bool:
        return self._closed

    def __len__(self) -> int:
        """Inputs waiting (approximate while sources are putting)."""
        n = self._q.qsize()
        return n - 1 if self._closed and n else n

    def __repr__(self) -> str:
        closed = " closed" if self._closed else ""
        return f"<InputQueue {len(self)}/{self.maxsize} dropped={self.dropped}{closed}>"


#: where a source not started puts: closed, so nothing is kept
NO_SINK = InputQueue(1)
NO_SINK.close()


class InputSource(ABC):
    """One backend hearing one kind of device (keyboard, mouse or controllers).

    ``start`` begins listening on a thread of the source's own and returns once it
    listens (raising :class:`InputError` with the reason if it cannot); each event is
    then stamped and put into the sink, nothing more. ``stop`` ends the thread and is
    safe to call more than once and on a source that never started.
    """

    #: short backend name, shown in status lines and errors ("x11-keyboard", "sdl")
    name: ClassVar[str]
    #: whether the source hears the keyboard (then the save hotkey listens to its stream)
    hears_keyboard: ClassVar[bool] = False

    def __init__(self) -> None:
        self._stats = InputStats()

    @property
    def stats(self) -> InputStats:
        return self._stats

    @abstractmethod
    def start(self, sink: InputQueue) -> None: ...

    @abstractmethod
    def stop(self) -> None: ...

    def error(self, reason: str) -> InputError:
        """The one-line error for a source that cannot start."""
        return InputError(f"cannot start input source {self.name}: {reason}")

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name}>"
