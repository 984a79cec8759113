"""A running recorder: the session, its control channel, its save hotkey and its outputs.

This is what ``hindsight record`` and ``hindsight demo`` run, built by the composition
root (``hindsight.app.compose``). It answers ``clip``, ``status``, ``events``,
``pause``, ``resume`` and ``stop`` on the control channel, turns hotkey presses into
save requests, hands every saved clip to the attached outputs (see
:mod:`hindsight.recorder.outputs`) and stops cleanly on a signal. It is the
:class:`~hindsight.recorder.outputs.RunningRecorder` its outputs see.
"""

from __future__ import annotations

import dataclasses
import logging
import signal
import threading
from collections.abc import Callable, Sequence
from typing import Any

from hindsight.actionmap.registry import MapRegistry
from hindsight.bundle import BundleContributor, SavedClip
from hindsight.errors import HindsightError
from hindsight.recorder.actions.capture import ActionCapture
from hindsight.recorder.clip_reply import ClipReply
from hindsight.recorder.config import RecorderConfig
from hindsight.recorder.control import ControlServer, create_server
from hindsight.recorder.errors import ConfigError
from hindsight.recorder.events import EventLog
from hindsight.recorder.input.hotkey import HotkeyListener, create_hotkey
from hindsight.recorder.outputs import FocusedGame, RecorderOutput
from hindsight.recorder.saver import SaveRequest
from hindsight.recorder.session import RecordingSession
from hindsight.recorder.status import (
    ActionsStatus,
    OutputStatus,
    RecorderState,
    RecorderStatus,
)

__all__ = ["RecorderService"]

log = logging.getLogger(__name__)

#: the longest an ``events`` request may wait for news
MAX_EVENTS_WAIT_MS = 5000


