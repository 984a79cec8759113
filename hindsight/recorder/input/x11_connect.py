"""Shared X11 plumbing of the keyboard and mouse sources: which display, and a checked connection."""

from __future__ import annotations

import os

from Xlib import display as xdisplay
from Xlib import error as xerror

from hindsight.recorder.input.base import InputError

NO_X11_HINT = "keyboard and mouse actions need an X11 session (or XWayland)"


def resolve_display(display: str | None, source: str) -> str:
    """The display to listen on: ``display``, else $DISPLAY; InputError if neither."""
    name = display or os.environ.get("DISPLAY", "")
    if not name:
        raise InputError(f"cannot start input source {source}: DISPLAY is not set ({NO_X11_HINT})")
    return name


def connect(name: str, source: str, extension: str) -> xdisplay.Display:
    """A connection to ``name`` that has ``extension``; InputError saying what is missing."""
    try:
        conn = xdisplay.Display(name)
    except (xerror.DisplayError, xerror.ConnectionClosedError, OSError) as exc:
        raise InputError(
            f"cannot start input source {source}: cannot connect to X display {name!r} ({exc}); "
            "is the X server running?"
        ) from None
    if not conn.has_extension(extension):
        conn.close()
        raise InputError(
            f"cannot start input source {source}: the X server on {name} has no {extension} extension"
        )
    return conn
