"""The hotkey field names a key by its place on the board, as the recorder matches it: on a French
(AZERTY) layout the key printed A is ``q``. Real X key events on an Xvfb of its own."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator

import pytest

from hindsight.demo.display import VirtualDisplay

pytestmark = pytest.mark.x11

_PROBE = """
import sys
from PyQt6.QtWidgets import QApplication
from hindsight.app.desktop.hotkey_edit import HotkeyEdit
app = QApplication(sys.argv[:1])
edit = HotkeyEdit()
edit.setWindowTitle("hotkey-probe")
edit.hotkey_changed.connect(lambda text: (print(text, flush=True), app.quit()))
edit.show()
edit.activateWindow()
edit.setFocus()
print("ready", flush=True)
app.exec()
"""


@pytest.fixture
def display() -> Iterator[VirtualDisplay]:
    # Its own server: the layout is changed, and other tests expect a US keyboard.
    xvfb = VirtualDisplay(640, 480).start()
    try:
        yield xvfb
    finally:
        xvfb.stop()


@pytest.mark.parametrize(
    ("layout", "keys", "expected"),
    [("us", "ctrl+a", "ctrl+a"), ("fr", "ctrl+a", "ctrl+q"), ("fr", "shift+ampersand", "shift+1")],
)
def test_keys_are_named_by_their_us_position(display, layout, keys, expected) -> None:
    env = {**os.environ, "DISPLAY": display.name, "QT_QPA_PLATFORM": "xcb"}
    subprocess.run(["setxkbmap", "-display", display.name, layout], check=True, env=env)
    probe = subprocess.Popen(
        [sys.executable, "-c", _PROBE], stdout=subprocess.PIPE, text=True, env=env
    )
    try:
        assert probe.stdout is not None and probe.stdout.readline().strip() == "ready"
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            found = subprocess.run(
                ["xdotool", "search", "--name", "hotkey-probe", "windowfocus", "--sync"],
                env=env,
                capture_output=True,
                timeout=10,
            )
            if found.returncode == 0:
                break
            time.sleep(0.2)
        subprocess.run(["xdotool", "key", "--delay", "50", keys], env=env, check=True)
        out, _ = probe.communicate(timeout=20)
        assert out.strip() == expected
    finally:
        probe.kill()
        probe.wait()
