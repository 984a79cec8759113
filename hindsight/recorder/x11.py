"""Which X display the recorder uses, and the one place that opens a connection to it.

:func:`display_name` decides the display once (the ``--display`` option, else
``$DISPLAY``); capture, input, focus and the hotkey are each handed that name
explicitly. :func:`connect` opens a python-xlib connection with a one-line error
that says what is missing (no display, no server, no extension, no python-xlib).

python-xlib is imported inside :func:`connect`, so choosers may import this module
on any OS to ask :func:`display_name` or :func:`reachable` without loading X11.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from hindsight.recorder.errors import CaptureError

if TYPE_CHECKING:
    from Xlib.display import Display

__all__ = [
    "NO_DISPLAY_HINT",
    "X11Unavailable",
    "connect",
    "connection",
    "display_name",
    "reachable",
    "require_display",
]

NO_DISPLAY_HINT = (
    "run inside an X session or pass --display :N (hindsight demo starts a virtual display)"
)
XLIB_HINT = "python-xlib is not installed (pip install python-xlib); X11 capture and input need it"


class X11Unavailable(CaptureError):
    """The X display cannot be used: not set, not answering, or lacking an extension."""


def display_name(requested: str | None) -> str | None:
    """The X display to use: ``requested`` (``--display``), else ``$DISPLAY``; None if neither."""
    return requested or os.environ.get("DISPLAY") or None


def require_display(requested: str | None) -> str:
    """:func:`display_name`, or X11Unavailable saying how to get a display."""
    name = display_name(requested)
    if not name:
        raise X11Unavailable(f"DISPLAY is not set; {NO_DISPLAY_HINT}")
    return name


def connect(requested: str | None, extension: str | None = None) -> Display:
    """A new connection to the display (the caller closes it); X11Unavailable saying why not.

    With ``extension`` the server must also offer that extension (``RECORD``,
    ``XInputExtension``).
    """
    name = require_display(requested)
    try:
        from Xlib import display as xdisplay
        from Xlib import error as xerror
    except ImportError:
        raise X11Unavailable(XLIB_HINT) from None
    try:
        conn = xdisplay.Display(name)
    except (xerror.DisplayError, xerror.ConnectionClosedError, xerror.XauthError, OSError) as exc:
        raise X11Unavailable(
            f"cannot connect to X display {name!r} ({exc}); is the X server running? "
            f"{NO_DISPLAY_HINT}"
        ) from None
    if extension is not None and not conn.has_extension(extension):
        conn.close()
        raise X11Unavailable(f"the X server on {name} has no {extension} extension")
    return conn


@contextmanager
def connection(requested: str | None) -> Iterator[Display]:
    """A short-lived connection to the display, closed on exit."""
    conn = connect(requested)
    try:
        yield conn
    finally:
        conn.close()


def reachable(requested: str | None) -> bool:
    """Whether the display answers (python-xlib installed, display set, server up)."""
    try:
        connect(requested).close()
    except X11Unavailable:
        return False
    return True
