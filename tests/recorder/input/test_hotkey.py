"""The save hotkey on one keyboard hook: parsing, matching, and real key presses on Xvfb.

The number of keyboard hooks is what the X server counts: RECORD contexts, asked
through the X-Resource extension (:func:`tests.x11.keyboard_hooks`).
"""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import pytest
from Xlib import XK, X
from Xlib import display as xdisplay
from Xlib.ext import xtest

from hindsight.actionmap.registry import MapRegistry
from hindsight.recorder.actions.capture import ActionCapture
from hindsight.recorder.errors import ConfigError
from hindsight.recorder.input.focus import NoFocusTracker
from hindsight.recorder.input.hotkey import (
    HotkeyCombo,
    HotkeyMatcher,
    NullHotkeyListener,
    OwnHookHotkey,
    StreamHotkey,
    create_hotkey,
    parse_hotkey,
)
from hindsight.recorder.input.x11_keyboard import X11KeyboardSource
from tests.recorder.actions.game_env import Keyboard, game_env
from tests.recorder.cli_proc import RecorderProcess, run_cli
from tests.recorder.input.test_pad import wait_until
from tests.x11 import keyboard_hooks, xvfb  # noqa: F401

CTRL = ("key:LeftCtrl", "key:RightCtrl")
SHIFT = ("key:LeftShift", "key:RightShift")


# -- parsing and matching -------------------------------------------------------------------


def test_hotkeys_parse_to_physical_key_names() -> None:
    assert parse_hotkey("F8") == HotkeyCombo("key:F8")
    assert parse_hotkey("ctrl+shift+s") == HotkeyCombo("key:S", (CTRL, SHIFT))
    assert parse_hotkey(" Win + Page_Up ") == HotkeyCombo(
        "key:PageUp", (("key:LeftMeta", "key:RightMeta"),)
    )
    assert parse_hotkey("alt_gr+1") == HotkeyCombo("key:1", (("key:RightAlt",),))
    for bad in ("ctrl+", "s+ctrl", "ctrl+shift", "f25", "ctrl+ä"):
        with pytest.raises(ConfigError, match="hotkey"):
            parse_hotkey(bad)


def test_matcher_fires_once_per_press_with_its_modifiers_held() -> None:
    m = HotkeyMatcher(parse_hotkey("ctrl+shift+s"))
    assert not m.feed("key:S", True)  # no modifiers
    assert not m.feed("key:S", False)
    assert not m.feed("key:RightCtrl", True)
    assert not m.feed("key:S", True)  # shift missing
    m.feed("key:S", False)
    assert not m.feed("key:LeftShift", True)
    assert not m.feed("key:W", True)  # other keys are ignored, as in pynput
    assert m.feed("key:S", True)
    assert not m.feed("key:S", True)  # autorepeat does not fire again
    m.feed("key:S", False)
    assert m.feed("key:S", True)  # a new press does
    m.feed("key:RightCtrl", False)
    m.feed("key:S", False)
    assert not m.feed("key:S", True)  # ctrl released


def test_create_hotkey_picks_one_hook(monkeypatch) -> None:
    monkeypatch.delenv("HINDSIGHT_HOTKEY_BACKEND", raising=False)
    assert isinstance(create_hotkey(None, lambda: None), NullHotkeyListener)
    own = create_hotkey("F8", lambda: None, None, display=":4242")
    assert isinstance(own, OwnHookHotkey) and own.display == ":4242"
    not_started = ActionCapture(
        MapRegistry([]), buffer_seconds=5, sources=[], focus=NoFocusTracker()
    )
    assert isinstance(create_hotkey("F8", lambda: None, not_started), OwnHookHotkey)
    monkeypatch.setenv("HINDSIGHT_HOTKEY_BACKEND", "none")
    assert isinstance(create_hotkey("F8", lambda: None, None), NullHotkeyListener)
    monkeypatch.setenv("HINDSIGHT_HOTKEY_BACKEND", "input")
    with pytest.raises(ConfigError, match="input capture is off"):
        create_hotkey("F8", lambda: None, None)
    monkeypatch.setenv("HINDSIGHT_HOTKEY_BACKEND", "evdev")
    with pytest.raises(ConfigError, match="HINDSIGHT_HOTKEY_BACKEND='evdev'"):
        create_hotkey("F8", lambda: None, None)


def test_own_hook_without_a_display_is_a_one_line_config_error() -> None:
    with pytest.raises(
        ConfigError, match=r"keyboard hook.*cannot connect to X display ':4241'"
    ) as info:
        OwnHookHotkey("F8", lambda: None, ":4241").start()
    assert "\n" not in str(info.value)


