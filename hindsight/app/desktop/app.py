"""The desktop app (``hindsight`` with no arguments): tray, feedback and windows around a recorder.

It composes the parts: a :class:`RecorderSupervisor` keeps a recorder process and
reports on it from worker threads (crossing to the GUI thread through Qt signals),
the :class:`TrayMenu` shows and asks, the :class:`Notifier` and the
:class:`ClipChime` say what happened, and the windows built elsewhere (clip
library, settings, first-run consent) are opened through :meth:`DesktopApp.show_library`
and friends, imported lazily so the app works while one is missing.
"""

from __future__ import annotations

import logging
import signal
import subprocess
import sys
import threading
import time
from concurrent.futures import Future
from pathlib import Path
from typing import Any

from PyQt6.QtCore import QObject, QTimer, pyqtSignal
from PyQt6.QtWidgets import QApplication, QSystemTrayIcon, QWidget

from hindsight.app.desktop.feedback import ClipChime, app_settings
from hindsight.app.desktop.first_run import is_first_run
from hindsight.app.desktop.instance import SingleInstance
from hindsight.app.desktop.notifier import Notifier
from hindsight.app.desktop.supervisor import RecorderSupervisor, RecorderView, recorder_command
from hindsight.app.desktop.tray import STYLE, TrayActions, TrayMenu
from hindsight.app.desktop.windows import WindowFactory, WindowHooks
from hindsight.app.opener import OpenerError, open_path
from hindsight.bundle import VIDEO_FILE
from hindsight.errors import HindsightError
from hindsight.paths import log_dir
from hindsight.recorder.config import DEFAULTS
from hindsight.recorder.errors import ControlError

__all__ = ["DesktopApp", "run_desktop_app"]

log = logging.getLogger(__name__)

_AUDIO_WORDS = {"system": "system sound", "mic": "microphone"}
_OVERLAY_WATCH_MS = 500
_SAME_PROBLEM_S = 5.0  # one failure heard twice (event and reply) is told once


