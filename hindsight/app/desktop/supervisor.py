"""Keeping a recorder for the desktop app: attach to the running one or start one, then watch it.

The recorder is its own process (DESIGN section 1, "two processes on a desktop"): the
app starts ``hindsight record`` as a background child in a session of its own, so
closing or killing the app never costs the buffer, and the next app attaches to it
through the control channel. A worker thread polls ``status`` and ``events`` about four
times a second (the events as a long poll, so news arrives at once) and reports a
:class:`RecorderView` and every new event through callbacks; commands (save, pause,
resume, restart, stop) run on a second thread, so a save that takes a second never
stalls the polling, and neither ever runs on the GUI thread. Nothing here imports Qt.
"""

from __future__ import annotations

import logging
import os
import shlex
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hindsight.recorder.control import ControlClient, create_client
from hindsight.recorder.errors import ControlError, RecorderNotRunning

__all__ = ["RecorderView", "RecorderSupervisor", "recorder_command", "RECORD_ARGS_ENV"]

log = logging.getLogger(__name__)

#: extra ``hindsight record`` options for the recorder the app starts (shell-style words)
RECORD_ARGS_ENV = "HINDSIGHT_RECORD_ARGS"

POLL_INTERVAL_S = 0.25
START_TIMEOUT_S = 30.0


@dataclass(frozen=True)
class RecorderView:
    """What the tray shows: the state, the buffer, the game in focus, why it failed."""

    state: str  # starting | recording | paused | saving | error
    buffer_s: float = 0.0
    buffer_max_s: int = 0
    game: str | None = None
    error: str | None = None
    pid: int | None = None
    owned: bool = False  # this app started it
    audio_waiting: tuple[str, ...] = field(default_factory=tuple)  # sources without a device
    audio_recording: tuple[str, ...] = field(default_factory=tuple)  # sources with one


def recorder_command(settings_file: Path | None = None) -> list[str]:
    """``hindsight record`` with the user's settings, plus ``$HINDSIGHT_RECORD_ARGS``."""
    command = [sys.executable, "-m", "hindsight", "record"]
    if settings_file is not None:
        command += ["--settings", str(settings_file)]
    return command + shlex.split(os.environ.get(RECORD_ARGS_ENV, ""))


