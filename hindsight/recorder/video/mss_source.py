"""Portable capture through python-mss (X11, Windows GDI, macOS CoreGraphics).

Each grab is one screenshot in BGRA; the frame wraps mss's fresh buffer without
copying it again. Window capture works where an X display is reachable (through
:mod:`x11_windows`); elsewhere this source captures monitors and regions only.
"""

from __future__ import annotations

import contextlib
import threading
import warnings
from typing import TYPE_CHECKING

import av
import mss
import numpy as np

from hindsight.recorder import x11
from hindsight.recorder.errors import CaptureError
from hindsight.recorder.video.source import CaptureGeometry, CaptureSource, resolve_geometry

if TYPE_CHECKING:
    from hindsight.recorder.config import CaptureConfig

__all__ = ["MssSource", "list_monitors"]


def _new_mss(display: str | None, with_cursor: bool = False):
    kwargs: dict[str, object] = {}
    # the X display chosen once for the recorder; mss would read $DISPLAY itself
    display = x11.display_name(display)
    if display:
        kwargs["display"] = display
    if with_cursor:
        kwargs["with_cursor"] = True
    factory = getattr(mss, "MSS", None) or mss.mss  # mss >= 10.2 / older
    try:
        with warnings.catch_warnings():
            # display/with_cursor are X11-only; elsewhere mss drops them with a warning
            warnings.simplefilter("ignore", DeprecationWarning)
            return factory(**kwargs)
    except mss.ScreenShotError as exc:
        where = display or "the default display"
        raise CaptureError(f"mss cannot open {where}: {exc}") from None
    except ImportError as exc:  # mss loads its platform module (mss.linux, ...) here
        raise CaptureError(
            f"capture source mss cannot load its backend for this system ({exc.name or exc} is "
            "missing); "
            "reinstall python-mss (pip install mss)"
        ) from None


def list_monitors(display: str | None = None) -> list[CaptureGeometry]:
    """The screen (index 0, all monitors) then each monitor, as mss numbers them."""
    with _new_mss(display) as sct:
        try:
            monitors = sct.monitors
        except mss.ScreenShotError as exc:
            raise CaptureError(f"mss cannot list the monitors: {exc}") from None
    return [CaptureGeometry(m["left"], m["top"], m["width"], m["height"]) for m in monitors]


def _window_finder(display: str | None):
    if not x11.display_name(display):
        return None
    try:
        from hindsight.recorder.video import x11_windows
    except ImportError:  # python-xlib is only installed where X11 is
        return None
    return lambda title: x11_windows.find_window(display, title)


class MssSource(CaptureSource):
    """Grab a monitor, region or (on X11) window with python-mss."""

    name = "mss"

    def __init__(self, config: CaptureConfig) -> None:
        super().__init__(config)
        self._sct = None
        self._sct_thread: int | None = None
        self._box: dict[str, int] = {}

    def open(self) -> None:
        if self._sct is not None:
            return
        display = self.config.display
        rect = resolve_geometry(self.config, list_monitors(display), _window_finder(display))
        self._box = {"left": rect.x, "top": rect.y, "width": rect.width, "height": rect.height}
        self._connect()
        self._where = x11.display_name(display) or ""
        self._geometry = rect

    def _connect(self) -> None:
        # Older mss keeps per-thread X state, so the handle is made on the grabbing thread.
        if self._sct is not None:
            with contextlib.suppress(Exception):
                self._sct.close()
        self._sct = _new_mss(self.config.display, with_cursor=self.config.draw_cursor)
        self._sct_thread = threading.get_ident()

    def grab(self) -> av.VideoFrame:
        if self._sct is None:
            raise CaptureError("mss capture source is not open")
        if self._sct_thread != threading.get_ident():
            self._connect()
        try:
            shot = self._sct.grab(self._box)
        except Exception as exc:  # noqa: BLE001
            # A display that goes away surfaces as assorted errors from mss's ctypes
            # layer (even AssertionError); to the session they all mean "source died".
            detail = str(exc) or type(exc).__name__
            raise CaptureError(f"mss could not grab {self.geometry}: {detail}") from None
        width, height = self._box["width"], self._box["height"]
        if tuple(shot.size) != (width, height):
            raise CaptureError(
                f"mss returned {shot.size} for a {width}x{height} grab; did the screen change?"
            )
        # A view of mss's new buffer: the frame keeps it alive, nothing is copied.
        rows = np.frombuffer(shot.raw, np.uint8).reshape(height, -1)
        pixels = rows[:, : width * 4].reshape(height, width, 4)
        return av.VideoFrame.from_numpy_buffer(pixels, format="bgra")

    def close(self) -> None:
        sct, self._sct = self._sct, None
        if sct is not None:
            # closing a connection to a display that already died raises; nothing to free then
            with contextlib.suppress(Exception):
                sct.close()
        super().close()