class DesktopApp(QObject):
    """The running desktop app; :meth:`start` it inside a QApplication."""

    view_changed = pyqtSignal(object)  # RecorderView, from the supervisor's thread
    event_arrived = pyqtSignal(object)  # a recorder event dict
    problem_found = pyqtSignal(str)  # one sentence to notify
    consent_needed = pyqtSignal()
    quit_ready = pyqtSignal()

    def __init__(
        self,
        *,
        settings_file: Path | None = None,
        windows: dict[str, WindowFactory] | None = None,
        recorder: list[str] | None = None,
        tray_available: bool | None = None,
    ) -> None:
        super().__init__()
        self._settings_file = settings_file
        self.windows = WindowHooks(windows)
        self.hotkey, self.clip_seconds = _hotkey_settings(settings_file)
        settings = _app_settings(settings_file)
        self.chime = ClipChime(enabled=settings["clip_sound"])
        self.tray = TrayMenu(
            TrayActions(
                save=self.save,
                toggle_pause=self.toggle_pause,
                restart=self.restart,
                show_library=self.show_library,
                toggle_overlay=self.set_overlay,
                show_settings=self.show_settings,
                quit=self.quit,
            ),
            self.hotkey,
            self.clip_seconds,
        )
        self._settings_window: QWidget | None = None
        self.notifier = Notifier(self._open_clip, self._show_in_folder, self.tray.icon, self)
        self.notifier.enabled = settings["notifications"]
        self._tray_available = tray_available
        self.view = RecorderView("starting")
        self._overlay: subprocess.Popen[bytes] | None = None
        # The overlay window can be closed on its own (its window manager, a crash): the
        # tray's tick follows it.
        self._overlay_watch = QTimer(self)
        self._overlay_watch.setInterval(_OVERLAY_WATCH_MS)
        self._overlay_watch.timeout.connect(self._check_overlay)
        self._last_problem: tuple[str, float] = ("", 0.0)
        self.view_changed.connect(self._show_view)
        self.event_arrived.connect(self._on_event)
        self.problem_found.connect(self._tell_problem)
        self.consent_needed.connect(lambda: self.show_window("consent"))
        self.quit_ready.connect(self._finish_quit)
        self.supervisor = RecorderSupervisor(
            recorder or recorder_command(settings_file),
            on_view=self.view_changed.emit,
            on_event=self.event_arrived.emit,
            log_path=log_dir() / "recorder.log",
        )

    # ---- lifecycle -------------------------------------------------------------------

    def start(self) -> None:
        qt_app = QApplication.instance()
        if isinstance(qt_app, QApplication) and STYLE not in qt_app.styleSheet():
            qt_app.setStyleSheet(qt_app.styleSheet() + STYLE)  # the tray's tooltip is app-wide
        available = self._tray_available
        if available is None:
            available = QSystemTrayIcon.isSystemTrayAvailable()
        if available:
            self.tray.show()
        else:
            line = (
                "there is no system tray here (on GNOME, add the AppIndicator extension); "
                "the clip library window stands in for it"
            )
            print(f"hindsight: {line}", file=sys.stderr, flush=True)
            self.notifier.info("There is no system tray here, so the clip library window is open.")
            self.show_library()
        self.supervisor.start()
        threading.Thread(
            target=self._check_consent, name="hindsight-app-consent", daemon=True
        ).start()

    def close(self) -> None:
        """Leave: the recorder keeps running (only :meth:`quit` stops it)."""
        self.supervisor.close()
        self.set_overlay(False)
        self.tray.hide()
        self.chime.close()

    def quit(self) -> None:
        """Quit the app and stop recording (what Medal and Instant Replay do)."""
        log.info("quitting: stopping the recorder")
        self.tray.hide()
        threading.Thread(
            target=self._stop_then_quit, name="hindsight-app-quit", daemon=True
        ).start()

    def _stop_then_quit(self) -> None:
        self.supervisor.close()
        self.supervisor.stop_recorder()
        self.quit_ready.emit()

    def _finish_quit(self) -> None:
        self.close()
        app = QApplication.instance()
        if app is not None:
            app.quit()

    # ---- what the tray asks for ------------------------------------------------------

    def save(self, seconds: int | None = None) -> Future[dict[str, Any]]:
        future = self.supervisor.save(seconds)
        future.add_done_callback(self._after_command)
        return future

    def toggle_pause(self) -> Future[dict[str, Any]]:
        future = (
            self.supervisor.resume() if self.view.state == "paused" else self.supervisor.pause()
        )
        future.add_done_callback(self._after_command)
        return future

    def restart(self) -> None:
        self.supervisor.restart()

    def _after_command(self, future: Future[dict[str, Any]]) -> None:
        # On the command thread: hand the one-line reason to the GUI thread.
        err = future.exception()
        if isinstance(err, ControlError):
            self.problem_found.emit(_sentence(str(err)))
        elif err is not None:
            log.error("a recorder command failed", exc_info=err)

    def set_overlay(self, on: bool) -> None:
        """The live input overlay window, as its own process (it has its own window loop)."""
        running = self._overlay is not None and self._overlay.poll() is None
        if on and not running:
            self._overlay = subprocess.Popen(
                [sys.executable, "-m", "hindsight", "overlay", "live"],
                stdin=subprocess.DEVNULL,
            )
        elif not on and running:
            assert self._overlay is not None
            self._overlay.terminate()
            self._overlay.wait(5)
        if not on:
            self._overlay = None
            self._overlay_watch.stop()
        else:
            self._overlay_watch.start()
        if self.tray.overlay.isChecked() != on:
            self.tray.overlay.setChecked(on)

    def _check_overlay(self) -> None:
        overlay = self._overlay
        if overlay is None or overlay.poll() is None:
            return
        log.info("the overlay window closed (exit code %s)", overlay.returncode)
        if overlay.returncode not in (0, -signal.SIGTERM):
            self._tell_problem(
                f"The input overlay window stopped (exit code {overlay.returncode})."
            )
        self.set_overlay(False)

    # ---- windows built elsewhere -------------------------------------------------------

    def show_library(self) -> QWidget | None:
        return self.show_window("library")

    def show_settings(self) -> QWidget | None:
        window = self.show_window("settings")
        if window is not None and window is not self._settings_window:
            # Built once; test doubles may have no such signal.
            self._settings_window = window
            restart_needed = getattr(window, "restart_needed", None)
            if restart_needed is not None:
                restart_needed.connect(self.apply_settings)
        return window

    def apply_settings(self, names: list[str]) -> None:
        """Settings saved that only a new recorder reads: restart it, and say so."""
        log.info("restarting the recorder for %s", ", ".join(names))
        self.notifier.info(
            f"Settings saved. Recording restarts to apply {', '.join(names)}; the replay "
            "buffer starts over."
        )
        self.supervisor.restart_recorder()

    def show_window(self, name: str) -> QWidget | None:
        """Open (once) and raise the window ``name``; None when it is not in this build."""
        return self.windows.show(name)

    def on_instance_message(self, message: bytes) -> None:
        if message.strip() == b"show-library":
            log.info("another `hindsight` asked for the clip library")
            self.show_library()

    def _check_consent(self) -> None:
        first_run = is_first_run(self._settings_file)
        if first_run is None:
            log.warning("the clip library could not be read to see whether consent was asked")
        elif first_run:
            self.consent_needed.emit()

    # ---- what the recorder said ------------------------------------------------------

    def _show_view(self, view: RecorderView) -> None:
        before, self.view = self.view, view
        if view.state != before.state:
            log.info("state: %s", view.state)
            if view.state == "error":
                reason = _sentence(view.error or "the recorder stopped")
                self._tell_problem(
                    f"{reason} Restart it from the tray menu.", summary="Recording stopped"
                )
        # Lost: recording at the last look, waiting now (a device still opening at start is not).
        for kind in set(view.audio_waiting) & set(before.audio_recording):
            self._tell_problem(
                f"The {_AUDIO_WORDS.get(kind, kind)} device was lost; clips get silence until "
                "it is back."
            )
        self.tray.show_view(view)

    def _on_event(self, event: dict[str, Any]) -> None:
        kind = event.get("kind")
        if kind == "clip_saved":
            path = Path(str(event.get("path")))
            log.info("clip saved: %s", path.name)
            self.notifier.clip_saved(path, event.get("duration_s"))  # asynchronous: first
            self.chime.play()
        elif kind == "save_failed":
            reason = str(event.get("reason") or "unknown reason")
            self._tell_problem(f"The clip was not saved: {reason}.")

    def _tell_problem(self, sentence: str, summary: str = "Hindsight") -> None:
        text, at = self._last_problem
        now = time.monotonic()
        if sentence.rstrip(".") == text.rstrip(".") and now - at < _SAME_PROBLEM_S:
            return
        self._last_problem = (sentence, now)
        self.notifier.problem(sentence, summary)

    def _open_clip(self, clip: Path) -> None:
        video = clip / VIDEO_FILE
        self._open(video if video.exists() else clip)

    def _show_in_folder(self, clip: Path) -> None:
        self._open(clip)

    def _open(self, path: Path) -> None:
        try:
            open_path(path)
        except OpenerError as err:
            self._tell_problem(_sentence(str(err)))


