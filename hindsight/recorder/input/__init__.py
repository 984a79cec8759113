"""Input sources: keyboard, mouse and controllers heard at the callback, stamped and queued.

Each backend is an :class:`InputSource` that puts :class:`RawInput` events (a
physical input name such as ``key:W`` or ``pad:left_stick`` and a value, stamped on
the one clock) into an :class:`InputQueue`; the translator reads the queue. Raw
inputs live only in memory. :func:`create_input_sources` picks the backends
(``HINDSIGHT_INPUT`` overrides).
"""

from __future__ import annotations

from hindsight.recorder.input.base import (
    InputError,
    InputQueue,
    InputSource,
    InputStats,
    RawInput,
)
from hindsight.recorder.input.chooser import (
    BACKENDS,
    ENV_VAR,
    FallbackPadSource,
    create_input_sources,
)
from hindsight.recorder.input.evdev_pad import EvdevPadMapper, EvdevPadSource
from hindsight.recorder.input.pynput_windows import PynputWindowsSource
from hindsight.recorder.input.sdl_pad import SdlPadSource

__all__ = [
    "BACKENDS",
    "ENV_VAR",
    "EvdevPadMapper",
    "EvdevPadSource",
    "FallbackPadSource",
    "InputError",
    "InputQueue",
    "InputSource",
    "InputStats",
    "PynputWindowsSource",
    "RawInput",
    "SdlPadSource",
    "X11KeyboardSource",
    "X11MouseSource",
    "create_input_sources",
]


def __getattr__(name: str):
    # the X11 sources need python-xlib, a Linux-only dependency: imported on first use
    if name == "X11KeyboardSource":
        from hindsight.recorder.input.x11_keyboard import X11KeyboardSource

        return X11KeyboardSource
    if name == "X11MouseSource":
        from hindsight.recorder.input.x11_mouse import X11MouseSource

        return X11MouseSource
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
