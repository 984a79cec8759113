"""Trackers that do not look at the desktop: nothing focused, or a fixed app (tests)."""

from __future__ import annotations

from hindsight.clock import now_ns
from hindsight.recorder.input.focus.base import (
    ChangeReporter,
    FocusChanged,
    FocusTracker,
    ForegroundApp,
)

__all__ = ["FixedFocusTracker", "NoFocusTracker"]


class NoFocusTracker(FocusTracker):
    """Nothing ever has focus, so all input is dropped (``--no-input``, or nothing works)."""

    def __init__(self) -> None:
        self._reporter = ChangeReporter()

    def start(self, on_changed: FocusChanged) -> None:
        self._reporter.begin(on_changed)
        self._reporter.report(None, now_ns())

    def stop(self) -> None:
        self._reporter.end()

    def current(self) -> ForegroundApp | None:
        return None

    def __repr__(self) -> str:
        return "<NoFocusTracker>"


class FixedFocusTracker(FocusTracker):
    """Reports ``app`` (may be None) at start; :meth:`set` simulates a focus change."""

    def __init__(self, app: ForegroundApp | None) -> None:
        self._app = app
        self._reporter = ChangeReporter()

    def start(self, on_changed: FocusChanged) -> None:
        self._reporter.begin(on_changed)
        self._reporter.report(self._app, now_ns())

    def set(self, app: ForegroundApp | None, t_ns: int | None = None) -> None:
        """Switch to ``app``; once started, the callback hears of it if it differs."""
        self._app = app
        self._reporter.report(app, now_ns() if t_ns is None else t_ns)

    def stop(self) -> None:
        self._reporter.end()

    def current(self) -> ForegroundApp | None:
        """The fixed app, whether started or not."""
        return self._app

    def __repr__(self) -> str:
        return f"<FixedFocusTracker {self._app!r}>"