def _sentence(line: str) -> str:
    line = line.strip()
    return (line[:1].upper() + line[1:]).rstrip(".") + "."


def _hotkey_settings(settings_file: Path | None) -> tuple[str, int]:
    from hindsight.recorder.settings import build_recorder_config, load_settings

    try:
        config = build_recorder_config({}, load_settings(settings_file))
    except HindsightError:
        # The recorder will refuse the same settings in one line; the tray shows that.
        return DEFAULTS.hotkey, DEFAULTS.clip_seconds
    return config.hotkey, config.default_clip_seconds


def _app_settings(settings_file: Path | None) -> dict[str, Any]:
    try:
        return app_settings(settings_file)
    except HindsightError as err:
        log.warning("%s; using the defaults", err)
        return {"clip_sound": True, "notifications": True}


def run_desktop_app(settings_file: Path | None = None) -> int:
    """``hindsight``: one app per user; returns the exit code."""
    app = QApplication.instance() or QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    app.setApplicationName("Hindsight")
    app.setQuitOnLastWindowClosed(False)  # the tray keeps it alive
    desktop: DesktopApp | None = None

    def on_message(message: bytes) -> None:
        if desktop is not None:
            desktop.on_instance_message(message)

    instance = SingleInstance(on_message)
    if not instance.claim():
        print("hindsight: the app is already running; its clip library is in front", flush=True)
        return 0
    desktop = DesktopApp(settings_file=settings_file)
    # Ctrl+C or SIGTERM end the app and leave the recorder (and its buffer) running.
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: app.quit())
    ticker = QTimer()
    ticker.start(200)  # lets Python run its signal handlers while Qt waits
    ticker.timeout.connect(lambda: None)
    desktop.start()
    try:
        return app.exec()
    finally:
        desktop.close()
        instance.close()
