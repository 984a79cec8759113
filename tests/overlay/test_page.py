"""The browser source page and the Qt templates paint the same scene: the same parts
light for the same state.

A live server with a real action capture (Counter-Strike 2 in focus) holds jump,
move forward and attack; headless Chromium opens the page as OBS would, and its
screenshot must light exactly the parts the model says are lit, which are exactly
the parts the Qt template lights for the same frame.
"""

from __future__ import annotations

import http.client
import json
import subprocess
import time
from pathlib import Path

import pytest

from hindsight.actionmap.registry import MapRegistry
from hindsight.clock import now_ns
from hindsight.overlay.model.state import ActionFrame
from hindsight.overlay.model.templates import build_scene
from hindsight.overlay.model.theme import TEMPLATE_NAMES, OverlayStyle
from hindsight.overlay.qt.compositor import qimage_rgba, render_image
from hindsight.overlay.qt.template import create_template
from hindsight.overlay.web.server import LiveServer
from hindsight.recorder.actions.capture import ActionCapture
from hindsight.recorder.input.base import RawInput
from hindsight.recorder.input.focus import FixedFocusTracker, ForegroundApp
from tests import chromium
from tests.chromium import HeadlessPage
from tests.overlay.helpers import is_accent, probe_box, shipped_layout
from tests.x11 import xvfb  # noqa: F401

CS2 = ForegroundApp(pid=1, names=("cs2",), steam_appid=None, window_id=1)
HELD = ("key:Space", "key:W", "mouse:left")
# The same state as a frame: what the recorder's snapshot says is held.
FRAME = ActionFrame(
    context="gameplay", valid=True, lit=frozenset({"jump", "attack"}), axes={"move": (0.0, 1.0)}
)


@pytest.fixture
def holding():
    capture = ActionCapture(
        MapRegistry(log_errors=False), buffer_seconds=10, sources=[], focus=FixedFocusTracker(CS2)
    )
    capture.start()
    server = LiveServer(capture, port=0).start()
    try:
        for name in HELD:
            capture.queue.put(RawInput(now_ns(), name, 1.0, 0.0, 0))
        deadline = time.monotonic() + 5
        while set(server.snapshot()["held"]) != {"jump", "attack"}:
            assert time.monotonic() < deadline, server.snapshot()
            time.sleep(0.02)
        yield server
    finally:
        server.stop()
        capture.stop()


def lit_in(rgb, regions, names) -> set[str]:
    def box(name):
        rect = regions[name]
        return probe_box(
            rect, (0.3, 0.45, 0.7, 0.8) if name.startswith("mouse:") else (0.08, 0.12, 0.3, 0.35)
        )

    return {n for n in names if is_accent(rgb, box(n))}


def screenshot(url: str, tmp_path: Path, want: set[str], regions, names) -> tuple[set[str], object]:
    """The page in headless Chromium, pictured until the parts lit are the ones wanted
    (the first event reaches a page on a loaded machine late) or 20 s pass.
    """
    from PyQt6.QtGui import QImage

    def lit(png: bytes):
        page = qimage_rgba(QImage.fromData(png))
        return lit_in(page[..., :3], regions, names), page

    with HeadlessPage(url, tmp_path / "chrome") as browser:
        png = browser.screenshot_until(lambda png: lit(png)[0] == want)
    (tmp_path / "page.png").write_bytes(png)
    return lit(png)


@pytest.mark.parametrize("template", ["keyboard_mouse", "controller"])
def test_page_and_qt_light_the_same_parts(
    holding: LiveServer, tmp_path: Path, qt_app, template: str
) -> None:
    layout = shipped_layout("valve.counter-strike-2")
    scene = build_scene(template, layout)
    want = scene.lit_regions(FRAME)
    assert want == (
        {"key:Space", "key:W", "mouse:left"}
        if template == "keyboard_mouse"
        else {"pad:south", "pad:right_trigger"}
    )
    qt = create_template(template, layout, OverlayStyle(), 1080)
    regions = qt.regions()
    lit_parts = [
        n
        for n, *_ in scene.regions
        if n.split(":")[0] in ("key", "mouse", "pad")
        and not n.endswith("_stick")
        and n != "mouse:delta"
    ]
    qt_rgb = qimage_rgba(render_image(qt, FRAME))[..., :3]
    assert lit_in(qt_rgb, regions, lit_parts) == want
    got, page = screenshot(holding.url(template), tmp_path, want, regions, lit_parts)
    assert got == want
    assert page[2, 2, 3] == 0  # transparent background
    # Beyond the lit parts, the page draws the same picture: compare the panel's opaque area.
    w, h = qt.size()
    page_alpha = page[:h, :w, 3] > 128
    qt_alpha = qimage_rgba(render_image(qt, FRAME))[..., 3] > 128
    assert (page_alpha == qt_alpha).mean() > 0.97


