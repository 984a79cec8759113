"""The tray menu's actions, triggered in the app itself (pytest-qt), against a real recorder.

The app runs in this process on the test desktop (Xvfb, trayer, dunst); its recorder is
a real ``hindsight record`` child. The windows built elsewhere (library, settings,
consent) are stood in for by a small window class handed to the app's constructor.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import pytest

from hindsight.recorder.control import create_client
from hindsight.recorder.errors import ControlError, RecorderNotRunning
from tests.app.desktop.desktop_env import RECORD_ARGS, DesktopSession, desktop, wait_for  # noqa: F401
from tests.recorder.cli_proc import run_cli

pytestmark = [pytest.mark.x11, pytest.mark.slow]

START_MS = 60_000


@pytest.fixture(scope="session")
def qapp_args(desktop: DesktopSession) -> list[str]:  # noqa: F811
    # pytest-qt builds its QApplication after this: on the test desktop and its bus.
    os.environ.update(desktop.env)
    return [sys.argv[0], "-platform", "xcb"]


@pytest.fixture
def windows():
    from PyQt6.QtWidgets import QWidget

    made: dict[str, list[QWidget]] = {"library": [], "settings": [], "consent": []}

    def factory(name: str):
        class StandIn(QWidget):
            def __init__(self, parent=None) -> None:
                super().__init__(parent)
                self.setWindowTitle(f"stand-in {name}")
                made[name].append(self)

        return StandIn

    return made, {name: factory(name) for name in made}


@pytest.fixture
def desktop_app(qtbot, qapp, desktop, isolated_user_dirs, windows, monkeypatch):  # noqa: F811
    from hindsight.app.desktop.app import DesktopApp

    monkeypatch.setenv("HINDSIGHT_RECORD_ARGS", RECORD_ARGS)
    apps: list[DesktopApp] = []

    def make(**kwargs) -> DesktopApp:
        app = DesktopApp(windows=windows[1], **kwargs)
        apps.append(app)
        app.start()
        return app

    try:
        yield make
    finally:
        for app in apps:
            app.close()
        try:
            create_client().request({"cmd": "stop"}, timeout_s=10)
        except RecorderNotRunning:
            pass
        for app in apps:
            child = app.supervisor._child
            if child is not None:
                child.wait(20)


def _recording(app) -> bool:
    return app.view.state == "recording"


def test_menu_saves_pauses_resumes_and_opens_windows(desktop_app, qtbot, desktop, windows):  # noqa: F811
    made, _ = windows
    app = desktop_app()
    qtbot.waitUntil(lambda: _recording(app), timeout=START_MS)
    assert app.tray.icon.isVisible() and app.tray.state == "recording"
    assert app.tray.save_clip.text() == "Save clip (F8)"
    assert app.tray.quit.text() == "Quit (stops recording)"
    assert "in the buffer" in app.tray.icon.toolTip()
    # First run: nothing recorded about consent, so the consent dialog is up.
    # (asked in a short-lived child process that opens the library: seconds on a busy machine)
    qtbot.waitUntil(
        lambda: bool(made["consent"]) and made["consent"][0].isVisible(), timeout=30_000
    )

    before = len(desktop.notifications())
    app.tray.save_10.trigger()
    qtbot.waitUntil(lambda: desktop.displayed() > 0, timeout=20_000)
    shown = desktop.notifications()[before:]
    assert [n["summary"] for n in shown] == ["Clip saved"], shown

    app.tray.pause.trigger()
    qtbot.waitUntil(lambda: app.view.state == "paused", timeout=20_000)
    assert app.tray.pause.text() == "Resume recording" and app.tray.state == "paused"
    assert not app.tray.save_clip.isEnabled()
    status = run_cli("status")
    assert status.stdout.splitlines()[0] == "state      paused"
    app.tray.pause.trigger()
    qtbot.waitUntil(lambda: _recording(app), timeout=20_000)
    assert app.tray.pause.text() == "Pause recording"

    # The CLI pauses the same recorder; the tray follows.
    assert run_cli("pause").returncode == 0
    qtbot.waitUntil(lambda: app.view.state == "paused", timeout=5_000)
    assert run_cli("resume").returncode == 0
    qtbot.waitUntil(lambda: _recording(app), timeout=5_000)

    app.tray.library.trigger()
    app.tray.settings.trigger()
    assert made["library"][0].isVisible() and made["settings"][0].isVisible()
    app.tray.library.trigger()
    assert len(made["library"]) == 1  # raised again, not built again

    app.tray.overlay.trigger()
    overlay = app._overlay
    assert overlay is not None and app.tray.overlay.isChecked()
    app.tray.overlay.trigger()
    assert overlay.poll() is not None and not app.tray.overlay.isChecked()
    # Closed by itself (its window closed, it crashed): the tick follows.
    app.tray.overlay.trigger()
    overlay = app._overlay
    assert overlay is not None and app.tray.overlay.isChecked()
    overlay.kill()
    qtbot.waitUntil(lambda: not app.tray.overlay.isChecked(), timeout=5_000)
    assert app._overlay is None

    pid = create_client().request({"cmd": "status"})["pid"]
    app.tray.quit.trigger()
    assert not app.tray.icon.isVisible()
    assert wait_for(lambda: _gone(pid), 20), "Quit did not stop the recorder"


def _gone(pid: int) -> bool:
    try:
        create_client().request({"cmd": "status"}, timeout_s=2)
    except RecorderNotRunning:
        pass
    except ControlError:
        return False  # stopping: it closed the connection mid-answer
    else:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def test_dead_recorder_is_an_error_and_restart_records_again(desktop_app, qtbot, desktop):  # noqa: F811
    app = desktop_app()
    qtbot.waitUntil(lambda: _recording(app), timeout=START_MS)
    pid = create_client().request({"cmd": "status"})["pid"]
    before = len(desktop.notifications())
    os.kill(pid, signal.SIGKILL)
    qtbot.waitUntil(lambda: app.view.state == "error", timeout=10_000)
    assert app.tray.state == "error" and app.tray.restart.isVisible()
    assert app.tray.icon.toolTip().startswith("Hindsight: Not recording: the recorder stopped")
    assert [n["summary"] for n in desktop.notifications()[before:]] == ["Recording stopped"]
    app.tray.restart.trigger()
    qtbot.waitUntil(lambda: _recording(app), timeout=START_MS)
    assert create_client().request({"cmd": "status"})["pid"] != pid
    assert not app.tray.restart.isVisible()


def test_without_a_tray_the_library_window_stands_in(desktop_app, qtbot, desktop, windows, capfd):  # noqa: F811
    made, _ = windows
    before = len(desktop.notifications())
    app = desktop_app(tray_available=False)
    assert made["library"] and made["library"][0].isVisible()
    assert not app.tray.icon.isVisible()
    err = capfd.readouterr().err
    assert err.count("there is no system tray here") == 1
    qtbot.waitUntil(lambda: _recording(app), timeout=START_MS)
    bodies = [n["body"] for n in desktop.notifications()[before:]]
    assert "There is no system tray here, so the clip library window is open." in bodies


def _pid() -> int | None:
    try:
        return create_client().request({"cmd": "status"}, timeout_s=5)["pid"]
    except ControlError:
        return None


def test_saved_settings_that_need_a_new_recorder_restart_it(desktop_app, qtbot, desktop, windows):  # noqa: F811
    from PyQt6.QtTest import QTest

    from hindsight.app.desktop.settings_window import SettingsWindow

    windows[1]["settings"] = SettingsWindow  # the real window, with the real app
    app = desktop_app()
    qtbot.waitUntil(lambda: _recording(app), timeout=START_MS)
    pid = _pid()
    window = app.show_settings()
    assert isinstance(window, SettingsWindow)
    before = len(desktop.notifications())
    editor = window.fields["record.clip_seconds"].editor
    editor.clear()
    QTest.keyClicks(editor, "20")
    qtbot.waitUntil(lambda: window.save_button.isEnabled())
    window.save_button.click()
    qtbot.waitUntil(lambda: _pid() not in (None, pid) and _recording(app), timeout=START_MS)
    bodies = [n["body"] for n in desktop.notifications()[before:]]
    assert any(b.startswith("Settings saved. Recording restarts") for b in bodies), bodies
    assert "Recording stopped" not in [n["summary"] for n in desktop.notifications()[before:]]
    window.close()


def test_missing_windows_say_so_once_and_do_nothing(qtbot, qapp, caplog, monkeypatch):
    from hindsight.app.desktop import windows as window_modules
    from hindsight.app.desktop.app import DesktopApp

    # As in a build without these windows: their modules cannot be found.
    monkeypatch.setitem(window_modules.WINDOWS, "library", ("no_library_window", "LibraryWindow"))
    monkeypatch.setitem(
        window_modules.WINDOWS, "settings", ("no_settings_window", "SettingsWindow")
    )

    app = DesktopApp(windows={})  # not started: no recorder needed
    assert app.show_library() is None and app.show_library() is None
    assert app.show_settings() is None
    said = [r.getMessage() for r in caplog.records if "not part of this build" in r.getMessage()]
    assert said == [
        "the library window is not part of this build",
        "the settings window is not part of this build",
    ]
    app.tray.hide()


def test_chime_asset_is_short_and_pleasant() -> None:
    import wave

    from hindsight.app.desktop.feedback import chime_path

    with wave.open(str(chime_path())) as w:
        seconds = w.getnframes() / w.getframerate()
        assert w.getframerate() == 48_000 and w.getsampwidth() == 2
    assert 0.1 <= seconds <= 0.2


def test_bare_hindsight_without_a_display_is_one_line(isolated_user_dirs) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    result = subprocess.run(
        [sys.executable, "-m", "hindsight"], env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode != 0
    assert result.stderr.strip().splitlines() == [
        "hindsight: error: the desktop app needs a graphical session (no DISPLAY); "
        "run `hindsight record` to record without one, or see `hindsight --help`"
    ]


def test_a_lost_sound_device_is_told_in_one_sentence(desktop_app, qtbot, desktop, monkeypatch):  # noqa: F811
    from tests.audio_server import PulseServer

    own = PulseServer()  # the session's server stays whole for the other tests
    own.start()
    try:
        for name, value in own.env.items():
            monkeypatch.setenv(name, value)
        app = desktop_app()
        qtbot.waitUntil(lambda: _recording(app), timeout=START_MS)
        qtbot.waitUntil(lambda: "system" in app.view.audio_recording, timeout=20_000)
        before = len(desktop.notifications())
        own.kill()
        qtbot.waitUntil(lambda: "system" in app.view.audio_waiting, timeout=20_000)
        qtbot.waitUntil(lambda: desktop.displayed() > 0, timeout=5_000)
        assert app.view.state == "recording"  # the video goes on; the sound is silence
        shown = desktop.notifications()[before:]
        assert [n["body"] for n in shown] == [
            "The system sound device was lost; clips get silence until it is back."
        ]
    finally:
        own.stop()
