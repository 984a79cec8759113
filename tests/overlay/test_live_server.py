"""The live channel: token on every request, loopback only, action names and values
only, never blocking.
"""

from __future__ import annotations

import http.client
import json
import os
import socket
import stat
import threading
import time
from pathlib import Path

import pytest

from hindsight.actionmap.registry import MapRegistry
from hindsight.clock import now_ns
from hindsight.overlay.web.client import parse_sse
from hindsight.overlay.web.server import LiveServer
from hindsight.overlay.web.token import load_or_create_token, token_path
from hindsight.recorder.actions.capture import ActionCapture
from hindsight.recorder.actions.events import ActionEvent
from hindsight.recorder.actions.fanout import EventFanout
from hindsight.recorder.input.base import RawInput
from hindsight.recorder.input.focus import FixedFocusTracker, ForegroundApp

CS2 = ForegroundApp(pid=1, names=("cs2",), steam_appid=None, window_id=1)


@pytest.fixture
def live():
    capture = ActionCapture(
        MapRegistry(log_errors=False), buffer_seconds=10, sources=[], focus=FixedFocusTracker(CS2)
    )
    capture.start()
    server = LiveServer(capture, port=0).start()
    try:
        yield server
    finally:
        server.stop()
        capture.stop()


def get(server: LiveServer, path: str, host: str | None = None) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
    conn.request("GET", path, headers={"Host": host} if host else {})
    reply = conn.getresponse()
    body = reply.read()
    conn.close()
    return reply.status, body


class EventReader:
    def __init__(self, server: LiveServer) -> None:
        self.conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
        self.conn.request("GET", f"/events?token={server.token}")
        self.reply = self.conn.getresponse()
        assert (
            self.reply.status == 200 and self.reply.getheader("Content-Type") == "text/event-stream"
        )
        self.raw: list[str] = []
        self.events: list[tuple[str, dict]] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        def lines():
            for raw in self.reply:
                line = raw.decode().rstrip("\r\n")
                self.raw.append(line)
                yield line

        try:
            for event in parse_sse(lines()):
                self.events.append(event)
        except (OSError, ValueError):
            pass

    def wait(self, predicate, timeout_s: float = 5) -> None:
        deadline = time.monotonic() + timeout_s
        while not predicate(self.events):
            assert time.monotonic() < deadline, self.events
            time.sleep(0.02)

    def close(self) -> None:
        self.conn.close()


def feed(server: LiveServer, name: str, x: float = 1.0, y: float = 0.0) -> None:
    server.capture.queue.put(RawInput(now_ns(), name, x, y, 0))


def test_every_request_needs_the_token(live: LiveServer) -> None:
    for path in (
        "/overlay",
        "/events",
        "/layout",
        "/overlay?token=wrong",
        f"/layout?token={live.token[:-1]}",
    ):
        status, _ = get(live, path)
        assert status == 403, path
    assert get(live, f"/layout?token={live.token}")[0] == 200
    assert get(live, f"/overlay?token={live.token}&template=controller")[0] == 200
    assert get(live, f"/overlay?token={live.token}&template=piano")[0] == 404
    assert get(live, f"/nothing?token={live.token}")[0] == 404
    # A page elsewhere that rebinds its name to 127.0.0.1 still sends its own Host: refused.
    assert get(live, f"/layout?token={live.token}", host="evil.example:80")[0] == 403
    conn = http.client.HTTPConnection("127.0.0.1", live.port, timeout=5)
    conn.request("POST", f"/layout?token={live.token}")
    assert conn.getresponse().status == 405


def test_binds_loopback_only(live: LiveServer) -> None:
    assert live._httpd.server_address[0] == "127.0.0.1"
    probe = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        probe.connect(
            ("10.255.255.255", 1)
        )  # no packet is sent: this only picks the outward address
        outward = probe.getsockname()[0]
    except OSError:
        outward = None
    finally:
        probe.close()
    if outward and not outward.startswith("127."):
        with pytest.raises(OSError):
            socket.create_connection((outward, live.port), timeout=2).close()


