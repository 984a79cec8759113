"""The desktop app as a player uses it: ``hindsight`` on a desktop with a tray and notifications.

Real parts only: Xvfb, trayer (an XEmbed tray host), dunst (a notification server) on
a private D-Bus session bus, the session's PulseAudio server, and ``hindsight`` run
as a program. F8 is pressed with xdotool; notifications are read back from dunst and
the chime is measured on the null sink's monitor with parec.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import numpy as np
import pytest

from hindsight.recorder.control import create_client
from hindsight.recorder.errors import RecorderNotRunning
from tests.app.desktop.desktop_env import (  # noqa: F401
    AppProcess,
    DesktopSession,
    app_env,
    desktop,
    need,
    wait_for,
)
from tests.audio_server import SYSTEM_SINK

pytestmark = [pytest.mark.x11, pytest.mark.slow]

START_S = 60


def _status() -> dict:
    return create_client().request({"cmd": "status"}, timeout_s=10)


def _stop_recorder() -> None:
    try:
        pid = _status()["pid"]
        create_client().request({"cmd": "stop"}, timeout_s=10)
    except RecorderNotRunning:
        return
    wait_for(lambda: not _alive(pid), 20)


def _diagnosis(app: AppProcess) -> str:
    events = create_client().request({"cmd": "events", "after": 0}, timeout_s=10)
    return f"{app.output()}\nstatus: {_status()}\nevents: {events}"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.fixture
def app(app_env, tmp_path: Path):  # noqa: F811
    process = AppProcess(app_env, tmp_path / "app.log")
    try:
        assert process.wait_line("state: recording", START_S), process.output()
        yield process
    finally:
        process.stop()
        _stop_recorder()


class ChimeMeter:
    """parec on the default sink's monitor: what a player would hear, as float samples.

    Written to a file, not a pipe: a pipe left unread fills in well under a second.
    """

    def __init__(self, path: Path) -> None:
        need("parec")
        self.path = path
        self._out = open(path, "wb")  # noqa: SIM115
        self.proc = subprocess.Popen(
            ["parec", "-d", f"{SYSTEM_SINK}.monitor", "--format=s16le", "--rate=48000",
             "--channels=1", "--latency-msec=20", "--raw"],
            stdout=self._out,
        )  # fmt: skip

    def stop(self) -> np.ndarray:
        self.proc.send_signal(signal.SIGINT)
        self.proc.wait(10)
        self._out.close()
        return np.frombuffer(self.path.read_bytes(), "<i2").astype(np.float32) / 32768


def _loudest_rms(pcm: np.ndarray, window: int = 960) -> float:
    usable = len(pcm) // window * window
    if usable == 0:
        return 0.0
    frames = pcm[:usable].reshape(-1, window)
    return float(np.sqrt((frames**2).mean(axis=1)).max())


def test_tray_icon_and_f8_save_with_notification_and_chime(app, desktop, app_env, tmp_path):  # noqa: F811
    assert wait_for(desktop.tray_icons, 10), "the icon did not dock in the tray:\n" + app.output()
    before = len(desktop.notifications())
    quiet = ChimeMeter(tmp_path / "quiet.raw")
    # parec takes a moment to connect on a busy machine: listen until a second is heard
    assert wait_for(lambda: quiet.path.stat().st_size >= 48_000 * 2, 10)
    silence = quiet.stop()
    assert len(silence) > 48_000 * 0.8 and _loudest_rms(silence) < 0.01  # silent before the save

    meter = ChimeMeter(tmp_path / "heard.raw")
    assert wait_for(lambda: meter.path.stat().st_size >= 48_000, 10)  # listening before F8
    mark = len(app.output())
    desktop.run("xdotool", "key", "F8")
    assert wait_for(lambda: desktop.displayed() > 0, 30), _diagnosis(app)
    # The recorder's own hotkey, yet the tray showed "saving" while the clip was written.
    assert app.wait_line("state: saving", 10, after=mark), app.output()
    saving_at = app.output().index("state: saving", mark)
    assert app.wait_line("state: recording", 10, after=saving_at), app.output()
    time.sleep(4.0)  # the chime is 150 ms; a busy machine may start it late
    heard = meter.stop()
    assert len(heard) > 48_000 * 3  # the whole time was heard, not the first moment
    assert _loudest_rms(heard) > 0.05, (
        f"the chime was not heard on the default sink: {app.output()}"
    )

    # Clicking the notification opens the clip (the "default" action, as dunst does on a click).
    desktop.dunstctl("action", "0")
    opened = tmp_path / "opened.txt"
    assert wait_for(opened.exists, 10)
    clip_video = Path(opened.read_text().strip())
    assert clip_video.name == "video.mp4" and clip_video.exists()
    assert clip_video.parent.parent == Path(app_env["HINDSIGHT_CLIPS_DIR"])

    shown = desktop.notifications()[before:]
    assert [n["summary"] for n in shown] == ["Clip saved"]
    assert shown[0]["appname"] == "Hindsight"
    assert clip_video.parent.name in shown[0]["body"]

    # Its "Show in folder" action (picked from dunst's action menu) opens the clip's folder.
    desktop.run("xdotool", "key", "F8")
    assert wait_for(lambda: desktop.displayed() > 0, 30), app.output()
    desktop.dunstctl("context")
    assert wait_for(lambda: len(opened.read_text().splitlines()) == 2, 10)
    folder = Path(opened.read_text().splitlines()[1])
    assert folder.is_dir() and (folder / "video.mp4").exists() and folder != clip_video.parent


def test_second_app_brings_the_first_to_front_and_exits(app, app_env, tmp_path):  # noqa: F811
    second = AppProcess(app_env, tmp_path / "second.log")
    assert second.proc.wait(30) == 0
    second.stop()
    assert "the app is already running" in second.output()
    assert app.wait_line("another `hindsight` asked for the clip library", 10), app.output()
    # Only one recorder, still the first app's.
    assert app.output().count("starting the recorder") == 1


def test_killed_app_leaves_the_recorder_and_the_next_app_attaches(app, desktop, app_env, tmp_path):  # noqa: F811
    time.sleep(2)
    pid, buffered = _status()["pid"], _status()["buffer"]["seconds"]
    app.kill()
    time.sleep(1.5)
    status = _status()  # still answering, same process, buffer intact and growing
    assert status["pid"] == pid and status["state"] == "recording"
    assert status["buffer"]["seconds"] > buffered
    again = AppProcess(app_env, tmp_path / "again.log")
    try:
        assert again.wait_line("state: recording", START_S), again.output()
        assert "starting the recorder" not in again.output()
        assert wait_for(desktop.tray_icons, 10)
        assert _status()["pid"] == pid
    finally:
        again.stop()


def test_killed_recorder_shows_the_error_and_tells_the_player(app, desktop):  # noqa: F811
    before = len(desktop.notifications())
    os.kill(_status()["pid"], signal.SIGKILL)
    assert app.wait_line("state: error", 10), app.output()
    shown = desktop.notifications()[before:]
    assert [n["summary"] for n in shown] == ["Recording stopped"]
    assert shown[0]["body"].startswith("The recorder stopped")
    assert shown[0]["body"].endswith("Restart it from the tray menu.")


def _library_window(desktop: DesktopSession) -> bool:
    """Whether the clip library's window is on ``desktop``'s screen (asked of the X server)."""
    found = desktop.run(
        "xdotool", "search", "--onlyvisible", "--name", "^Hindsight clips$", check=False
    )
    return bool(found and found.strip())


def test_tray_menu_by_clicking(app, desktop):  # noqa: F811
    icons = wait_for(desktop.tray_icons, 10)
    assert icons
    _, x, y, w, h = icons[0]
    # A left click opens the clip library: its window appears on the screen.
    assert not _library_window(desktop)
    desktop.run("xdotool", "mousemove", str(x + w // 2), str(y + h // 2), "click", "1")
    assert wait_for(lambda: _library_window(desktop), 20), app.output()
    before = len(desktop.notifications())
    desktop.run("xdotool", "mousemove", str(x + w // 2), str(y + h // 2), "click", "3")
    menu = wait_for(
        lambda: desktop.run(
            "xdotool", "search", "--onlyvisible", "--class", "hindsight", check=False
        ),
        10,
    )
    assert menu, "the menu did not open"
    # The first item a player can pick is "Save clip (F8)".
    desktop.run("xdotool", "key", "Down", "Return")
    assert app.wait_line("clip saved: ", 20), app.output()
    # the line is written as the notification is sent: dunst may show it a moment later
    assert wait_for(lambda: desktop.notifications()[before:], 10), app.output()
    shown = desktop.notifications()[before:]
    assert [n["summary"] for n in shown] == ["Clip saved"]


def test_without_a_tray_host_the_app_says_so_once_and_keeps_recording(
    isolated_user_dirs, tmp_path
) -> None:
    bare = DesktopSession(tmp_path / "bare", tray=False).start()  # no trayer on this one
    env = {
        **bare.env,
        **{k: os.environ[k] for k in os.environ if k.startswith("HINDSIGHT_")},
        "HINDSIGHT_RECORD_ARGS": "--fps 30 --buffer-seconds 10 --bitrate 4M --overlay-port 0",
    }
    app = AppProcess(env, tmp_path / "app.log")
    try:
        assert app.wait_line("state: recording", START_S), app.output()
        said = [line for line in app.output().splitlines() if "no system tray here (" in line]
        assert said == [
            "hindsight: there is no system tray here (on GNOME, add the AppIndicator "
            "extension); the clip library window stands in for it"
        ]
        assert wait_for(lambda: _library_window(bare), 20), app.output()
        assert wait_for(lambda: bare.displayed() > 0, 10)
        assert [n["body"] for n in bare.notifications()] == [
            "There is no system tray here, so the clip library window is open."
        ]
    finally:
        app.stop()
        _stop_recorder()
        bare.stop()
