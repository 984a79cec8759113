"""The live overlay end to end under Xvfb, with the real recorder and real key presses.

One recorder run of the test game: the SSE stream is read while the player jumps,
types a secret in chat and presses unmapped keys; the live window (`hindsight
overlay live`) and the OBS browser source page (headless Chromium) must light the
Space cap while jump is held; and the clip the recorder saves is burned in, with the
Space cap lit exactly on the frames its action track holds jump.
"""

from __future__ import annotations

import http.client
import json
import math
import os
import subprocess
import threading
import time
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import numpy as np
import pyarrow.parquet as pq
import pytest
from Xlib import X, display
from Xlib.ext import xtest

from hindsight.bundle import open_bundle
from hindsight.bundle import schema as col
from hindsight.overlay.burnin import burn_in
from hindsight.overlay.model.layout import layout_from_json
from hindsight.overlay.model.theme import OverlayStyle
from hindsight.overlay.qt.compositor import qimage_rgba
from hindsight.overlay.qt.template import create_template
from hindsight.overlay.web.client import parse_sse
from tests.chromium import HeadlessPage
from tests.overlay.helpers import expected_lit, is_accent, probe_box
from tests.overlay.test_burnin import check_burned, digest, space_lit_per_frame
from tests.recorder.actions.game_env import Keyboard, game_env
from tests.recorder.cli_proc import HINDSIGHT, run_cli

pytestmark = pytest.mark.x11

SECRET = "correct horse battery staple 471180932657"  # a number no hash holds by chance
UNMAPPED = {"F5": "F5", "k": "K", "semicolon": "Semicolon", "Home": "Home"}


class Stream:
    """The recorder's /events, read on a thread; keeps the raw text too."""

    def __init__(self, port: int, token: str) -> None:
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.conn.request("GET", f"/events?token={token}")
        reply = self.conn.getresponse()
        assert reply.status == 200
        self.raw: list[str] = []
        self.events: list[tuple[str, dict]] = []

        def lines():
            for raw in reply:
                self.raw.append(raw.decode())
                yield raw.decode().rstrip("\r\n")

        def run():
            try:
                self.events.extend(parse_sse(lines()))
            except (OSError, ValueError):
                pass

        threading.Thread(target=run, daemon=True).start()


def grab(display_name: str, x: int, y: int, w: int, h: int) -> np.ndarray:
    d = display.Display(display_name)
    try:
        raw = d.screen().root.get_image(x, y, w, h, X.ZPixmap, 0xFFFFFFFF)
        return np.frombuffer(raw.data, np.uint8).reshape(h, w, 4)[..., [2, 1, 0]]
    finally:
        d.close()


def wait_for(predicate, timeout_s: float = 10) -> None:
    deadline = time.monotonic() + timeout_s
    while not predicate():
        assert time.monotonic() < deadline
        time.sleep(0.05)


