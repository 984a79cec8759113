"""Input sources: keyboard, mouse and controllers heard at the callback, stamped and queued.

Each backend is an :class:`InputSource` that puts :class:`RawInput` events (a
physical input name such as ``key:W`` or ``pad:left_stick`` and a value, stamped on
the one clock) into an :class:`InputQueue`; the translator reads the queue. Raw
inputs live only in memory. :func:`create_input_sources` picks the backends
(``HINDSIGHT_INPUT`` overrides) and imports the platform ones only when it picks them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

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
from hindsight.recorder.input.sdl_pad import SdlPadSource

if TYPE_CHECKING:
    from hindsight.recorder.input.pynput_windows import PynputWindowsSource
    from hindsight.recorder.input.x11_keyboard import X11KeyboardSource
    from hindsight.recorder.input.x11_mouse import X11MouseSource

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


# The platform sources (python-xlib on X11, pynput's win32 hooks on Windows) load on first use.
_PLATFORM = {
    "PynputWindowsSource": "pynput_windows",
    "X11KeyboardSource": "x11_keyboard",
    "X11MouseSource": "x11_mouse",
}


def __getattr__(name: str):
    module = _PLATFORM.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from importlib import import_module

    return getattr(import_module(f"{__name__}.{module}"), name)