# -- real keys on Xvfb ----------------------------------------------------------------------


def press(conn: xdisplay.Display, *keysyms: str) -> None:
    """Hold ``keysyms`` in order, then release them in reverse, through XTest."""
    codes = [conn.keysym_to_keycode(XK.string_to_keysym(k)) for k in keysyms]
    for code in codes:
        xtest.fake_input(conn, X.KeyPress, code)
    for code in reversed(codes):
        xtest.fake_input(conn, X.KeyRelease, code)
    conn.sync()


@pytest.mark.x11
def test_hotkey_rides_the_input_stream_with_no_hook_of_its_own(xvfb) -> None:  # noqa: F811
    pressed = threading.Event()
    presses: list[int] = []
    # Nothing has focus: every input is dropped as unfocused, and the hotkey still fires.
    capture = ActionCapture(
        MapRegistry([]),
        buffer_seconds=5,
        sources=[X11KeyboardSource(xvfb.name)],
        focus=NoFocusTracker(),
    )
    capture.start()
    conn = xdisplay.Display(xvfb.name)
    try:
        hotkey = create_hotkey("ctrl+F8", lambda: (presses.append(1), pressed.set()), capture)
        assert isinstance(hotkey, StreamHotkey)
        hotkey.start()
        assert keyboard_hooks(xvfb.name) == 1  # the input source's, and no other
        press(conn, "F8")
        press(conn, "Control_L", "F8")
        assert pressed.wait(3)
        time.sleep(0.2)
        assert presses == [1]
        assert capture.status()["inputs"]["unfocused_dropped"] >= 6  # actions obey focus
        hotkey.stop()
        press(conn, "Control_L", "F8")
        time.sleep(0.3)
        assert presses == [1]
    finally:
        conn.close()
        capture.stop()
    assert keyboard_hooks(xvfb.name) == 0


@pytest.mark.x11
def test_own_hook_without_input_capture(xvfb) -> None:  # noqa: F811
    pressed = threading.Event()
    hotkey = create_hotkey("F8", pressed.set, None, display=xvfb.name)
    assert isinstance(hotkey, OwnHookHotkey)
    hotkey.start()
    conn = xdisplay.Display(xvfb.name)
    try:
        assert keyboard_hooks(xvfb.name) == 1
        press(conn, "F7")
        time.sleep(0.2)
        assert not pressed.is_set()
        press(conn, "F8")
        assert pressed.wait(3)
    finally:
        conn.close()
        hotkey.stop()
    assert keyboard_hooks(xvfb.name) == 0


def _saved(rec: RecorderProcess) -> Path:
    path = Path(rec.wait_line("saved ", timeout_s=20).removeprefix("saved "))
    assert path.is_dir() and (path / "manifest.json").is_file()
    return path


@pytest.mark.x11
def test_recorder_hears_f8_on_one_hook_in_chat_and_without_input() -> None:
    with game_env(None) as env:
        kb = Keyboard(env.name)
        try:
            rec = env.record(
                "--fps", "10", "--buffer-seconds", "5", "--clip-seconds", "2", hotkey=True
            )
            try:
                assert keyboard_hooks(env.name) == 1
                kb.tap("t")  # the game's chat: a marker context, input is redacted
                wait_until(
                    lambda: (
                        json.loads(run_cli("status", "--json").stdout)["actions"]["context"]
                        == "chat"
                    ),
                    5,
                )
                kb.tap("F8")
                _saved(rec)
                kb.d.set_input_focus(X.NONE, X.RevertToNone, X.CurrentTime)  # nothing has focus
                kb.d.sync()
                wait_until(
                    lambda: (
                        json.loads(run_cli("status", "--json").stdout)["actions"]["game_id"] is None
                    ),
                    5,
                )
                kb.tap("F8")
                _saved(rec)
            finally:
                rec.kill()
            rec = RecorderProcess(
                "--display",
                env.name,
                "--region",
                "0,0,640,360",
                "--fps",
                "10",
                "--buffer-seconds",
                "5",
                "--clip-seconds",
                "2",
                "--no-input",
                env=env.env,
            )
            try:
                rec.wait_line("recording ")
                assert keyboard_hooks(env.name) == 1  # the hotkey's own, and only that
                kb.tap("F8")
                _saved(rec)
            finally:
                rec.kill()
        finally:
            kb.close()
