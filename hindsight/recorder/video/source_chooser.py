"""Pick the capture source: the config's choice, the HINDSIGHT_CAPTURE override, or the best that works.

``auto`` prefers FFmpeg's native x11grab on an X display and falls back to mss,
which works on every desktop mss supports. When nothing can capture, the error
says what to change rather than which call failed.
"""

from __future__ import annotations

import os
import sys

from hindsight.recorder.video.source import CaptureSource
from hindsight.recorder.config import CAPTURE_SOURCES, CaptureConfig
from hindsight.recorder.errors import ConfigError

__all__ = ["ENV_OVERRIDE", "choose_capture_source", "source_names"]

ENV_OVERRIDE = "HINDSIGHT_CAPTURE"


def source_names() -> tuple[str, ...]:
    """The concrete source names (``auto`` excluded)."""
    return tuple(name for name in CAPTURE_SOURCES if name != "auto")


def _make(name: str, config: CaptureConfig) -> CaptureSource:
    # Imported on demand: a source's dependencies (python-xlib, PyAV's devices) are
    # only needed when it is the one picked.
    if name == "x11grab":
        from hindsight.recorder.video.x11grab_source import X11GrabSource

        return X11GrabSource(config)
    if name == "mss":
        from hindsight.recorder.video.mss_source import MssSource

        return MssSource(config)
    if name == "fake":
        from hindsight.recorder.video.fake_source import FakeSource

        return FakeSource(config)
    raise ConfigError(f"capture source {name!r}: must be one of {', '.join(CAPTURE_SOURCES)}")


def _uses_x11() -> bool:
    # Windows and macOS capture through mss's native backends, never X.
    return not (sys.platform.startswith("win") or sys.platform == "darwin")


def _auto(config: CaptureConfig) -> str:
    if not _uses_x11():
        return "mss"
    from hindsight.recorder.video import x11_windows
    from hindsight.recorder.video.x11grab_source import x11grab_available

    display = x11_windows.display_name(config.display)  # raises "no display to capture: ..."
    with x11_windows.connect(display):  # raises "cannot connect ..., is the X server running?"
        pass
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
    elif (
        name in ("x11grab", "mss")
        and _uses_x11()
        and not (config.display or os.environ.get("DISPLAY"))
    ):
        from hindsight.recorder.video import x11_windows
        x11_windows.display_name(config.display)  # the clear "no display" error, early
    return _make(name, config)
