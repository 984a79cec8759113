"""Pick the focus tracker for this machine; ``HINDSIGHT_FOCUS`` (x11|windows|none) overrides."""

from __future__ import annotations

import os
import sys

from hindsight.recorder import x11
from hindsight.recorder.input.focus.base import FocusError, FocusTracker
from hindsight.recorder.input.focus.static import NoFocusTracker

__all__ = ["FOCUS_ENV", "create_focus_tracker"]

FOCUS_ENV = "HINDSIGHT_FOCUS"
_CHOICES = ("x11", "windows", "none")


def _x11(display: str | None) -> FocusTracker:
    try:
        from hindsight.recorder.input.focus.x11 import X11FocusTracker
    except ImportError as exc:
        raise FocusError(
            f"cannot tell which application has focus: the X11 focus tracker needs python-xlib "
            f"({exc.name or exc} is missing; pip install python-xlib), or use --no-input"
        ) from None
    return X11FocusTracker(display)


def _windows() -> FocusTracker:
    from hindsight.recorder.input.focus.windows import WindowsFocusTracker

    return WindowsFocusTracker()


def create_focus_tracker(display: str | None) -> FocusTracker:
    """The tracker for ``display`` (X11; None means $DISPLAY) or this platform.

    Raises :class:`FocusError` when nothing can tell which application has focus.
    """
    choice = os.environ.get(FOCUS_ENV, "").strip().lower()
    if choice in ("", "auto"):
        if sys.platform == "win32":
            return _windows()
        try:
            x11.connect(display).close()
        except x11.X11Unavailable as exc:
            where = x11.display_name(display) or "none set"
            raise FocusError(
                f"cannot tell which application has focus: no X display reachable ({where}): "
                f"{exc}; or use --no-input ({FOCUS_ENV}=none drops all input)"
            ) from None
        return _x11(display)
    if choice == "x11":
        return _x11(display)
    if choice == "windows":
        return _windows()
    if choice == "none":
        return NoFocusTracker()
    raise FocusError(f"{FOCUS_ENV}={choice!r} is not one of {', '.join(_CHOICES)} (or auto)")
