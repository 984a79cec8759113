"""Which application has keyboard focus: the value, the callback and the tracker interface.

A :class:`FocusTracker` reports the :class:`ForegroundApp` whose window has the
keyboard focus, once when started and again on every change. ``None`` means
unknown or no focus; the recorder treats it as ``unfocused`` and drops all input
(DESIGN 4.2, rules 3 and 4: fail closed). A ForegroundApp carries process names
only, never a window title (rule 6): trackers never even read titles.
"""

from __future__ import annotations

import logging
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from hindsight.errors import HindsightError

__all__ = ["FocusChanged", "FocusError", "FocusTracker", "ForegroundApp", "unique_names"]

log = logging.getLogger(__name__)


class FocusError(HindsightError):
    """No way to tell which application has focus (no display, unknown tracker)."""


@dataclass(frozen=True)
class ForegroundApp:
    """The process owning the focused top-level window.

    ``names`` are what action maps match against: the executable's basename (from
    /proc/<pid>/exe, or the Windows image name), /proc/<pid>/comm and the basename
    of argv[0], de-duplicated in that order, original case. ``steam_appid`` comes
    from the process environment (SteamAppId / SteamGameId) when readable.
    ``window_id`` is an opaque id that only tells windows apart.
    """

    pid: int | None
    names: tuple[str, ...]
    steam_appid: int | None
    window_id: int

    def __repr__(self) -> str:
        # process names are not user data; a window title is, and is never held here
        return (
            f"ForegroundApp(pid={self.pid}, names={self.names!r}, "
            f"steam_appid={self.steam_appid}, window_id={self.window_id:#x})"
        )


#: ``on_changed(app, t_ns)``: ``app`` is None when unknown or nothing has focus;
#: ``t_ns`` is :func:`hindsight.clock.now_ns` when the change was seen.
FocusChanged = Callable[[ForegroundApp | None, int], None]


class FocusTracker(ABC):
    """Reports the foreground application as it changes."""

    @abstractmethod
    def start(self, on_changed: FocusChanged) -> None:
        """Call ``on_changed`` once with the current state, then on every change.

        The callback runs on the tracker's thread and must be quick (enqueue or set
        state only). Raises :class:`FocusError` if the tracker cannot work at all.
        """

    @abstractmethod
    def stop(self) -> None:
        """Stop reporting; safe to call more than once and before start."""

    @abstractmethod
    def current(self) -> ForegroundApp | None:
        """The last reported state (None before start and after stop)."""


def unique_names(names: Iterable[str | None]) -> tuple[str, ...]:
    """Non-empty names in first-seen order, without repeats (case kept)."""
    seen: dict[str, None] = {}
    for name in names:
        if name:
            seen.setdefault(name, None)
    return tuple(seen)


class ChangeReporter:
    """Holds the current state and calls the callback only when it changes.

    Shared by the polling/event trackers; thread-safe; a callback that raises is
    logged and does not stop the tracker.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._callback: FocusChanged | None = None
        self._current: ForegroundApp | None = None
        self._reported = False

    def begin(self, callback: FocusChanged) -> None:
        with self._lock:
            self._callback = callback
            self._current = None
            self._reported = False

    def end(self) -> None:
        with self._lock:
            self._callback = None
            self._current = None
            self._reported = False

    @property
    def current(self) -> ForegroundApp | None:
        return self._current

    def report(self, app: ForegroundApp | None, t_ns: int) -> bool:
        """Report ``app`` if it differs from the last report (the first is always sent)."""
        with self._lock:
            callback = self._callback
            if callback is None or (self._reported and app == self._current):
                return False
            self._current = app
            self._reported = True
        if app is None:
            log.debug("focus: unknown or none")
        else:
            log.debug("focus: pid %s names %s", app.pid, ",".join(app.names))
        try:
            callback(app, t_ns)
        except Exception:
            log.exception("focus callback failed")
        return True
