"""The live overlay server as a recorder output: started with the recorder's actions, or
without input at all.
"""

from __future__ import annotations

import http.client
import json
import socket
from dataclasses import dataclass

import pytest

from hindsight.actionmap.registry import MapRegistry
from hindsight.overlay.web.client import parse_sse
from hindsight.overlay.web.output import LiveOverlayOutput
from hindsight.recorder.actions.capture import ActionCapture
from hindsight.recorder.errors import ConfigError
from hindsight.recorder.input.focus import FixedFocusTracker, ForegroundApp
from hindsight.recorder.outputs import FocusedGame, RecorderOutput

CS2 = ForegroundApp(pid=1, names=("cs2",), steam_appid=None, window_id=1)


@dataclass
class Recorder:
    """A running recorder as an output sees it (RunningRecorder)."""

    actions: ActionCapture | None
    config: object = None

    def focused_game(self) -> FocusedGame | None:
        return None


def get_json(port: int, path: str) -> dict:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    conn.request("GET", path)
    reply = conn.getresponse()
    assert reply.status == 200, path
    return json.loads(reply.read())


def first_event(port: int, token: str) -> tuple[str, dict]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    conn.request("GET", f"/events?token={token}")
    reply = conn.getresponse()
    assert reply.status == 200
    lines = (raw.decode().rstrip("\r\n") for raw in reply)
    event = next(parse_sse(lines))
    conn.close()
    return event


def test_output_serves_the_recorders_actions() -> None:
    capture = ActionCapture(
        MapRegistry(log_errors=False), buffer_seconds=10, sources=[], focus=FixedFocusTracker(CS2)
    )
    capture.start()
    output: RecorderOutput = LiveOverlayOutput(0, token="t" * 32)
    try:
        assert output.name == "overlay" and list(output.contributors()) == []
        assert output.status() == {}
        output.start(Recorder(capture))
        status = output.status()
        port = status["port"]
        assert (
            status["url"]
            == f"http://127.0.0.1:{port}/overlay?token={'t' * 32}&template=keyboard_mouse"
        )
        assert status["input"] is True and status["clients"] == 0
        assert output.summary() == f"OBS browser source (transparent): {status['url']}"
        assert "\n" not in output.summary()
        layout = get_json(port, f"/layout?token={'t' * 32}")
        assert layout["game"]["id"] == "valve.counter-strike-2"
        name, state = first_event(port, "t" * 32)
        assert name == "state" and state["context"] == "gameplay"
        output.clip_saved(None)  # type: ignore[arg-type]  # nothing to do with a saved clip
    finally:
        output.stop()
        capture.stop()
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", port), timeout=2).close()


def test_without_input_capture_the_page_still_has_the_fallback_layout() -> None:
    output = LiveOverlayOutput(0, token="u" * 32)
    output.start(Recorder(None))
    try:
        port = output.status()["port"]
        assert output.status()["input"] is False and output.status()["subscribers"] == 0
        assert "no input capture" in output.summary() and output.status()["url"] in output.summary()
        layout = get_json(port, f"/layout?token={'u' * 32}")
        assert layout["game"] is None and layout["keys"]  # the demo game's WASD, unlit
        scene = get_json(port, f"/scene?token={'u' * 32}&template=controller")
        assert scene["template"] == "controller" and scene["items"]
        assert first_event(port, "u" * 32) == (
            "state",
            {"context": "unfocused", "recorded": False, "held": [], "values": {}, "layout": 0},
        )
    finally:
        output.stop()


def test_a_bad_port_is_one_clear_error() -> None:
    with pytest.raises(ConfigError, match="--overlay-port 70000"):
        LiveOverlayOutput(70000)