class RecorderSupervisor:
    """Attaches to or starts the recorder and reports on it; see the module docstring."""

    def __init__(
        self,
        command: Sequence[str],
        *,
        on_view: Callable[[RecorderView], None],
        on_event: Callable[[dict[str, Any]], None],
        client_factory: Callable[[], ControlClient] = create_client,
        log_path: Path | None = None,
        poll_interval_s: float = POLL_INTERVAL_S,
    ) -> None:
        self._command = list(command)
        self._on_view = on_view
        self._on_event = on_event
        self._client_factory = client_factory
        self._log_path = log_path
        self._poll_interval_s = poll_interval_s
        self._child: subprocess.Popen[bytes] | None = None
        self._spawned_at = 0.0
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._commands = ThreadPoolExecutor(1, thread_name_prefix="hindsight-app-command")
        self._lock = threading.Lock()
        self._after: int | None = None  # events seen so far; None until attached
        self._want_recorder = True  # False after an error, until restart()
        self._saving = 0
        self._error: str | None = None
        self._view = RecorderView("starting")

    @property
    def view(self) -> RecorderView:
        return self._view

    # ---- lifecycle -------------------------------------------------------------------

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="hindsight-app-poll", daemon=True)
        self._thread.start()

    def close(self) -> None:
        """Stop watching; the recorder keeps running (killing the app does the same)."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(5)
        self._commands.shutdown(wait=False, cancel_futures=True)

    # ---- commands (each returns a Future; the reply or the ControlError) ----------------

    def save(self, seconds: int | None = None) -> Future[dict[str, Any]]:
        message: dict[str, Any] = {"cmd": "clip"}
        if seconds is not None:
            message["seconds"] = seconds
        return self._commands.submit(self._save, message)

    def pause(self) -> Future[dict[str, Any]]:
        return self._commands.submit(self._request_now, {"cmd": "pause"})

    def resume(self) -> Future[dict[str, Any]]:
        return self._commands.submit(self._request_now, {"cmd": "resume"})

    def stop_recorder(self, timeout_s: float = 15.0) -> None:
        """Stop the recorder (the app is quitting: no recording without the app). Blocks."""
        try:
            self._client_factory().request({"cmd": "stop"}, timeout_s=5)
        except ControlError as err:
            log.info("the recorder was not stopped: %s", err)
        child = self._child
        if child is not None:
            try:
                child.wait(timeout_s)
            except subprocess.TimeoutExpired:
                child.terminate()

    def restart_recorder(self) -> Future[None]:
        """Stop the recorder and start a new one: settings that need a new recorder apply."""
        return self._commands.submit(self._restart_recorder)

    def _restart_recorder(self) -> None:
        with self._lock:
            self._want_recorder = False  # the watcher must not take this stop for a death
        self.stop_recorder()
        child, self._child = self._child, None
        if child is not None and child.poll() is None:
            child.kill()
        if child is not None:
            child.wait()
        self.restart()

    def restart(self) -> None:
        """Start (or attach to) a recorder again after an error."""
        with self._lock:
            self._error = None
            self._want_recorder = True
            self._after = None
        self._publish(RecorderView("starting"))
        self._wake.set()

    # ---- the worker ------------------------------------------------------------------

    def _request(self, message: dict[str, Any], timeout_s: float = 5.0) -> dict[str, Any]:
        return self._client_factory().request(message, timeout_s=timeout_s)

    def _request_now(self, message: dict[str, Any]) -> dict[str, Any]:
        reply = self._request(message, timeout_s=30)
        self._wake.set()  # show the new state at once, not at the next tick
        return reply

    def _save(self, message: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            self._saving += 1
        self._wake.set()
        try:
            return self._request(message, timeout_s=120)
        finally:
            with self._lock:
                self._saving -= 1
            self._wake.set()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                waited = self._tick()
            except Exception:  # a bug here must not end the watching
                log.exception("watching the recorder failed")
                waited = False
            if not waited:
                self._wake.wait(self._poll_interval_s)
            self._wake.clear()

    def _tick(self) -> bool:
        """One look at the recorder; True if it already waited (the events' long poll)."""
        if not self._want_recorder:
            return False
        try:
            waited = self._read_events()
            status = self._request({"cmd": "status"})
        except RecorderNotRunning:
            self._on_no_recorder()
            return False
        except ControlError as err:
            # A recorder that dies mid-request breaks the connection; ask once more to
            # tell a dead recorder from one that is only stuck.
            time.sleep(0.2)
            try:
                self._request({"cmd": "ping"})
            except RecorderNotRunning:
                self._on_no_recorder()
            except ControlError:
                self._fail(f"the recorder does not answer: {err}")
            return False
        self._publish(self._view_of(status))
        return waited

    def _on_no_recorder(self) -> None:
        child = self._child
        if self._after is not None or (child is not None and child.poll() is not None):
            # It was there and is gone, or the one we started died while starting.
            self._fail(self._death_reason())
            return
        if child is None:
            self._spawn()
            return
        if time.monotonic() - self._spawned_at > START_TIMEOUT_S:
            child.terminate()
            self._fail(f"the recorder did not start within {START_TIMEOUT_S:.0f} s")

    def _spawn(self) -> None:
        log.info("starting the recorder: %s", " ".join(self._command[2:]))
        out: Any = subprocess.DEVNULL
        if self._log_path is not None:
            self._log_path.parent.mkdir(parents=True, exist_ok=True)
            out = open(self._log_path, "ab")  # noqa: SIM115 - the child owns it from here
        try:
            # A session of its own: a signal to the app (Ctrl+C, kill) never reaches it.
            self._child = subprocess.Popen(
                self._command,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        except OSError as err:
            self._fail(f"the recorder could not be started ({err.strerror})")
        finally:
            if out is not subprocess.DEVNULL:
                out.close()
        self._spawned_at = time.monotonic()
        self._publish(RecorderView("starting", owned=True))

    def _death_reason(self) -> str:
        child = self._child
        if child is None or child.poll() is None:
            return "the recorder stopped"
        line = _last_error_line(self._log_path)
        return f"the recorder stopped: {line}" if line else "the recorder stopped unexpectedly"

    def _fail(self, reason: str) -> None:
        with self._lock:
            self._want_recorder = False
            self._error = reason
        child, self._child = self._child, None
        if child is not None and child.poll() is not None:
            child.wait()  # reap it
        log.warning("%s", reason)
        self._publish(RecorderView("error", error=reason))

    def _read_events(self) -> bool:
        """Hand on the events since the last look; True if the request waited for news."""
        if self._after is None:
            reply = self._request({"cmd": "events", "after": 0})
            # Just attached: what happened before is history, not news.
            self._after = int(reply.get("last_seq", 0))
            return False
        wait_ms = 0 if self._wake.is_set() else int(self._poll_interval_s * 1000)
        reply = self._request(
            {"cmd": "events", "after": self._after, "wait_ms": wait_ms},
            timeout_s=5 + wait_ms / 1000,
        )
        self._after = int(reply.get("last_seq", self._after))
        for event in reply.get("events", []):
            self._on_event(event)
        return wait_ms > 0

    def _view_of(self, status: dict[str, Any]) -> RecorderView:
        state = str(status.get("state", "recording"))
        error = status.get("error")
        if state == "failed":
            state = "error"
        elif state == "recording" and (
            self._saving or (status.get("saves") or {}).get("in_flight")
        ):
            state = "saving"  # asked here, or by F8 / `hindsight clip`
        elif state not in ("recording", "paused"):
            state = "starting"
        actions = status.get("actions") or {}
        audio = status.get("audio") or {}
        sources = audio.get("sources", [])
        waiting = tuple(
            str(s.get("kind")) for s in sources if s.get("state") == "waiting" and state != "paused"
        )
        live = tuple(str(s.get("kind")) for s in sources if s.get("state") == "recording")
        buffer = status.get("buffer") or {}
        return RecorderView(
            state=state,
            buffer_s=float(buffer.get("seconds", 0.0)),
            buffer_max_s=int(buffer.get("max_seconds", 0)),
            game=actions.get("game_title"),
            error=error,
            pid=status.get("pid"),
            owned=self._child is not None,
            audio_waiting=waiting,
            audio_recording=live,
        )

    def _publish(self, view: RecorderView) -> None:
        if view != self._view:
            self._view = view
            self._on_view(view)


def _last_error_line(path: Path | None) -> str | None:
    """The recorder's own one-line reason, from the end of its log."""
    if path is None:
        return None
    try:
        with open(path, "rb") as f:
            f.seek(max(0, os.path.getsize(path) - 4096))
            lines = f.read().decode("utf-8", "replace").splitlines()
    except OSError:
        return None
    for line in reversed(lines):
        if line.startswith("hindsight: error: "):
            return line.removeprefix("hindsight: error: ")
    return None
