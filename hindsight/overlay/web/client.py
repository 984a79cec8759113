"""Reading the running recorder's live channel: find its URL, follow its event stream and layout.

The recorder's overlay URL (with the user's token) is in the ``overlay`` section of
its ``status`` reply on the control channel, which only this user can reach.
:class:`LiveFeed` follows ``/events`` (Server-Sent Events) on a thread and fetches
``/layout`` whenever the stream announces a new version; it reconnects on its own
when the recorder restarts. No Qt here: the window polls :meth:`LiveFeed.poll`.
"""

from __future__ import annotations

import http.client
import json
import queue
import threading
import time
from collections.abc import Iterable, Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

from hindsight.overlay.errors import LiveChannelError
from hindsight.overlay.model.layout import OverlayLayout, layout_from_json
from hindsight.recorder.errors import ControlError, RecorderNotRunning

__all__ = ["find_live_url", "LiveFeed", "parse_sse"]

_RETRY_S = 1.0


def find_live_url() -> str:
    """The running recorder's overlay URL, from its status reply."""
    from hindsight.recorder.control import create_client

    try:
        status = create_client().request({"cmd": "status"}, timeout_s=10)
    except RecorderNotRunning:
        raise LiveChannelError(
            "no recorder is running; start one with `hindsight record`"
        ) from None
    except ControlError as err:
        raise LiveChannelError(f"cannot ask the recorder for its overlay: {err}") from None
    overlay = (status.get("outputs") or {}).get("overlay") or {}
    if not overlay.get("url"):
        raise LiveChannelError(
            "the running recorder serves no overlay (it was started with --no-overlay-server)"
        )
    return str(overlay["url"])


def parse_sse(lines: Iterable[str]) -> Iterator[tuple[str, Any]]:
    """(event name, data dict) for each event in an iterable of decoded SSE lines."""
    name = "message"
    data: list[str] = []
    for line in lines:
        if line == "":
            if data:
                yield name, json.loads("\n".join(data))
            name, data = "message", []
        elif line.startswith(":"):
            continue
        elif line.startswith("event:"):
            name = line[6:].strip()
        elif line.startswith("data:"):
            data.append(line[5:].strip())


class LiveFeed:
    """Follows the live channel at ``url`` (an ``/overlay?token=..`` URL) on a background thread."""

    def __init__(self, url: str) -> None:
        parts = urlsplit(url)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self.token = (parse_qs(parts.query).get("token") or [""])[0]
        self.events: queue.Queue[tuple[str, Any]] = queue.Queue()
        self.connected = False
        self._stop = threading.Event()
        self._conn: http.client.HTTPConnection | None = None
        self._layout_version: int | None = None
        self._thread = threading.Thread(target=self._run, name="hindsight-live-feed", daemon=True)

    def start(self) -> LiveFeed:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        conn = self._conn
        if conn is not None and conn.sock is not None:
            try:
                conn.sock.close()  # unblocks the reader
            except OSError:
                pass
        self._thread.join(3)

    def poll(self) -> list[tuple[str, Any]]:
        """Everything received since the last poll: ("layout", OverlayLayout),
        ("state"|"action"|"context", dict)."""
        out = []
        while True:
            try:
                out.append(self.events.get_nowait())
            except queue.Empty:
                return out

    def fetch_layout(self) -> OverlayLayout:
        conn = http.client.HTTPConnection(self.host, self.port, timeout=5)
        try:
            conn.request("GET", f"/layout?token={self.token}")
            reply = conn.getresponse()
            body = reply.read()
            if reply.status != 200:
                raise LiveChannelError(f"the recorder refused the overlay layout ({reply.status})")
            data = json.loads(body)
        finally:
            conn.close()
        self._layout_version = data.get("version")
        return layout_from_json(data)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self._follow()
            except (OSError, http.client.HTTPException, ValueError, LiveChannelError):
                pass
            self.connected = False
            self._stop.wait(_RETRY_S)

    def _follow(self) -> None:
        self.events.put(("layout", self.fetch_layout()))
        conn = http.client.HTTPConnection(self.host, self.port, timeout=30)
        self._conn = conn
        conn.request("GET", f"/events?token={self.token}")
        reply = conn.getresponse()
        if reply.status != 200:
            raise LiveChannelError(f"the recorder refused the event stream ({reply.status})")
        self.connected = True
        lines = (raw.decode("utf-8").rstrip("\r\n") for raw in reply)
        for name, data in parse_sse(lines):
            if self._stop.is_set():
                return
            version = (
                data.get("version")
                if name == "layout"
                else data.get("layout")
                if name == "state"
                else None
            )
            if version is not None and version != self._layout_version:
                self.events.put(("layout", self.fetch_layout()))
            if name != "layout":
                self.events.put((name, data))
            time.sleep(0)