def test_scene_route_serves_every_template_and_needs_the_token(holding: LiveServer) -> None:
    def get(path: str) -> tuple[int, bytes, http.client.HTTPResponse]:
        conn = http.client.HTTPConnection("127.0.0.1", holding.port, timeout=5)
        conn.request("GET", path)
        reply = conn.getresponse()
        return reply.status, reply.read(), reply

    token = holding.token
    for template in TEMPLATE_NAMES:
        status, body, _ = get(f"/scene?token={token}&template={template}")
        data = json.loads(body)
        assert status == 200 and data["template"] == template
        assert data == json.loads(
            json.dumps(
                {
                    **build_scene(template, holding.layout()[1]).to_json(),
                    **{k: data[k] for k in ("version", "unit_px", "state", "arrows")},
                }
            )
        )
    assert (
        json.loads(get(f"/scene?token={token}")[1])["template"] == "keyboard_mouse"
    )  # the game's own choice
    assert get(f"/scene?token={token}&template=piano")[0] == 404
    for path in ("/scene", "/overlay.js", "/scene?token=x", "/overlay.js?token=x"):
        assert get(path)[0] == 403, path
    status, body, reply = get(f"/overlay.js?token={token}")
    assert status == 200 and reply.getheader("Content-Type").startswith("text/javascript")
    status, body, reply = get(f"/overlay?token={token}&template=apm")
    assert status == 200 and f'src="/overlay.js?token={token}"'.encode() in body
    assert "script-src 'self'" in reply.getheader("Content-Security-Policy")
    assert b"<script>" not in body  # no inline script: the page is a static file and its script


@pytest.mark.x11
def test_page_folds_live_events_into_its_history(
    holding: LiveServer, xvfb, tmp_path: Path, qt_app
) -> None:
    """The page in a real Chromium window on Xvfb: presses after it connected show up as
    they happen.
    """
    import os

    from tests.overlay.test_live_e2e import grab, wait_for

    capture = holding.capture
    assert capture is not None
    capture.queue.put(RawInput(now_ns(), "key:Space", 0.0, 0.0, 0))  # start from nothing held
    rows = create_template(
        "history", shipped_layout("valve.counter-strike-2"), OverlayStyle(), 1080
    ).regions()
    bar = probe_box(rows["row:0"], (0.002, 0.2, 0.012, 0.8))  # the active entry's accent bar
    label = probe_box(rows["row:2"], (0.05, 0.2, 0.5, 0.8))
    window = subprocess.Popen(
        [
            "chromium",
            *chromium.FLAGS,
            "--default-background-color=00000000",
            "--test-type",
            f"--user-data-dir={tmp_path / 'chrome'}",
            "--window-position=0,0",
            "--window-size=480,320",
            f"--app={holding.url('history')}",
        ],
        env={**os.environ, "DISPLAY": xvfb.name},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:

        def shot():
            return grab(xvfb.name, 0, 0, 480, 320)

        def row_text(img) -> int:  # bright label pixels in row 2
            x0, y0, x1, y1 = label
            return int((img[y0:y1, x0:x1].min(axis=2) > 150).sum())

        wait_for(lambda: holding.clients >= 1, 30)  # the page is connected to /events
        time.sleep(0.5)
        empty = row_text(shot())
        for _ in range(3):
            capture.queue.put(RawInput(now_ns(), "key:Space", 1.0, 0.0, 0))
            time.sleep(0.05)
            capture.queue.put(RawInput(now_ns(), "key:Space", 0.0, 0.0, 0))
            time.sleep(0.05)
        capture.queue.put(RawInput(now_ns(), "key:Space", 1.0, 0.0, 0))
        wait_for(lambda: is_accent(shot(), bar), 10)  # held: the newest row is active
        assert row_text(shot()) > empty + 20  # three taps below it: labels drawn in row 2
        capture.queue.put(RawInput(now_ns(), "key:Space", 0.0, 0.0, 0))
        wait_for(lambda: not is_accent(shot(), bar), 10)  # released: no longer active
    finally:
        window.terminate()
        window.wait(10)