class RecorderService:
    """Session + control server + hotkey + outputs, with a clean stop on SIGINT/SIGTERM or
    ``stop``."""

    def __init__(
        self,
        config: RecorderConfig,
        *,
        outputs: Sequence[RecorderOutput] = (),
        hotkey: bool = True,
        control: bool = True,
        control_address: str | None = None,
        session: RecordingSession | None = None,
        on_event: Callable[[str], None] = lambda line: None,
    ) -> None:
        self._config = config
        self.outputs = list(outputs)
        self._actions: ActionCapture | None = None
        self.registry: MapRegistry | None = None
        contributors: list[BundleContributor] = []
        if config.input_enabled:
            self.registry = MapRegistry(config.maps_dirs, log_errors=False)
            self._actions = ActionCapture(
                self.registry,
                buffer_seconds=config.ring.buffer_seconds,
                display=config.capture.display,
                game=config.game,
            )
            contributors.append(self._actions.contributor())
        for output in self.outputs:
            contributors.extend(output.contributors())
        self.session = session or RecordingSession(config, contributors=contributors)
        self._hotkey_enabled = hotkey
        self._control_enabled = control
        self._control_address = control_address
        self._on_event = on_event
        self._stop = threading.Event()
        self._pause_lock = threading.Lock()
        self._ready = threading.Event()  # everything started: input, hotkey, outputs
        self.events = EventLog()
        self._server: ControlServer | None = None
        self._hotkey: HotkeyListener | None = None
        self._started: list[RecorderOutput] = []
        self.last_status: RecorderStatus | None = None

    # ---- what outputs see (RunningRecorder) --------------------------------------------

    @property
    def config(self) -> RecorderConfig:
        return self._config

    @property
    def actions(self) -> ActionCapture | None:
        return self._actions

    def focused_game(self) -> FocusedGame | None:
        """The matched game that has focus now, with its process id where the focus tracker knows
        it."""
        capture = self._actions
        game = capture.game if capture is not None else None
        if capture is None or game is None:
            return None
        app = capture.app
        return FocusedGame(game.id, app.pid if app is not None else None)

    # ---- lifecycle -------------------------------------------------------------------

    def start(self) -> None:
        # Bind the control channel first: it refuses when another recorder is running,
        # before we grab the screen or the encoder.
        if self._control_enabled:
            self._server = create_server(self._handle, self._control_address)
            self._server.start()
        try:
            self.session.start()
            self.session.clip_saved.connect(self._on_clip_saved)
            assert self.session.saver is not None
            self.session.saver.save_failed.connect(self._on_save_failed)
            # Whoever asked (F8, `hindsight clip`, the tray), the desktop app shows "saving".
            self.session.saver.save_started.connect(
                lambda req: self.events.record("save_started", seconds=req.seconds)
            )
            self.session.failed.connect(lambda err: self._stop.set())
            if self._actions is not None:
                self._actions.start()
            for output in self.outputs:
                self._start_output(output)
            if self._hotkey_enabled:
                self._hotkey = create_hotkey(
                    self.config.hotkey,
                    self._on_hotkey,
                    self.actions,
                    display=self.config.capture.display,
                )
                try:
                    self._hotkey.start()
                except ConfigError as err:
                    log.warning("%s; the hotkey is off, `hindsight clip` still saves", err)
                    self._hotkey = None
        except BaseException:
            self.stop()
            raise
        self._ready.set()
        self.events.record("state_changed", state="recording")

    def _start_output(self, output: RecorderOutput) -> None:
        try:
            output.start(self)
        except HindsightError:
            raise  # a setting the user can fix (a bad port): refuse to start, in one line
        except Exception:
            # A broken output costs its own feature, never the recording.
            log.exception("output %s failed to start; recording without it", output.name)
            return
        self._started.append(output)

    def install_signal_handlers(self) -> None:
        """SIGINT/SIGTERM stop the service; install before ``start`` so an early Ctrl+C still stops
        cleanly."""
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: self._stop.set())

    def run(self, install_signal_handlers: bool = True) -> None:
        """Block until stopped by a signal, a ``stop`` request or a fatal session error."""
        if install_signal_handlers:
            self.install_signal_handlers()
        while not self._stop.wait(0.5):
            pass

    def map_problems(self) -> list[str]:
        """One line per action map file that failed to load (the rest loaded)."""
        return [str(err) for err in self.registry.errors] if self.registry else []

    def save(self, seconds: int | None = None) -> SaveRequest:
        """Ask for the last ``seconds`` (the configured clip length if None); returns at once."""
        return self.session.save(seconds)

    @property
    def paused(self) -> bool:
        return self.session.paused

    def pause(self) -> bool:
        """Record nothing (no grab, no input translation, no sound) and drop the buffer.

        The hotkey's hook stays, so a press while paused is refused in one line instead
        of being ignored. Returns False if already paused.
        """
        with self._pause_lock:
            if not self.session.pause():
                return False
            if self._actions is not None:
                self._actions.pause()
        self.events.record("state_changed", state="paused")
        return True

    def resume(self) -> bool:
        """Record again from now (the buffer fills from empty); False if not paused."""
        with self._pause_lock:
            if not self.session.resume():
                return False
            if self._actions is not None:
                self._actions.resume()
        self.events.record("state_changed", state="recording")
        return True

    def status(self) -> RecorderStatus:
        actions = self._actions
        session = self.session.status()
        if session.state == RecorderState.RECORDING and not self._ready.is_set():
            # Not "recording" until F8 works: a client waiting for it may press it next.
            session = dataclasses.replace(session, state=RecorderState.STARTING)
        return dataclasses.replace(
            session,
            actions=ActionsStatus.from_capture(actions.status()) if actions is not None else None,
            outputs={output.name: self._output_status(output) for output in self.outputs},
        )

    @staticmethod
    def _output_status(output: RecorderOutput) -> OutputStatus:
        try:
            return OutputStatus(output.summary(), dict(output.status()))
        except Exception as err:
            log.debug("output %s status failed", output.name, exc_info=True)
            return OutputStatus(f"status unavailable ({type(err).__name__}: {err})")

    def stop(self) -> None:
        """Stop in the order that loses nothing: input, session (the save in flight), then
        outputs."""
        self._stop.set()
        if self.events.last_seq:
            self.events.record("state_changed", state="stopping")
        if self._hotkey is not None:
            self._hotkey.stop()
            self._hotkey = None
        if self._actions is not None:
            self._actions.stop()
        self.session.stop()
        if self._started:
            # Every output has now heard of every clip; keep what they said before they close.
            self.last_status = self.status()
        for output in reversed(self._started):
            try:
                output.stop()
            except Exception:
                log.exception("output %s failed to stop", output.name)
        self._started = []
        if self._server is not None:
            self._server.stop()
            self._server = None

    # ---- events and control ----------------------------------------------------------

    def _on_hotkey(self) -> None:
        # Runs on the keyboard hook's thread: request (enqueue) only, never wait.
        try:
            self.session.save()
        except Exception as err:
            log.warning("hotkey save refused: %s", err)
            # The desktop app hears it too: a press that saves nothing is never silent.
            self.events.record("save_failed", reason=str(err).splitlines()[0])

    def _on_clip_saved(self, clip: SavedClip) -> None:
        # On the saver thread, after the rename; outputs only hand work off from here.
        self._on_event(f"saved {clip.path}")
        self.events.record(
            "clip_saved",
            path=str(clip.path),
            clip_id=clip.clip_id,
            duration_s=clip.manifest.video.duration_s,
        )
        for output in self._started:
            try:
                output.clip_saved(clip)
            except Exception:
                log.exception(
                    "output %s failed on clip %s; recording goes on", output.name, clip.clip_id
                )

    def _on_save_failed(self, request: object, err: BaseException) -> None:
        self._on_event(f"save failed: {err}")
        self.events.record("save_failed", reason=str(err).splitlines()[0] if str(err) else "")

    def _handle(self, message: dict[str, Any]) -> dict[str, Any]:
        cmd = message.get("cmd")
        if cmd == "status":
            return self.status().to_json()
        if cmd == "clip":
            seconds = message.get("seconds")
            if seconds is not None and (not isinstance(seconds, int) or isinstance(seconds, bool)):
                raise ConfigError(f"--seconds {seconds!r}: must be a whole number")
            request = self.session.save(seconds)
            clip = request.wait(self.config.save_timeout_ms / 1000 + 60)
            return ClipReply.from_clip(clip, request.merged).to_json()
        if cmd == "events":
            after = message.get("after", 0)
            if not isinstance(after, int) or isinstance(after, bool) or after < 0:
                raise ConfigError(f"events after {after!r}: must be a whole number >= 0")
            wait_ms = message.get("wait_ms", 0)
            if not isinstance(wait_ms, int) or isinstance(wait_ms, bool) or wait_ms < 0:
                raise ConfigError(f"events wait_ms {wait_ms!r}: must be a whole number >= 0")
            if wait_ms:
                # A long poll, capped so a client's connection never outlives its patience.
                self.events.wait_after(after, min(wait_ms, MAX_EVENTS_WAIT_MS) / 1000)
            return self.events.since(after).to_json()
        if cmd in ("pause", "resume"):
            changed = self.pause() if cmd == "pause" else self.resume()
            return {"paused": self.paused, "changed": changed}
        if cmd == "stop":
            self._stop.set()
            return {"stopping": True}
        raise ConfigError(f"unknown control command {cmd!r}")
