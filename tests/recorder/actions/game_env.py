"""An X display with the test game on it, for end-to-end action tests (with or without a WM)."""

from __future__ import annotations

import contextlib
import json
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from Xlib import XK, X, display
from Xlib.ext import xtest

from hindsight.demo.display import VirtualDisplay, child_env
from tests.recorder.cli_proc import RecorderProcess, run_cli

MAPS_DIR = Path(__file__).parent / "maps"
GAME_TITLE = "Secret Window Title 9876"  # must never reach an artifact (window titles are private)


@dataclass
class GameEnv:
    display: VirtualDisplay
    game: subprocess.Popen
    window_id: int
    wm: str | None

    @property
    def name(self) -> str:
        return self.display.name

    @property
    def env(self) -> dict[str, str]:
        return child_env(self.name)

    def record(self, *args: str, verbose: int = 0, hotkey: bool = False) -> RecorderProcess:
        """``hindsight record`` of the game's window, returned once it has recognised the game."""
        no_hotkey = () if hotkey else ("--no-hotkey",)
        rec = RecorderProcess(
            "--display",
            self.name,
            "--region",
            "0,0,640,360",
            *no_hotkey,
            "--maps-dir",
            str(MAPS_DIR),
            *args,
            env=self.env,
            verbose=verbose,
        )
        try:
            rec.wait_line("recording ")
            deadline = time.monotonic() + 10
            while json.loads(run_cli("status", "--json").stdout)["actions"]["game_id"] is None:
                assert time.monotonic() < deadline, "the test game was not recognised"
                time.sleep(0.2)
        except BaseException:
            rec.kill()
            raise
        return rec

    def focus(self, window_id: int | None = None) -> None:
        wid = str(window_id or self.window_id)
        cmd = (
            ["xdotool", "windowactivate", "--sync", wid]
            if self.wm
            else ["xdotool", "windowfocus", "--sync", wid]
        )
        subprocess.run(cmd, env=self.env, check=True, timeout=10)


def start_game(
    display_name: str,
    name: str = "hs-testgame",
    size: str = "640x360",
    position: str = "0,0",
    title: str = GAME_TITLE,
) -> tuple[subprocess.Popen, int]:
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "hindsight.demo.game",
            "--display",
            display_name,
            "--name",
            name,
            "--size",
            size,
            "--position",
            position,
            "--title",
            title,
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    line = proc.stdout.readline()
    if not line.startswith("ready "):
        proc.kill()
        raise RuntimeError(f"test game did not start: {line!r}")
    return proc, int(line.split()[1])


@contextlib.contextmanager
def game_env(wm: str | None) -> Iterator[GameEnv]:
    with VirtualDisplay(1280, 720, wm=wm) as vd:
        game, wid = start_game(vd.name)
        try:
            env = GameEnv(vd, game, wid, wm)
            env.focus()
            yield env
        finally:
            game.kill()
            game.wait(10)


class Keyboard:
    """Real key events through XTest, by physical key code (like a real keyboard)."""

    def __init__(self, display_name: str) -> None:
        self.d = display.Display(display_name)

    def keycode(self, keysym_name: str) -> int:
        return self.d.keysym_to_keycode(XK.string_to_keysym(keysym_name))

    def tap(self, keysym_name: str, hold_s: float = 0.03) -> None:
        code = self.keycode(keysym_name)
        xtest.fake_input(self.d, X.KeyPress, code)
        self.d.sync()
        time.sleep(hold_s)
        xtest.fake_input(self.d, X.KeyRelease, code)
        self.d.sync()

    def warp(self, x: int, y: int) -> None:
        """Place the pointer as a game does (XWarpPointer): not motion the player made."""
        self.d.screen().root.warp_pointer(x, y)
        self.d.sync()

    def mouse_move(self, dx: int, dy: int) -> None:
        xtest.fake_input(self.d, X.MotionNotify, True, x=dx, y=dy)
        self.d.sync()

    def click(self, button: int = 1) -> None:
        xtest.fake_input(self.d, X.ButtonPress, button)
        self.d.sync()
        time.sleep(0.03)
        xtest.fake_input(self.d, X.ButtonRelease, button)
        self.d.sync()

    def close(self) -> None:
        self.d.close()