def test_events_carry_action_names_and_values_only(live: LiveServer) -> None:
    reader = EventReader(live)
    try:
        reader.wait(lambda ev: ev and ev[0][0] == "state")
        for name, x, y in [
            ("key:Space", 1, 0),
            ("key:Space", 0, 0),
            ("key:K", 1, 0),
            ("key:F5", 1, 0),
            ("key:W", 1, 0),
            ("mouse:delta", 7, -3),
            ("mouse:delta", 5, 1),
            ("key:W", 0, 0),
        ]:
            feed(live, name, x, y)
        reader.wait(lambda ev: sum(1 for n, d in ev if d.get("action") == "move") >= 2)
    finally:
        reader.close()
    actions = [(d["action"], d["edge"]) for n, d in reader.events if n == "action"]
    assert actions[:2] == [("jump", "press"), ("jump", "release")]
    looks = [(d["x"], d["y"]) for n, d in reader.events if n == "action" and d["action"] == "look"]
    assert sum(x for x, _ in looks) == 12 and sum(y for _, y in looks) == -2
    allowed_keys = {
        "action",
        "edge",
        "x",
        "y",
        "t_ms",
        "context",
        "recorded",
        "held",
        "values",
        "layout",
        "game",
    }
    for name, data in reader.events:
        assert name in ("state", "action", "context", "layout")
        assert set(data) <= allowed_keys
    text = "\n".join(reader.raw)
    for word in ("key:", "Space", '"K"', "F5", "keycode", "scancode"):
        assert word not in text


def test_layout_is_the_focused_games_default_binding(live: LiveServer) -> None:
    status, body = get(live, f"/layout?token={live.token}")
    data = json.loads(body)
    assert data["game"]["id"] == "valve.counter-strike-2"
    space = [k for k in data["keys"] if k["label"] == "Space"]
    assert space and space[0]["lights"] == [
        {"context": "gameplay", "action": "jump", "axis": None, "sign": 1}
    ]


def test_fanout_never_blocks_and_counts_drops() -> None:
    fanout = EventFanout()
    slow = fanout.subscribe(max_events=4)
    fast = fanout.subscribe()
    for i in range(1000):  # the slow subscriber never drains: a blocking publish would hang
        fanout.publish(ActionEvent(i, "jump", "press"))
    assert slow.dropped == 996 and fast.dropped == 0 and fanout.dropped == 996
    assert len(slow.drain()) == 4 and len(fast.drain()) == 1000
    fanout.unsubscribe(slow)
    assert fanout.subscribers == 1


def test_slow_client_is_resynchronised(live: LiveServer, monkeypatch) -> None:
    orig = live.capture.fanout.subscribe
    monkeypatch.setattr(live.capture.fanout, "subscribe", lambda max_events=2: orig(2))
    reader = EventReader(live)
    try:
        reader.wait(lambda ev: ev and ev[0][0] == "state")
        for _ in range(50):
            feed(live, "key:Space", 1)
            feed(live, "key:Space", 0)
        feed(live, "key:Space", 1)
        time.sleep(0.3)
        feed(live, "key:W", 1)  # one more batch after the drops, so the resync is sent
        reader.wait(lambda ev: any(n == "state" and "jump" in d["held"] for n, d in ev[1:]))
    finally:
        reader.close()
    assert live.resyncs >= 1  # it lost events, and was sent what is held now instead


def test_token_file_is_private_and_stable(tmp_path: Path) -> None:
    first = load_or_create_token()
    path = token_path()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_or_create_token() == first and len(first) >= 32
    os.chmod(path, 0o644)  # readable by others: not trusted any more
    second = load_or_create_token()
    assert second != first and stat.S_IMODE(path.stat().st_mode) == 0o600
