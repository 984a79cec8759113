"""A running recorder: the session plus its control channel and save hotkey.

This is what ``hindsight record`` runs (and what the desktop app will run in the
background): it answers ``clip``, ``status`` and ``stop`` on the control channel,
turns hotkey presses into save requests, and stops cleanly on a signal.
"""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable, Sequence
from typing import Any, Protocol

from hindsight.recorder.actions.capture import ActionCapture
from hindsight.actionmap.registry import MapRegistry
from hindsight.bundle import SavedClip
from hindsight.recorder.config import RecorderConfig
from hindsight.recorder.control import create_server
from hindsight.recorder.errors import ConfigError
from hindsight.recorder.input.hotkey import HotkeyListener, create_hotkey_listener
from hindsight.overlay.web.server import LiveServer
from hindsight.recorder.session import RecordingSession

__all__ = ["RecorderService", "ServicePlugin", "clip_summary"]

log = logging.getLogger(__name__)


def clip_summary(clip: SavedClip) -> dict[str, Any]:
    video = clip.manifest.video
    return {
        "path": str(clip.path),
        "clip_id": clip.clip_id,
        "frames": video.frames,
        "dup_frames": video.dup_frames,
        "duration_s": video.duration_s,
        "encoder": video.encoder,
        "width": video.width,
        "height": video.height,
        "fps": video.fps,
    }


class ServicePlugin(Protocol):
    """An output attached to a running recorder (the clip library and uploader are one).

    It may add files or manifest sections to every clip, is attached once the session
    runs (to connect to ``service.session.clip_saved``), and reports a status section.
    Plugins must not block the save path: heavy work goes to their own threads.
    """

    name: str

    def contributors(self) -> Sequence[Any]: ...

    def attach(self, service: RecorderService) -> None: ...

    def detach(self) -> None: ...

    def status(self) -> dict[str, Any]: ...


class RecorderService:
    """Session + control server + hotkey, with a clean stop on SIGINT/SIGTERM or ``stop``."""

    def __init__(
        self,
        config: RecorderConfig,
        *,
        hotkey: bool = True,
        control_address: str | None = None,
        session: RecordingSession | None = None,
        on_event: Callable[[str], None] = lambda line: None,
        plugins: Sequence[ServicePlugin] = (),
        overlay_port: int | None = None,
    ) -> None:
        self.config = config
        self.plugins = list(plugins)
        self.actions: ActionCapture | None = None
        self.registry: MapRegistry | None = None
        contributors = []
        if config.input_enabled:
            self.registry = MapRegistry(config.maps_dirs, log_errors=False)
            self.actions = ActionCapture(
                self.registry, buffer_seconds=config.ring.buffer_seconds, display=config.capture.display,
                game=config.game,
            )
            contributors.append(self.actions.contributor())
        for plugin in self.plugins:
            contributors.extend(plugin.contributors())
        self.session = session or RecordingSession(config, contributors=contributors)
        self._hotkey_enabled = hotkey
        self._control_address = control_address
        self._on_event = on_event
        self._stop = threading.Event()
        self._server = None
        self._hotkey: HotkeyListener | None = None
        # The live overlay channel (browser source, overlay window); None: not served.
        self._overlay_port = overlay_port
        self.live: LiveServer | None = None

    def start(self) -> None:
        # Bind the control channel first: it refuses when another recorder is running,
        # before we grab the screen or the encoder.
        self._server = create_server(self._handle, self._control_address)
        self._server.start()
        try:
            self.session.start()
            self.session.clip_saved.connect(self._on_clip_saved)
            self.session.saver.save_failed.connect(self._on_save_failed)  # type: ignore[union-attr]
            self.session.failed.connect(lambda err: self._stop.set())
            if self.actions is not None:
                self.actions.start()
                if self._overlay_port is not None:
                    self.live = LiveServer(self.actions, port=self._overlay_port).start()
            for plugin in self.plugins:
                plugin.attach(self)
            if self._hotkey_enabled:
                self._hotkey = create_hotkey_listener(self.config.hotkey, self._on_hotkey)
                try:
                    self._hotkey.start()
                except ConfigError as err:
                    log.warning("%s; the hotkey is off, `hindsight clip` still saves", err)
                    self._hotkey = None
        except BaseException:
            self.stop()
            raise

    def install_signal_handlers(self) -> None:
        """SIGINT/SIGTERM stop the service; install before ``start`` so an early Ctrl+C still stops cleanly."""
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

    def status(self) -> dict[str, Any]:
        status = self.session.status()
        status["actions"] = self.actions.status() if self.actions is not None else None
        status["overlay"] = self.live.status() if self.live is not None else None
        for plugin in self.plugins:
            status[plugin.name] = plugin.status()
        return status

    def stop(self) -> None:
        self._stop.set()
        if self._hotkey is not None:
            self._hotkey.stop()
            self._hotkey = None
        if self.live is not None:
            self.live.stop()
            self.live = None
        if self.actions is not None:
            self.actions.stop()
        self.session.stop()
        for plugin in self.plugins:
            plugin.detach()
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

    def _on_clip_saved(self, clip: SavedClip) -> None:
        self._on_event(f"saved {clip.path}")

    def _on_save_failed(self, request: object, err: BaseException) -> None:
        self._on_event(f"save failed: {err}")

    def _handle(self, message: dict[str, Any]) -> dict[str, Any]:
        cmd = message.get("cmd")
        if cmd == "status":
            return self.status()
        if cmd == "clip":
            seconds = message.get("seconds")
            if seconds is not None and (not isinstance(seconds, int) or isinstance(seconds, bool)):
                raise ConfigError(f"--seconds {seconds!r}: must be a whole number")
            request = self.session.save(seconds)
            clip = request.wait(self.config.save_timeout_ms / 1000 + 60)
            return {**clip_summary(clip), "merged": request.merged}
        if cmd == "stop":
            self._stop.set()
            return {"stopping": True}
        raise ConfigError(f"unknown control command {cmd!r}")
