"""Screen capture: one interface (:class:`CaptureSource`), one backend per module, one chooser.

Backends: ``x11grab`` (FFmpeg's native X11 grabber via PyAV), ``mss`` (portable),
``fake`` (a deterministic test pattern). :func:`choose_capture_source` picks one
from the config and the HINDSIGHT_CAPTURE environment variable. The backend
modules are imported lazily, so importing this package needs no display.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from hindsight.recorder.video.source import CaptureGeometry, CaptureSource, resolve_geometry
from hindsight.recorder.video.source_chooser import (
    ENV_OVERRIDE,
    choose_capture_source,
    source_names,
)

if TYPE_CHECKING:
    from hindsight.recorder.video.fake_source import FakeSource, read_counter
    from hindsight.recorder.video.mss_source import MssSource, list_monitors
    from hindsight.recorder.video.x11grab_source import X11GrabSource

__all__ = [
    "ENV_OVERRIDE",
    "CaptureGeometry",
    "CaptureSource",
    "FakeSource",
    "MssSource",
    "X11GrabSource",
    "choose_capture_source",
    "list_monitors",
    "read_counter",
    "resolve_geometry",
    "source_names",
]

_LAZY = {
    "FakeSource": "fake_source",
    "read_counter": "fake_source",
    "MssSource": "mss_source",
    "list_monitors": "mss_source",
    "X11GrabSource": "x11grab_source",
}


def __getattr__(name: str):
    # Backends load on first use: python-xlib and X11 need not exist to import this package.
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from importlib import import_module

    value = getattr(import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value
