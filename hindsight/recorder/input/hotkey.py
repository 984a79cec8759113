"""The save hotkey: a global key combination that asks the session for a clip, on one keyboard hook.

When input capture runs, its keyboard source already hears every key: the hotkey
then listens to that stream (:class:`StreamHotkey`), matched on the translator's
thread on the raw physical key names before translation, so it fires whichever
window has focus and in any context, while actions still obey focus. Only without
input capture (``--no-input``) does the hotkey get a hook of its own, the smallest
there is: the X11 keyboard source on X11 (:class:`OwnHookHotkey`), pynput's hook
elsewhere (:class:`PynputHotkeyListener`). :func:`create_hotkey` picks;
``HINDSIGHT_HOTKEY_BACKEND`` (``auto`` | ``input`` | ``x11`` | ``pynput`` | ``none``)
overrides.

``on_pressed`` runs on the hook's or the translator's thread and must only enqueue.
Keys are never logged or kept: the matcher remembers only which keys of the
combination are held.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from hindsight.recorder import x11
from hindsight.recorder.errors import ConfigError
from hindsight.recorder.input.base import InputError, InputQueue, RawInput
from hindsight.recorder.input.chooser import own_keyboard_hook

if TYPE_CHECKING:
    from hindsight.recorder.actions.capture import ActionCapture
    from hindsight.recorder.input.x11_keyboard import X11KeyboardSource

__all__ = [
    "BACKEND_ENV",
    "HotkeyCombo",
    "HotkeyListener",
    "HotkeyMatcher",
    "NullHotkeyListener",
    "OwnHookHotkey",
    "PynputHotkeyListener",
    "StreamHotkey",
    "create_hotkey",
    "parse_hotkey",
    "to_pynput_combo",
]

log = logging.getLogger(__name__)

BACKEND_ENV = "HINDSIGHT_HOTKEY_BACKEND"
_BACKEND_CHOICES = ("auto", "input", "x11", "pynput", "none")

_MODIFIERS = {"ctrl", "shift", "alt", "cmd", "super", "win", "alt_gr"}
_NAMED = {
    *(f"f{i}" for i in range(1, 25)),
    "esc", "tab", "space", "enter", "backspace", "delete", "insert", "home", "end",
    "page_up", "page_down", "up", "down", "left", "right", "pause", "print_screen",
    "scroll_lock", "menu",
}  # fmt: skip
_ALIASES = {
    "win": "cmd",
    "super": "cmd",
    "escape": "esc",
    "return": "enter",
    "prtsc": "print_screen",
}
# modifier -> the physical keys that count as it (either side)
_MODIFIER_KEYS = {
    "ctrl": ("key:LeftCtrl", "key:RightCtrl"),
    "shift": ("key:LeftShift", "key:RightShift"),
    "alt": ("key:LeftAlt", "key:RightAlt"),
    "alt_gr": ("key:RightAlt",),
    "cmd": ("key:LeftMeta", "key:RightMeta"),
}
_NAMED_KEYS = {
    **{f"f{i}": f"key:F{i}" for i in range(1, 25)},
    "esc": "key:Escape", "tab": "key:Tab", "space": "key:Space", "enter": "key:Enter",
    "backspace": "key:Backspace", "delete": "key:Delete", "insert": "key:Insert",
    "home": "key:Home",
    "end": "key:End", "page_up": "key:PageUp", "page_down": "key:PageDown", "up": "key:Up",
    "down": "key:Down", "left": "key:Left", "right": "key:Right", "pause": "key:Pause",
    "print_screen": "key:PrintScreen", "scroll_lock": "key:ScrollLock", "menu": "key:Menu",
}  # fmt: skip


def _parts(hotkey: str) -> list[str]:
    """The combination's parts, normalised and checked; raises ConfigError."""
    parts = [p.strip().lower() for p in hotkey.split("+")]
    if not parts or any(not p for p in parts):
        raise ConfigError(
            f"hotkey {hotkey!r}: expected keys joined by '+', e.g. F8 or ctrl+shift+s"
        )
    out = []
    for i, part in enumerate(parts):
        part = _ALIASES.get(part, part)
        is_last = i == len(parts) - 1
        if (part in _MODIFIERS and not is_last) or (
            is_last and (part in _NAMED or re.fullmatch(r"[a-z0-9]", part))
        ):
            out.append(part)
        else:
            raise ConfigError(
                f"hotkey {hotkey!r}: {part!r} is not a key name here (use modifiers "
                "ctrl/shift/alt/cmd, then F1-F24, a letter, a digit or a named key)"
            )
    return out


def to_pynput_combo(hotkey: str) -> str:
    """``F8`` / ``ctrl+shift+s`` to pynput's ``<f8>`` / ``<ctrl>+<shift>+s``; raises ConfigError."""
    parts = _parts(hotkey)
    *mods, key = parts
    last = key if re.fullmatch(r"[a-z0-9]", key) else f"<{key}>"
    return "+".join([*(f"<{m}>" for m in mods), last])


@dataclass(frozen=True, slots=True)
class HotkeyCombo:
    """A hotkey as physical input names: the key that fires, and the modifiers held with it.

    Letters and digits are named by their US-QWERTY position, like action maps: ``s``
    is the key right of A whatever the layout prints on it.
    """

    key: str
    #: per modifier, the keys that count as it (``ctrl``: left or right Ctrl)
    modifiers: tuple[tuple[str, ...], ...] = ()


