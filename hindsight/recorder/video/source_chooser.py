"""Pick the capture source: the config's choice, the HINDSIGHT_CAPTURE override, or the best that
works.

``auto`` prefers FFmpeg's native x11grab on an X display and falls back to mss,
which works on every desktop mss supports. When nothing can capture, the error
says what to change rather than which call failed.
"""

from __future__ import annotations

import os
import sys
from importlib import import_module

from hindsight.recorder import x11
from hindsight.recorder.config import CAPTURE_SOURCES, CaptureConfig
from hindsight.recorder.errors import CaptureError, ConfigError
from hindsight.recorder.video.source import CaptureSource

__all__ = ["ENV_OVERRIDE", "choose_capture_source", "source_names"]

ENV_OVERRIDE = "HINDSIGHT_CAPTURE"


def source_names() -> tuple[str, ...]:
    """The concrete source names (``auto`` excluded)."""
    return tuple(name for name in CAPTURE_SOURCES if name != "auto")


# name -> (module, class, what to install when the module's dependencies are missing)
_BACKENDS = {
    "x11grab": ("x11grab_source", "X11GrabSource", "python-xlib (pip install python-xlib)"),
    "mss": ("mss_source", "MssSource", "python-mss (pip install mss)"),
    "fake": ("fake_source", "FakeSource", "numpy"),
}


def _make(name: str, config: CaptureConfig) -> CaptureSource:
    # Imported on demand: a source's dependencies (python-xlib, PyAV's devices) are
    # only needed when it is the one picked.
    backend = _BACKENDS.get(name)
    if backend is None:
        raise ConfigError(f"capture source {name!r}: must be one of {', '.join(CAPTURE_SOURCES)}")
    module, cls, install = backend
    try:
        source = getattr(import_module(f"hindsight.recorder.video.{module}"), cls)
    except ImportError as exc:
        raise CaptureError(
            f"capture source {name} cannot load ({exc.name or exc}): it needs {install}"
        ) from None
    return source(config)


def _uses_x11() -> bool:
    # Windows and macOS capture through mss's native backends, never X.
    return not (sys.platform.startswith("win") or sys.platform == "darwin")


def _auto(config: CaptureConfig) -> str:
    if not _uses_x11():
        return "mss"
    if not x11.display_name(config.display):
        raise CaptureError(
            "no screen capture backend: x11grab and mss capture an X11 display and DISPLAY is not "
            "set "
            f"(a Wayland session needs XWayland); {x11.NO_DISPLAY_HINT}"
        )
    x11.connect(
        config.display
    ).close()  # "python-xlib is not installed" / "is the X server running?"
    from hindsight.recorder.video.x11grab_source import x11grab_available

    return "x11grab" if x11grab_available() else "mss"


def choose_capture_source(config: CaptureConfig) -> CaptureSource:
    """A not yet opened source for ``config``; call ``open()`` (or use ``with``) next.

    ``config.source`` wins when it names a source; with ``auto`` the environment
    variable HINDSIGHT_CAPTURE (x11grab|mss|fake) decides, and without it the
    first that works of x11grab and mss.
    """
    name = config.source
    if name == "auto":
        override = os.environ.get(ENV_OVERRIDE, "").strip().lower()
        if override and override not in CAPTURE_SOURCES:
            raise ConfigError(
                f"{ENV_OVERRIDE}={override!r}: must be one of {', '.join(CAPTURE_SOURCES)}"
            )
        name = override or "auto"
    if name == "auto":
        name = _auto(config)
    elif name in ("x11grab", "mss") and _uses_x11():
        x11.require_display(config.display)  # the clear "no display" error, early
    return _make(name, config)
