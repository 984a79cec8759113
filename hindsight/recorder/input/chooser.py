"""Which input sources to run on this machine; ``HINDSIGHT_INPUT`` overrides.

Defaults: keyboard and mouse from X11 when there is an X display (Linux), from
pynput's hooks on Windows; controllers from SDL, falling back to evdev (the
``inputs`` package) if SDL cannot load, decided when the pad source starts.
``HINDSIGHT_INPUT`` is a comma list of backends (``x11``, ``windows``, ``sdl``,
``evdev``) or ``none``; it replaces the defaults (``x11`` alone: no controllers;
``sdl,evdev``: SDL with the evdev fallback). This is the only module that looks at
the platform.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Sequence

from hindsight.recorder import x11
from hindsight.recorder.input.base import InputError, InputQueue, InputSource, InputStats
from hindsight.recorder.input.evdev_pad import EvdevPadSource
from hindsight.recorder.input.sdl_pad import SdlPadSource

__all__ = ["BACKENDS", "ENV_VAR", "FallbackPadSource", "create_input_sources", "own_keyboard_hook"]

ENV_VAR = "HINDSIGHT_INPUT"
KEYBOARD_MOUSE_BACKENDS = ("x11", "windows")
PAD_BACKENDS = ("sdl", "evdev")
BACKENDS = (*KEYBOARD_MOUSE_BACKENDS, *PAD_BACKENDS, "none")
_PAD_FACTORIES: dict[str, Callable[[], InputSource]] = {
    "sdl": SdlPadSource,
    "evdev": EvdevPadSource,
}


class FallbackPadSource(InputSource):
    """The first controller backend that starts (SDL, then evdev); ``active`` says which runs."""

    name = "pad"

    def __init__(
        self, candidates: Sequence[Callable[[], InputSource]] = (SdlPadSource, EvdevPadSource)
    ) -> None:
        super().__init__()
        self.candidates = tuple(candidates)
        self.active: InputSource | None = None
        #: why the backends before ``active`` did not start
        self.failures: list[str] = []

    @property
    def stats(self) -> InputStats:
        return self.active.stats if self.active is not None else self._stats

    def start(self, sink: InputQueue) -> None:
        if self.active is not None:
            return
        self.failures = []
        for factory in self.candidates:
            source = factory()
            try:
                source.start(sink)
            except InputError as exc:
                self.failures.append(str(exc))
                continue
            self.active = source
            return
        raise InputError("no controller input backend works: " + "; ".join(self.failures))

    def stop(self) -> None:
        active, self.active = self.active, None
        if active is not None:
            active.stop()

    def __repr__(self) -> str:
        return f"<FallbackPadSource active={self.active.name if self.active else None}>"


def _parse_override(value: str) -> list[str]:
    names = [part.strip().lower() for part in value.split(",") if part.strip()]
    if not names:
        raise InputError(f"{ENV_VAR} is empty; give a comma list of {', '.join(BACKENDS)}")
    for name in names:
        if name not in BACKENDS:
            raise InputError(
                f"{ENV_VAR}: unknown input backend {name!r} (choose from {', '.join(BACKENDS)})"
            )
    if "none" in names and len(names) > 1:
        raise InputError(f"{ENV_VAR}: 'none' cannot be combined with other backends")
    if "x11" in names and "windows" in names:
        raise InputError(f"{ENV_VAR}: choose one keyboard/mouse backend, x11 or windows")
    return [] if names == ["none"] else list(dict.fromkeys(names))


def _default_keyboard_mouse(display: str | None) -> str:
    if sys.platform == "win32":
        return "windows"
    if sys.platform == "darwin":
        raise InputError(
            "no keyboard/mouse input backend for macOS yet "
            f"(set {ENV_VAR}=sdl for controllers only, or {ENV_VAR}=none)"
        )
    if x11.display_name(display):
        return "x11"
    why = (
        "DISPLAY is not set in this Wayland session (keyboard and mouse actions need XWayland or "
        "X11)"
        if os.environ.get("WAYLAND_DISPLAY")
        else "DISPLAY is not set (keyboard and mouse actions need an X11 session)"
    )
    raise InputError(f"no keyboard/mouse input backend for this system: {why}")


def _keyboard_mouse(backend: str, display: str | None) -> list[InputSource]:
    # Platform modules load only here, when picked: pynput's win32 hooks exist only on
    # Windows, python-xlib only where X11 is.
    if backend == "windows":
        from hindsight.recorder.input.pynput_windows import PynputWindowsSource

        return [PynputWindowsSource()]
    if not x11.display_name(display):
        raise InputError(
            f"{ENV_VAR} asks for x11 input, but DISPLAY is not set and no display was given"
        )
    try:
        from hindsight.recorder.input.x11_keyboard import X11KeyboardSource
        from hindsight.recorder.input.x11_mouse import X11MouseSource
    except ImportError as exc:
        raise InputError(
            f"no keyboard/mouse input backend: the X11 sources need python-xlib "
            f"({exc.name or exc} is missing; pip install python-xlib), or use --no-input"
        ) from None
    return [X11KeyboardSource(display), X11MouseSource(display)]


def create_input_sources(
    display: str | None = None, *, keyboard_mouse: bool = True, pads: bool = True
) -> list[InputSource]:
    """The input sources for this machine, not started; InputError saying what to fix if none fits.

    ``display`` is the X display for the X11 sources
    (None: :func:`hindsight.recorder.x11.display_name`).
    """
    override = os.environ.get(ENV_VAR)
    if override is not None:
        names = _parse_override(override)
        km = [n for n in names if n in KEYBOARD_MOUSE_BACKENDS]
        pad_names = [n for n in names if n in PAD_BACKENDS]
    else:
        km = [_default_keyboard_mouse(display)] if keyboard_mouse else []
        pad_names = list(PAD_BACKENDS)
    sources: list[InputSource] = []
    if keyboard_mouse and km:
        sources += _keyboard_mouse(km[0], display)
    if pads and pad_names:
        if len(pad_names) == 1:
            sources.append(_PAD_FACTORIES[pad_names[0]]())
        else:
            sources.append(FallbackPadSource([_PAD_FACTORIES[n] for n in pad_names]))
    return sources


def own_keyboard_hook() -> str:
    """The keyboard hook the save hotkey opens when input capture is off.

    ``x11`` (the X11 keyboard source), or ``pynput`` on Windows and macOS.
    """
    return "pynput" if sys.platform in ("win32", "darwin") else "x11"