def parse_hotkey(hotkey: str) -> HotkeyCombo:
    """``F8`` -> key:F8; ``ctrl+shift+s`` -> key:S with Ctrl and Shift; raises ConfigError."""
    *mods, key = _parts(hotkey)
    name = _NAMED_KEYS.get(key) or f"key:{key.upper()}"
    return HotkeyCombo(name, tuple(_MODIFIER_KEYS[m] for m in dict.fromkeys(mods)))


class HotkeyMatcher:
    """Says when a stream of key presses and releases completes the combination.

    It fires on the press of the combination's key while each modifier is held (a
    key already held, i.e. autorepeat, does not fire again); keys outside the
    combination are ignored, as pynput's ``HotKey`` does. Only the held state of the
    combination's own keys is kept.
    """

    def __init__(self, combo: HotkeyCombo) -> None:
        self.combo = combo
        self._watched = frozenset({combo.key, *(k for group in combo.modifiers for k in group)})
        self._held: set[str] = set()

    def feed(self, name: str, pressed: bool) -> bool:
        """Whether this press completes the combination."""
        if name not in self._watched:
            return False
        if not pressed:
            self._held.discard(name)
            return False
        repeat = name in self._held
        self._held.add(name)
        return (
            name == self.combo.key
            and not repeat
            and all(self._held.intersection(group) for group in self.combo.modifiers)
        )


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
    """No global hotkey (headless use, or the user turned it off); ``hindsight clip`` still
    works."""

    name = "none"

    def start(self) -> None:
        return None

    def stop(self) -> None:
        return None


class StreamHotkey(HotkeyListener):
    """The hotkey heard in input capture's own keyboard stream: no hook of its own."""

    name = "input"

    def __init__(self, hotkey: str, on_pressed: Callable[[], None], actions: ActionCapture) -> None:
        super().__init__(hotkey, on_pressed)
        self._matcher = HotkeyMatcher(parse_hotkey(hotkey))
        self._actions = actions

    def start(self) -> None:
        self._actions.set_hotkey(self._matcher, self.on_pressed)

    def stop(self) -> None:
        self._actions.set_hotkey(None, None)


class _MatchingSink(InputQueue):
    """The own hook's sink: matches on the hook's thread and keeps nothing."""

    def __init__(self, matcher: HotkeyMatcher, on_pressed: Callable[[], None]) -> None:
        super().__init__(1)
        self._matcher = matcher
        self._on_pressed = on_pressed

    def put(self, item: RawInput) -> bool:
        if self._matcher.feed(item.name, item.x > 0.5):
            self._on_pressed()
        return True


class OwnHookHotkey(HotkeyListener):
    """Without input capture on X11: the X11 keyboard source as the hotkey's one hook."""

    name = "x11"

    def __init__(self, hotkey: str, on_pressed: Callable[[], None], display: str | None) -> None:
        super().__init__(hotkey, on_pressed)
        self._matcher = HotkeyMatcher(parse_hotkey(hotkey))
        self.display = display
        self._source: X11KeyboardSource | None = None

    def start(self) -> None:
        try:
            from hindsight.recorder.input.x11_keyboard import X11KeyboardSource
        except ImportError as exc:
            raise ConfigError(
                f"the global hotkey needs python-xlib on X11 ({exc.name or exc} is missing; "
                "pip install python-xlib)"
            ) from None
        source = X11KeyboardSource(self.display)
        try:
            source.start(_MatchingSink(self._matcher, self.on_pressed))
        except InputError as err:
            raise ConfigError(
                f"the global hotkey needs a keyboard hook, which failed: {err}"
            ) from None
        self._source = source

    def stop(self) -> None:
        source, self._source = self._source, None
        if source is not None:
            source.stop()


class PynputHotkeyListener(HotkeyListener):
    """pynput's global keyboard hook (Win32 hooks, macOS event taps), without input capture."""

    name = "pynput"

    def __init__(self, hotkey: str, on_pressed: Callable[[], None]) -> None:
        super().__init__(hotkey, on_pressed)
        self._combo = to_pynput_combo(hotkey)
        self._listener = None

    def start(self) -> None:
        try:
            from pynput import keyboard
        # pynput raises ImportError subclasses, and Xlib errors without a display
        except Exception as err:  # noqa: BLE001
            reason = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
            raise ConfigError(
                f"the global hotkey needs pynput's keyboard hook, which failed: {reason}"
            ) from None
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


def create_hotkey(
    hotkey: str | None,
    on_pressed: Callable[[], None],
    actions: ActionCapture | None = None,
    *,
    display: str | None = None,
) -> HotkeyListener:
    """The save hotkey on one keyboard hook; call after ``actions.start()``.

    With ``actions`` whose sources hear the keyboard, the hotkey listens to their
    stream; otherwise it gets its own hook on ``display`` (chosen by
    :func:`hindsight.recorder.x11.display_name`). ``hotkey=None`` gives none.
    """
    backend = os.environ.get(BACKEND_ENV, "auto").strip().lower() if hotkey else "none"
    if backend not in _BACKEND_CHOICES:
        raise ConfigError(
            f"{BACKEND_ENV}={backend!r}: must be one of {', '.join(_BACKEND_CHOICES)}"
        )
    if backend == "auto":
        backend = "input" if actions is not None and actions.hears_keyboard else own_keyboard_hook()
    if backend == "none":
        return NullHotkeyListener(hotkey or "", on_pressed)
    assert hotkey is not None
    if backend == "input":
        if actions is None or not actions.hears_keyboard:
            raise ConfigError(f"{BACKEND_ENV}=input: input capture is off or hears no keyboard")
        return StreamHotkey(hotkey, on_pressed, actions)
    if backend == "x11":
        return OwnHookHotkey(hotkey, on_pressed, x11.display_name(display))
    return PynputHotkeyListener(hotkey, on_pressed)