def test_live_overlay_with_the_real_recorder(tmp_path: Path, qt_app) -> None:
    from PyQt6.QtGui import QImage

    with game_env(None) as env:
        rec = env.record("--fps", "30", "--buffer-seconds", "30", "--overlay-port", "0")
        window = None
        kb = Keyboard(env.name)
        try:
            url = rec.wait_line("overlay: ").split()[-1]
            parts = urlsplit(url)
            token = parse_qs(parts.query)["token"][0]
            status = json.loads(run_cli("status", "--json").stdout)
            assert status["outputs"]["overlay"]["url"] == url and parts.hostname == "127.0.0.1"
            conn = http.client.HTTPConnection("127.0.0.1", parts.port, timeout=5)
            conn.request("GET", f"/layout?token={token}")
            layout = layout_from_json(json.loads(conn.getresponse().read()))
            assert layout.game_id == "test.hs-testgame"
            stream = Stream(parts.port, token)

            # The live window, top-right on the game's display.
            window = subprocess.Popen(
                [
                    *HINDSIGHT,
                    "overlay",
                    "live",
                    "--template",
                    "keyboard_mouse",
                    "--position",
                    "top-right",
                    "--seconds",
                    "60",
                ],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                env={**env.env, "QT_QPA_PLATFORM": "xcb"},
            )
            line = window.stdout.readline()
            assert line.startswith("overlay window "), (
                line + window.stderr.read() if window.poll() else line
            )
            size, _, at = line.split()[2:5]
            w, h = (int(v) for v in size.split("x"))
            x, y = (int(v) for v in at.split(","))
            template = create_template(
                "keyboard_mouse", layout, OverlayStyle(position="top-right"), env.display.height
            )
            assert template.size() == (w, h)
            space = probe_box(template.regions()["key:Space"])
            env.focus()
            time.sleep(1.0)
            assert not is_accent(grab(env.name, x, y, w, h), space)

            code = kb.keycode("space")
            xtest.fake_input(kb.d, X.KeyPress, code)
            kb.d.sync()
            try:
                wait_for(lambda: is_accent(grab(env.name, x, y, w, h), space), 5)
                shot = grab(env.name, x, y, w, h)
                # Only Space is lit: every other cap of the template stays dark.
                lit = {
                    n
                    for n, r in template.regions().items()
                    if n.startswith("key:") and is_accent(shot, probe_box(r))
                }
                assert lit == {"key:Space"}
                # The OBS browser source, as a streamer adds it, in headless Chromium.
                # The OBS browser source, as a streamer adds it, in headless Chromium.
                page_tpl = create_template("keyboard_mouse", layout, OverlayStyle(), 1080)

                def page_lit_in(png: bytes) -> set[str]:
                    page = qimage_rgba(QImage.fromData(png))[..., :3]
                    return {
                        n
                        for n, r in page_tpl.regions().items()
                        if n.startswith("key:") and is_accent(page, probe_box(r))
                    }

                with HeadlessPage(url, tmp_path / "chrome") as browser:
                    png = browser.screenshot_until(lambda png: bool(page_lit_in(png)))
                page_lit = page_lit_in(png)
                page = qimage_rgba(QImage.fromData(png))
                assert page_lit == {"key:Space"}
                assert page[2, 2, 3] == 0  # transparent background
            finally:
                xtest.fake_input(kb.d, X.KeyRelease, code)
                kb.d.sync()
            wait_for(lambda: not is_accent(grab(env.name, x, y, w, h), space), 5)

            # A secret typed in chat and unmapped keys: never on the live channel.
            kb.tap("t")
            time.sleep(0.2)
            subprocess.run(["xdotool", "type", "--delay", "30", SECRET], env=env.env, check=True)
            time.sleep(0.2)
            kb.tap("Return")
            time.sleep(0.2)
            for keysym in UNMAPPED:
                kb.tap(keysym)
                time.sleep(0.05)
            kb.warp(320, 180)
            kb.mouse_move(30, -12)
            # A known jump pattern for the burn-in: a long hold, a tap, a short hold.
            for hold in (0.5, 0.02, 0.25):
                kb.tap("space", hold)
                time.sleep(0.3)
            time.sleep(0.5)
            result = run_cli("clip", "--seconds", "8")
            assert result.returncode == 0, result.stderr
            bundle = Path(result.stdout.strip())
            wait_for(lambda: sum(1 for n, d in stream.events if d.get("action") == "jump") >= 8)
        finally:
            kb.close()
            if window is not None:
                window.terminate()
                window.wait(10)
            rec.stop()

    # The stream: action names and values only, the chat span marked, nothing typed.
    text = "".join(stream.raw)
    lowered = text.lower()
    for word in SECRET.split():
        assert word not in lowered
    for keysym, name in UNMAPPED.items():
        assert f"key:{name}" not in text and f'"{keysym}"' not in text and f'"{name}"' not in text
    for word in ("key:", "space", "keycode", "keysym", "scancode"):
        assert word not in lowered
    actions = {d["action"] for n, d in stream.events if n == "action"}
    assert actions <= {"move", "look", "jump", "attack", "throttle"} and "jump" in actions
    assert ("context", "chat") in {(n, d.get("context")) for n, d in stream.events}
    for _, data in stream.events:
        assert set(data) <= {
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
        for value in data.values():
            assert (
                isinstance(value, (int, float, bool, list, dict))
                or value is None
                or value
                in (
                    actions
                    | {
                        "press",
                        "release",
                        "value",
                        "gameplay",
                        "chat",
                        "unfocused",
                        "test.hs-testgame",
                    }
                )
            )

    # The recorded clip, burned in: Space lit exactly where the track holds jump.
    clip = open_bundle(bundle)
    assert clip.actions_path is not None
    before, manifest = digest(clip.video_path), digest(clip.manifest_path)
    out = burn_in(bundle)
    check_burned(bundle, out.path, before, manifest)
    track = pq.read_table(clip.actions_path).to_pydict()
    jump, jump_n = col.button_columns("jump")
    held, presses = np.array(track[jump]), np.array(track[jump_n])
    assert presses.sum() >= 3
    want = expected_lit(held, presses, math.ceil(0.1 * 30))
    got = space_lit_per_frame(bundle, out.path, OverlayStyle())
    assert (got == want).all(), np.flatnonzero(got != want)
    assert os.path.getsize(out.path) > 0
