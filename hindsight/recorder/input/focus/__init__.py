"""Which application owns the focused window, as it changes: the first half of game detection.

A :class:`FocusTracker` reports a :class:`ForegroundApp` (process names, Steam app
id, an opaque window id; never a window title) or None when unknown, which the
recorder treats as unfocused. :func:`create_focus_tracker` picks the tracker; the
platform trackers (X11, Windows) are imported only when picked or first named here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from hindsight.recorder.input.focus.base import (
    FocusChanged,
    FocusError,
    FocusTracker,
    ForegroundApp,
)
from hindsight.recorder.input.focus.chooser import FOCUS_ENV, create_focus_tracker
from hindsight.recorder.input.focus.static import FixedFocusTracker, NoFocusTracker

if TYPE_CHECKING:
    from hindsight.recorder.input.focus.windows import WindowsFocusTracker
    from hindsight.recorder.input.focus.x11 import X11FocusTracker

__all__ = [
    "FOCUS_ENV",
    "FixedFocusTracker",
    "FocusChanged",
    "FocusError",
    "FocusTracker",
    "ForegroundApp",
    "NoFocusTracker",
    "WindowsFocusTracker",
    "X11FocusTracker",
    "create_focus_tracker",
]

_PLATFORM = {"WindowsFocusTracker": "windows", "X11FocusTracker": "x11"}


def __getattr__(name: str):
    # python-xlib (X11) and ctypes.windll (Windows) exist only on their platforms
    module = _PLATFORM.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from importlib import import_module

    return getattr(import_module(f"{__name__}.{module}"), name)
