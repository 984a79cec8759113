"""Headless Chromium driven over its DevTools pipe: one page kept open, screenshots on demand.

`chromium --screenshot` takes its one picture when the page has loaded, which races
the overlay page's own fetch and event stream; on a loaded machine the picture can
come before the first event every time. Keeping the page open and taking pictures
until one shows what is expected (or a deadline passes) has no such race, and the
page's event stream stays connected as an OBS browser source's does.

The DevTools protocol over `--remote-debugging-pipe`: JSON messages ended by a NUL,
Chromium reading commands on fd 3 and writing replies on fd 4.
"""

from __future__ import annotations

import base64
import itertools
import json
import os
import select
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

FLAGS = (  # for a window as well as headless
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--hide-scrollbars",
)
# Not here: --default-background-color, which crashes the renderer of a page opened over
# the DevTools pipe (Chromium 156); the transparent background is set per page instead.


class HeadlessPage:
    """One Chromium page at `url`, `size` CSS pixels, transparent where the page draws nothing."""

    def __init__(self, url: str, profile: Path, size: tuple[int, int] = (480, 320)) -> None:
        to_chrome_r, self._to_chrome = os.pipe()
        self._from_chrome, from_chrome_w = os.pipe()

        def fds_3_and_4() -> None:  # the pipe ends where --remote-debugging-pipe looks
            os.dup2(to_chrome_r, 3)
            os.dup2(from_chrome_w, 4)

        self._proc = subprocess.Popen(
            [
                "chromium",
                "--headless",
                *FLAGS,
                "--remote-debugging-pipe",
                f"--user-data-dir={profile}",
                f"--window-size={size[0]},{size[1]}",
                "about:blank",  # the browser needs a first page; ours is opened beside it
            ],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            preexec_fn=fds_3_and_4,
            pass_fds=(3, 4),
        )
        os.close(to_chrome_r)
        os.close(from_chrome_w)
        self._ids = itertools.count(1)
        self._buffer = b""
        try:
            # Opened at `url` directly: a navigation to another site would swap the
            # renderer, and this session would go with the old one.
            page = self._call("Target.createTarget", browser_level=True, url=url)["targetId"]
            attached = self._call("Target.attachToTarget", targetId=page, flatten=True)
            self._session = attached["sessionId"]
            self._call("Page.bringToFront")  # a page in the background draws no frames
            self._call(  # the viewport exactly `size`, whatever the window around it takes
                "Emulation.setDeviceMetricsOverride",
                width=size[0],
                height=size[1],
                deviceScaleFactor=1,
                mobile=False,
            )
            self._call(
                "Emulation.setDefaultBackgroundColorOverride",
                color={"r": 0, "g": 0, "b": 0, "a": 0},
            )
        except BaseException:
            self.close()
            raise

    def screenshot(self) -> bytes:
        """The page as it is drawn now, as PNG bytes."""
        return base64.b64decode(self._call("Page.captureScreenshot", format="png")["data"])

    def screenshot_until(self, done: Callable[[bytes], bool], timeout_s: float = 20) -> bytes:
        """Pictures until `done` accepts one or `timeout_s` passes; the last picture either way."""
        deadline = time.monotonic() + timeout_s
        while True:
            png = self.screenshot()
            if done(png) or time.monotonic() > deadline:
                return png
            time.sleep(0.1)

    def close(self) -> None:
        self._proc.kill()
        self._proc.wait(10)
        for fd in (self._to_chrome, self._from_chrome):
            try:
                os.close(fd)
            except OSError:
                pass

    def __enter__(self) -> HeadlessPage:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _call(self, method: str, browser_level: bool = False, **params: Any) -> dict:
        """Send one command and wait for its reply; events in between are dropped."""
        msg_id = next(self._ids)
        msg: dict[str, Any] = {"id": msg_id, "method": method, "params": params}
        if not browser_level and hasattr(self, "_session"):
            msg["sessionId"] = self._session
        os.write(self._to_chrome, json.dumps(msg).encode() + b"\0")
        deadline = time.monotonic() + 60
        while True:
            while b"\0" not in self._buffer:
                if self._proc.poll() is not None:
                    raise RuntimeError(f"headless Chromium exited ({self._proc.returncode})")
                left_s = deadline - time.monotonic()
                if left_s <= 0:
                    raise TimeoutError(f"no reply to {method} from headless Chromium")
                if not select.select([self._from_chrome], [], [], min(left_s, 1.0))[0]:
                    continue
                chunk = os.read(self._from_chrome, 1 << 20)
                if not chunk:
                    raise RuntimeError("headless Chromium closed its DevTools pipe")
                self._buffer += chunk
            raw, self._buffer = self._buffer.split(b"\0", 1)
            reply = json.loads(raw)
            if reply.get("id") != msg_id:
                continue
            if "error" in reply:
                raise RuntimeError(f"{method}: {reply['error'].get('message')}")
            return reply["result"]
