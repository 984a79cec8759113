"""Pick the focus tracker for this machine; ``HINDSIGHT_FOCUS`` (x11|windows|none) overrides."""

from __future__ import annotations

import os
import sys

from hindsight.recorder.input.focus.base import FocusError, FocusTracker
from hindsight.recorder.input.focus.static import NoFocusTracker
from hindsight.recorder.video import x11_windows
from hindsight.recorder.errors import CaptureError

__all__ = ["FOCUS_ENV", "create_focus_tracker"]

FOCUS_ENV = "HINDSIGHT_FOCUS"
_CHOICES = ("x11", "windows", "none")


def _x11(display: str | None) -> FocusTracker:
    from hindsight.recorder.input.focus.x11 import X11FocusTracker

    return X11FocusTracker(display)


def _windows() -> FocusTracker:
    from hindsight.recorder.input.focus.windows import WindowsFocusTracker

    return WindowsFocusTracker()


def _x_reachable(display: str | None) -> bool:
    try:
        with x11_windows.connect(display):
            return True
    except CaptureError:
        return False


def create_focus_tracker(display: str | None) -> FocusTracker:
    """The tracker for ``display`` (X11; None means $DISPLAY) or this platform.

    Raises :class:`FocusError` when nothing can tell which application has focus.
    """
    choice = os.environ.get(FOCUS_ENV, "").strip().lower()
    if choice in ("", "auto"):
        if sys.platform == "win32":
            return _windows()
        if _x_reachable(display):
            return _x11(display)
        where = display or os.environ.get("DISPLAY") or "none set"
        raise FocusError(
            f"cannot tell which application has focus: no X display reachable ({where}); "
            f"run inside an X session, pass --display, or use --no-input "
            f"({FOCUS_ENV}=none drops all input)"
        )
    if choice == "x11":
        return _x11(display)
    if choice == "windows":
        return _windows()
    if choice == "none":
        return NoFocusTracker()
    raise FocusError(f"{FOCUS_ENV}={choice!r} is not one of {', '.join(_CHOICES)} (or auto)")
