"""The save hotkey: a global key combination that asks the session for a clip.

Backends sit behind :class:`HotkeyListener`; :func:`create_hotkey_listener` picks one
(``HINDSIGHT_HOTKEY_BACKEND`` = ``pynput`` | ``none`` overrides). The pynput
callbacks only feed the combination matcher and, on a match, call ``on_pressed``,
which must only enqueue. Keys are never logged or kept: the listener hears every
key the player presses.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Callable

from hindsight.recorder.errors import ConfigError

__all__ = ["HotkeyListener", "NullHotkeyListener", "create_hotkey_listener", "to_pynput_combo"]

log = logging.getLogger(__name__)

_MODIFIERS = {"ctrl", "shift", "alt", "cmd", "super", "win", "alt_gr"}
_NAMED = {
    *(f"f{i}" for i in range(1, 25)),
    "esc", "tab", "space", "enter", "backspace", "delete", "insert", "home", "end", "page_up", "page_down",
    "up", "down", "left", "right", "pause", "print_screen", "scroll_lock", "menu",
}


def to_pynput_combo(hotkey: str) -> str:
    """``F8`` / ``ctrl+shift+s`` to pynput's ``<f8>`` / ``<ctrl>+<shift>+s``; raises ConfigError."""
    parts = [p.strip().lower() for p in hotkey.split("+")]
    if not parts or any(not p for p in parts):
        raise ConfigError(f"hotkey {hotkey!r}: expected keys joined by '+', e.g. F8 or ctrl+shift+s")
    out = []
    for i, part in enumerate(parts):
        part = {"win": "cmd", "super": "cmd", "escape": "esc", "return": "enter", "prtsc": "print_screen"}.get(part, part)
        is_last = i == len(parts) - 1
        if part in _MODIFIERS and not is_last:
            out.append(f"<{part}>")
        elif is_last and (part in _NAMED):
            out.append(f"<{part}>")
        elif is_last and re.fullmatch(r"[a-z0-9]", part):
            out.append(part)
        else:
            raise ConfigError(
                f"hotkey {hotkey!r}: {part!r} is not a key name here (use modifiers ctrl/shift/alt/cmd, then F1-F24, a letter, a digit or a named key)"
            )
    return "+".join(out)


class HotkeyListener:
    """Listens for one global hotkey and calls ``on_pressed`` for each press."""

    name = "base"

    def __init__(self, hotkey: str, on_pressed: Callable[[], None]) -> None:
        self.hotkey = hotkey
        self.on_pressed = on_pressed

    def start(self) -> None:
        raise NotImplementedError

    def stop(self) -> None:
        raise NotImplementedError


class NullHotkeyListener(HotkeyListener):
    """No global hotkey (headless use, or the user turned it off); ``hindsight clip`` still works."""

    name = "none"

    def start(self) -> None:
        return None

    def stop(self) -> None:
        return None


class PynputHotkeyListener(HotkeyListener):
    """pynput's global keyboard hook (X11 RECORD, Win32 hooks, macOS event taps)."""

    name = "pynput"

    def __init__(self, hotkey: str, on_pressed: Callable[[], None]) -> None:
        super().__init__(hotkey, on_pressed)
        self._combo = to_pynput_combo(hotkey)
        self._listener = None

    def start(self) -> None:
        try:
            from pynput import keyboard
        except Exception as err:  # pynput raises ImportError subclasses and Xlib errors without a display
            raise ConfigError(f"the global hotkey needs a keyboard hook, which failed: {err}") from None
        matcher = keyboard.HotKey(keyboard.HotKey.parse(self._combo), self.on_pressed)

        def on_press(key: object) -> None:
            matcher.press(listener.canonical(key))

        def on_release(key: object) -> None:
            matcher.release(listener.canonical(key))

        listener = keyboard.Listener(on_press=on_press, on_release=on_release)
        listener.daemon = True
        listener.start()
        listener.wait()
        self._listener = listener

    def stop(self) -> None:
        if self._listener is not None:
            self._listener.stop()
            self._listener = None


_BACKENDS: dict[str, type[HotkeyListener]] = {"pynput": PynputHotkeyListener, "none": NullHotkeyListener}


def create_hotkey_listener(hotkey: str | None, on_pressed: Callable[[], None]) -> HotkeyListener:
    """The listener for this machine; ``hotkey=None`` or ``HINDSIGHT_HOTKEY_BACKEND=none`` gives none."""
    backend = os.environ.get("HINDSIGHT_HOTKEY_BACKEND", "pynput" if hotkey else "none")
    cls = _BACKENDS.get(backend)
    if cls is None:
        raise ConfigError(f"HINDSIGHT_HOTKEY_BACKEND={backend!r}: must be one of {', '.join(_BACKENDS)}")
    return cls(hotkey or "", on_pressed)
