"""The live overlay server as an output of a running recorder (a ``RecorderOutput``).

Started once the recorder runs, it serves the recorder's action events to OBS
browser sources and ``hindsight overlay live``; with input off there is nothing to
serve and it stays idle.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from hindsight.bundle import BundleContributor, SavedClip
from hindsight.overlay.web.server import LiveServer
from hindsight.recorder.outputs import RunningRecorder

__all__ = ["LiveOverlayOutput"]


class LiveOverlayOutput:
    """Serves the live overlay on 127.0.0.1:``port`` (0: any free port) while the recorder runs."""

    name = "overlay"

    def __init__(self, port: int, token: str | None = None) -> None:
        self.port = port
        self.token = token
        self.server: LiveServer | None = None

    def contributors(self) -> Sequence[BundleContributor]:
        return ()

    def start(self, recorder: RunningRecorder) -> None:
        if recorder.actions is not None:
            self.server = LiveServer(recorder.actions, port=self.port, token=self.token).start()

    def clip_saved(self, clip: SavedClip) -> None:
        pass  # the overlay draws live actions; saved clips are not its business

    def stop(self) -> None:
        if self.server is not None:
            self.server.stop()
            self.server = None

    def summary(self) -> str:
        return self.server.url() if self.server is not None else "off (input actions are off)"

    def status(self) -> dict[str, Any]:
        return self.server.status() if self.server is not None else {}
