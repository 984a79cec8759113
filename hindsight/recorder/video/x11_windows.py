"""Find X11 windows by title and where they are on screen, for the X11 capture sources.

Uses python-xlib only (no xdotool/wmctrl at runtime). With a window manager the
EWMH client list names the application windows; without one (bare Xvfb, kiosk
sessions) the window tree is walked instead. Coordinates are translated to the
root window, so a reparenting window manager's frame is left out and the result
is the client area a game draws into.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from Xlib import X, error
from Xlib import display as xdisplay

from hindsight.recorder.errors import CaptureError
from hindsight.recorder.video.source import CaptureGeometry
from hindsight.recorder.x11 import connection

__all__ = [
    "WindowInfo",
    "find_window",
    "list_windows",
    "screen_geometry",
]


@dataclass(frozen=True)
class WindowInfo:
    """A viewable top-level window: its id, title, rectangle in root coordinates and
    owning process id (from _NET_WM_PID, None when the client does not say)."""

    window_id: int
    title: str
    geometry: CaptureGeometry
    pid: int | None = None


def screen_geometry(requested: str | None) -> CaptureGeometry:
    """The whole root window of the default screen."""
    with connection(requested) as conn:
        root = conn.screen().root.get_geometry()
        return CaptureGeometry(0, 0, root.width, root.height)


def _title(conn: xdisplay.Display, win, net_wm_name: int, utf8: int) -> str:
    # _NET_WM_NAME is UTF-8 and what modern toolkits set; WM_NAME is the old Latin-1 one.
    prop = win.get_full_property(net_wm_name, utf8)
    if prop is not None and prop.value:
        value = prop.value
        return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)
    name = win.get_wm_name()
    if isinstance(name, bytes):
        return name.decode("latin-1")
    return name or ""


def _candidates(conn: xdisplay.Display, root) -> Iterator:
    client_list = root.get_full_property(conn.intern_atom("_NET_CLIENT_LIST"), X.AnyPropertyType)
    if client_list is not None and len(client_list.value):
        for wid in client_list.value:
            yield conn.create_resource_object("window", wid)
        return
    # No EWMH window manager: walk the tree; titled windows may sit below unnamed parents.
    stack = [root]
    while stack:
        parent = stack.pop()
        try:
            children = parent.query_tree().children
        except error.XError:
            continue
        for child in reversed(children):
            yield child
            stack.append(child)


def list_windows(requested: str | None) -> list[WindowInfo]:
    """Every viewable window that has a title, topmost first where the server says so."""
    found: list[WindowInfo] = []
    seen: set[int] = set()
    with connection(requested) as conn:
        root = conn.screen().root
        net_wm_name = conn.intern_atom("_NET_WM_NAME")
        net_wm_pid = conn.intern_atom("_NET_WM_PID")
        utf8 = conn.intern_atom("UTF8_STRING")
        for win in _candidates(conn, root):
            if win.id in seen:
                continue
            seen.add(win.id)
            try:
                # windows come and go while we look: a vanished one is simply skipped
                if win.get_attributes().map_state != X.IsViewable:
                    continue
                title = _title(conn, win, net_wm_name, utf8)
                if not title:
                    continue
                geo = win.get_geometry()
                origin = root.translate_coords(win, 0, 0)
                pid = win.get_full_property(net_wm_pid, X.AnyPropertyType)
            except error.XError:
                continue
            rect = CaptureGeometry(origin.x, origin.y, geo.width, geo.height)
            pid_value = int(pid.value[0]) if pid is not None and len(pid.value) else None
            found.append(WindowInfo(win.id, title, rect, pid_value))
    return found


def find_window(requested: str | None, title: str) -> CaptureGeometry:
    """The on-screen rectangle of the window whose title contains ``title`` (any case).

    An exact title match wins over a partial one; among equals the biggest window
    wins, since a game's main window is larger than its launcher or a terminal
    that happens to mention it. The rectangle is clipped to the screen.
    """
    screen = screen_geometry(requested)
    wanted = title.strip().casefold()
    matches = [w for w in list_windows(requested) if wanted in w.title.casefold()]
    if not matches:
        raise CaptureError(
            f"window not found: no visible window title contains {title!r} "
            "(is the game running and not minimised?)"
        )
    matches.sort(
        key=lambda w: (w.title.casefold() != wanted, -(w.geometry.width * w.geometry.height))
    )
    best = matches[0]
    clipped = best.geometry.clip(screen)
    if clipped is None:
        raise CaptureError(f"window {best.title!r} is entirely off screen at {best.geometry}")
    return clipped
