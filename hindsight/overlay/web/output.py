"""The live overlay server as an output of a running recorder (OBS browser
source, `hindsight overlay live`).

The composition root attaches it; the recorder itself knows nothing about drawing.
On :meth:`LiveOverlayOutput.start` it serves the recorder's action events; a
recorder without input capture (``--no-input``) still gets the page, showing the
fallback layout that never lights, and the summary says so.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from hindsight.bundle import BundleContributor, SavedClip
from hindsight.overlay.web.server import LiveServer, check_port
from hindsight.recorder.outputs import RunningRecorder

__all__ = ["LiveOverlayOutput"]


class LiveOverlayOutput:
    """Serves the overlay on loopback ``port`` (0: any free one) with ``token`` (default: the user's
    own)."""

    name = "overlay"

    def __init__(self, port: int, token: str | None = None) -> None:
        self.port = check_port(port)
        self.token = token
        self.server: LiveServer | None = None

    def contributors(self) -> Sequence[BundleContributor]:
        return []

    def start(self, recorder: RunningRecorder) -> None:
        self.server = LiveServer(recorder.actions, port=self.port, token=self.token).start()

    def clip_saved(self, clip: SavedClip) -> None:
        pass  # the overlay shows what happens live; saved clips are burned in on request

    def stop(self) -> None:
        if self.server is not None:
            self.server.stop()
            self.server = None

    @property
    def url(self) -> str | None:
        return self.server.url() if self.server is not None else None

    def summary(self) -> str:
        if self.server is None:
            return "not serving"
        line = f"OBS browser source (transparent): {self.server.url()}"
        if self.server.capture is None:
            line += " (no input capture: it shows the default layout, unlit)"
        return line

    def status(self) -> dict[str, Any]:
        return self.server.status() if self.server is not None else {}
