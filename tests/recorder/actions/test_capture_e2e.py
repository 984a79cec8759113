"""Action capture end to end: a virtual SDL controller, focus leaving the game, broken user maps."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
import sdl2

from hindsight.actionmap.registry import MapRegistry
from hindsight.recorder.actions.capture import ActionCapture
from hindsight.recorder.actions.events import ActionEvent, ContextEvent
from hindsight.recorder.input import SdlPadSource, X11KeyboardSource
from hindsight.recorder.input.focus import FixedFocusTracker, ForegroundApp, create_focus_tracker
from tests.recorder.actions.game_env import MAPS_DIR, Keyboard, game_env, start_game
from tests.recorder.cli_proc import RecorderProcess, run_cli
from tests.recorder.input.test_pad import VirtualPad, wait_until

GAME_APP = ForegroundApp(pid=1, names=("hs-testgame",), steam_appid=None, window_id=1)


def actions(capture: ActionCapture, name: str) -> list[tuple]:
    state_events = capture.timeline.cut(0, 2**62).events
    return [
        (e.edge, round(e.x, 3), round(e.y, 3))
        for e in state_events
        if isinstance(e, ActionEvent) and e.action == name
    ]


def test_virtual_controller_gives_the_right_actions() -> None:
    registry = MapRegistry([MAPS_DIR])
    source = SdlPadSource()
    capture = ActionCapture(
        registry, buffer_seconds=30, sources=[source], focus=FixedFocusTracker(GAME_APP)
    )
    capture.start()
    try:
        assert capture.game is not None and capture.game.id == "test.hs-testgame"
        pad = VirtualPad(source)
        wait_until(lambda: source.connected == 1)
        pad.button(sdl2.SDL_CONTROLLER_BUTTON_A, True)
        wait_until(lambda: actions(capture, "jump") == [("press", 1.0, 0.0)])
        pad.button(sdl2.SDL_CONTROLLER_BUTTON_A, False)
        wait_until(lambda: actions(capture, "jump")[-1][0] == "release")
        pad.axes(leftx=32767, lefty=-32768)  # full right and full up (SDL's y grows downward)
        wait_until(
            lambda: actions(capture, "move") and actions(capture, "move")[-1][1:] == (0.707, 0.707)
        )
        pad.axes(righttrigger=32767)
        wait_until(lambda: actions(capture, "attack") == [("press", 1.0, 0.0)])
        pad.axes(lefttrigger=0)  # a virtual trigger spans the joystick range: 0 is half-pulled
        wait_until(
            lambda: (
                actions(capture, "throttle")
                and actions(capture, "throttle")[-1][1] == pytest.approx(0.5, abs=0.01)
            )
        )
        pad.axes(leftx=0, lefty=0)
        wait_until(lambda: actions(capture, "move")[-1][1:] == (0.0, 0.0))
        assert capture.status()["inputs"]["translated"] >= 5
    finally:
        capture.stop()


@pytest.mark.x11
@pytest.mark.parametrize("wm", ["openbox", None], ids=["openbox", "no-wm"])
def test_focus_leaving_the_game_drops_input(wm: str | None) -> None:
    with game_env(wm) as env:
        other, other_id = start_game(env.name, name="hs-notagame", position="640,0", title="Other")
        env.focus()  # a window manager gives a new window the focus
        registry = MapRegistry([MAPS_DIR])
        capture = ActionCapture(
            registry,
            buffer_seconds=30,
            sources=[X11KeyboardSource(env.name)],
            focus=create_focus_tracker(env.name),
        )
        capture.start()
        kb = Keyboard(env.name)
        try:
            wait_until(lambda: capture.game is not None, 5)
            kb.tap("space")
            wait_until(lambda: len(actions(capture, "jump")) == 2)
            env.focus(other_id)
            wait_until(lambda: capture.game is None, 5)
            for _ in range(3):
                kb.tap("space")
            time.sleep(0.3)
            assert len(actions(capture, "jump")) == 2  # nothing while another app has focus
            assert capture.status()["inputs"]["unfocused_dropped"] >= 6
            contexts = [
                e.context
                for e in capture.timeline.cut(0, 2**62).events
                if isinstance(e, ContextEvent)
            ]
            assert contexts[-1] == "unfocused"
            env.focus()
            wait_until(lambda: capture.game is not None, 5)
            kb.tap("space")
            wait_until(lambda: len(actions(capture, "jump")) == 4)
        finally:
            kb.close()
            capture.stop()
            other.kill()
            other.wait(10)


@pytest.mark.x11
def test_broken_user_map_is_reported_and_shipped_maps_still_work(
    isolated_user_dirs, tmp_path: Path
) -> None:
    user_maps = isolated_user_dirs["config"] / "action_maps"
    user_maps.mkdir(parents=True)
    broken = user_maps / "broken.toml"
    broken.write_text(
        'schema = "hindsight.actionmap/1"\nid = "me.broken"\nversion = "1.0"\ntitle = "B"\n'
        '[match]\nexe = ["x"]\n[actions]\njump = { kind = "button", label = "J" }\n'
        '[sets.gameplay]\nbind = [ { action = "jump", source = "key:Spcae" } ]\n'
    )
    listing = run_cli("maps", "list")
    assert listing.returncode == 0
    assert "valve.counter-strike-2" in listing.stdout and "rockstar.gta-v" in listing.stdout
    warning = [line for line in listing.stderr.splitlines() if "broken.toml" in line]
    assert len(warning) == 1 and "version" in warning[0]
    validate = run_cli("maps", "validate", str(broken))
    assert validate.returncode == 1 and validate.stderr.count("\n") == 1
    with game_env(None) as env:
        rec = RecorderProcess(
            "--display",
            env.name,
            "--region",
            "0,0,640,360",
            "--fps",
            "30",
            "--no-hotkey",
            "--maps-dir",
            str(MAPS_DIR),
            env=env.env,
        )
        try:
            line = rec.wait_line("recording ")
            assert "game maps" in line
            status = json.loads(run_cli("status", "--json").stdout)
            assert status["actions"]["maps"] >= 13  # 12 shipped + the test game's
            assert any("broken.toml" in line and "skipped" in line for line in rec.stderr)
        finally:
            rec.kill()
