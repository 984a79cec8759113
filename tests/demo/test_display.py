"""VirtualDisplay, MovingScene and ensure_display, with real Xvfb / openbox / ffplay processes."""

from __future__ import annotations

import os
import re

import pytest

from hindsight.demo.display import MovingScene, VirtualDisplay, ensure_display
from hindsight.recorder import x11
from hindsight.recorder.errors import CaptureError
from hindsight.recorder.video import CaptureGeometry, x11_windows
from tests.x11 import XVFB_SIZE, moving_scene, xvfb  # noqa: F401

pytestmark = pytest.mark.x11


def answers(name: str) -> bool:
    try:
        with x11.connection(name):
            return True
    except CaptureError:
        return False


def test_the_fixture_is_a_running_display_of_the_agreed_size(xvfb):
    assert re.fullmatch(r":\d+", xvfb.name)
    assert xvfb.running
    assert x11_windows.screen_geometry(xvfb.name) == CaptureGeometry(0, 0, *XVFB_SIZE)
    # the fixture must not change the environment of the test process
    assert os.environ.get("DISPLAY") != xvfb.name


def test_virtual_display_starts_on_a_free_number_and_stops_cleanly():
    with VirtualDisplay(640, 480) as one, VirtualDisplay(800, 600) as two:
        assert one.name != two.name
        assert os.path.exists(f"/tmp/.X11-unix/X{one.number}")
        assert x11_windows.screen_geometry(one.name) == CaptureGeometry(0, 0, 640, 480)
        assert x11_windows.screen_geometry(two.name) == CaptureGeometry(0, 0, 800, 600)
        assert one.env()["DISPLAY"] == one.name
        name, procs = one.name, list(one._procs)
    assert all(proc.poll() is not None for proc in procs), "Xvfb is still running"
    assert not answers(name)
    with pytest.raises(CaptureError, match="not running"):
        _ = one.name
    one.stop()  # a second stop is harmless


def test_virtual_display_with_openbox_manages_windows():
    with VirtualDisplay(640, 480, wm="openbox") as display:
        with x11.connection(display.name) as conn:
            atom = conn.intern_atom("_NET_SUPPORTING_WM_CHECK")
            assert conn.screen().root.get_full_property(atom, 0) is not None
        with MovingScene(
            display.name, (200, 100), fullscreen=False, title="Managed-Scene", position=(40, 30)
        ):
            # with a window manager the EWMH client list is what finds the window
            assert x11_windows.find_window(display.name, "managed-scene") == CaptureGeometry(
                40, 30, 200, 100
            )
        procs = list(display._procs)
        assert len(procs) == 2
    assert all(proc.poll() is not None for proc in procs)


def test_missing_xvfb_says_how_to_install_it(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(
        CaptureError, match=re.escape("Xvfb is not installed (apt-get install xvfb)")
    ):
        VirtualDisplay().start()


def test_missing_window_manager_is_named(monkeypatch, tmp_path):
    display = VirtualDisplay(320, 240, wm="no-such-wm")
    with pytest.raises(CaptureError, match="no-such-wm is not installed"):
        display.start()
    display.stop()
    assert not display.running


def test_missing_ffplay_says_how_to_install_it(monkeypatch, tmp_path, xvfb):
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(
        CaptureError, match=re.escape("ffplay is not installed (apt-get install ffmpeg)")
    ):
        MovingScene(xvfb.name).start()


def test_moving_scene_fills_the_screen_and_goes_away_on_stop(xvfb):
    with MovingScene(xvfb.name, rate=10, title="Scene-Under-Test") as scene:
        assert scene.geometry == CaptureGeometry(0, 0, *XVFB_SIZE)
        assert x11_windows.find_window(xvfb.name, "Scene-Under-Test") == scene.geometry
        proc = scene._procs[0]
        assert scene.pid == proc.pid
    assert proc.poll() is not None, "ffplay is still running"
    assert scene.pid is None
    titles = [w.title for w in x11_windows.list_windows(xvfb.name)]
    assert "Scene-Under-Test" not in titles


def test_moving_scene_fixture_is_up(moving_scene, xvfb):
    assert moving_scene.geometry == CaptureGeometry(0, 0, *XVFB_SIZE)
    assert moving_scene.title in [w.title for w in x11_windows.list_windows(xvfb.name)]


def test_broken_lavfi_pattern_reports_ffplays_error(xvfb):
    with pytest.raises(CaptureError, match="ffplay exited .*no_such_filter"):
        MovingScene(xvfb.name, pattern="no_such_filter").start()


def test_ensure_display_uses_a_requested_display_that_answers(xvfb):
    assert ensure_display(xvfb.name) == (xvfb.name, None)


def test_ensure_display_refuses_a_requested_display_that_is_dead():
    with pytest.raises(CaptureError, match="cannot connect to X display ':4243'"):
        ensure_display(":4243")


def test_ensure_display_uses_a_working_environment_display(monkeypatch, xvfb):
    monkeypatch.setenv("DISPLAY", xvfb.name)
    assert ensure_display(None) == (xvfb.name, None)


@pytest.mark.parametrize("env_display", [None, ":4244"])
def test_ensure_display_starts_xvfb_without_a_working_display(monkeypatch, env_display):
    if env_display is None:
        monkeypatch.delenv("DISPLAY", raising=False)
    else:
        monkeypatch.setenv("DISPLAY", env_display)
    name, virtual = ensure_display(None, size=(640, 360))
    try:
        assert virtual is not None and virtual.name == name
        assert x11_windows.screen_geometry(name) == CaptureGeometry(0, 0, 640, 360)
    finally:
        virtual.stop()
    assert not answers(name)
