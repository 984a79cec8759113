"""A player's desktop for the app's tests: Xvfb, a private D-Bus session bus, a real XEmbed tray
host (trayer) and a real notification server (dunst), plus the app run as ``hindsight``.

Nothing is skipped: a missing program fails the test with what to install
(``bash scripts/setup --test`` installs them all).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from hindsight.demo.display import VirtualDisplay

__all__ = [
    "AppProcess",
    "DesktopSession",
    "RECORD_ARGS",
    "app_env",
    "desktop",
    "need",
    "screenshot",
    "wait_for",
]

#: what the app's recorder runs with in tests: small and quick, no fixed overlay port
RECORD_ARGS = "--fps 30 --buffer-seconds 20 --clip-seconds 2 --bitrate 4M --overlay-port 0"

REPO = Path(__file__).resolve().parents[3]


def need(*programs: str) -> None:
    missing = [p for p in programs if shutil.which(p) is None]
    if missing:
        pytest.fail(f"missing {', '.join(missing)}: run `bash scripts/setup --test`", pytrace=False)


def wait_for(predicate: Callable[[], object], timeout_s: float, step_s: float = 0.05) -> object:
    deadline = time.monotonic() + timeout_s
    while True:
        value = predicate()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(step_s)


class DesktopSession:
    """Xvfb + D-Bus session bus + trayer + dunst; :attr:`env` reaches them all."""

    def __init__(
        self,
        root: Path,
        size: tuple[int, int] = (1280, 720),
        tray: bool = True,
        wm: str | None = None,
    ) -> None:
        need("Xvfb", "dbus-daemon", "dunst", "dunstctl", "xdotool", "xwininfo")
        if tray:
            need("trayer")
        self.root = root
        self.display = VirtualDisplay(*size, wm=wm)
        self._tray = tray
        self._procs: list[subprocess.Popen[bytes]] = []
        self.env: dict[str, str] = {}

    def start(self) -> DesktopSession:
        self.display.start()
        self.env["DISPLAY"] = self.display.name
        # On this desktop, never offscreen (the window tests ask for that in os.environ).
        self.env["QT_QPA_PLATFORM"] = "xcb"
        bus = subprocess.Popen(
            ["dbus-daemon", "--session", "--nofork", "--nopidfile", "--print-address=1"],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
        self._procs.append(bus)
        assert bus.stdout is not None
        self.env["DBUS_SESSION_BUS_ADDRESS"] = bus.stdout.readline().decode().strip()
        # dunst reads its config from here: the defaults, never the machine's own
        config = self.root / "xdg"
        (config / "dunst").mkdir(parents=True, exist_ok=True)
        # dunst's context menu (its list of a notification's actions) asks "dmenu" which
        # to run; this one picks the entry named in pick.txt, as a player's click would.
        picker = self.root / "pick-action.sh"
        picker.write_text(f'#!/bin/sh\ngrep -m1 -F "$(cat {self.root / "pick.txt"})"\n')
        picker.chmod(0o755)
        (self.root / "pick.txt").write_text("Show in folder")
        (config / "dunst" / "dunstrc").write_text(
            f"[global]\n    dmenu = {picker}\n"
            '    follow = none\n    geometry = "360x5-10+40"\n'
            '    font = DejaVu Sans 10\n    frame_color = "#2fd27a"\n'
            '[urgency_normal]\n    background = "#1b1d24"\n    foreground = "#e9ecf2"\n'
            "    timeout = 30\n"
            '[urgency_critical]\n    background = "#1b1d24"\n    foreground = "#ff8087"\n'
            '    frame_color = "#ff3b45"\n    timeout = 30\n'
        )
        self._spawn(["dunst"], XDG_CONFIG_HOME=str(config))
        if self._tray:
            self._spawn(
                [
                    "trayer", "--edge", "top", "--align", "right", "--widthtype", "request",
                    "--height", "32", "--iconspacing", "4", "--transparent", "false",
                    "--tint", "0x2a2d36", "--SetDockType", "true", "--expand", "true",
                ]
            )  # fmt: skip
            assert wait_for(self.tray_window, 10), "trayer did not show its window"
        assert wait_for(lambda: self.dunstctl("count", "displayed", check=False) is not None, 10)
        return self

    def _spawn(self, command: list[str], **env: str) -> subprocess.Popen[bytes]:
        proc = subprocess.Popen(
            command,
            env={**os.environ, **self.env, **env},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self._procs.append(proc)
        return proc

    def stop(self) -> None:
        for proc in reversed(self._procs):
            proc.terminate()
        for proc in self._procs:
            try:
                proc.wait(5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)
            if proc.stdout is not None:
                proc.stdout.close()
        self._procs.clear()
        self.display.stop()

    # ---- reading back ----------------------------------------------------------------

    def run(self, *command: str, check: bool = True) -> str | None:
        result = subprocess.run(
            command, env={**os.environ, **self.env}, capture_output=True, text=True, timeout=20
        )
        if result.returncode != 0:
            if check:
                raise AssertionError(f"{command} failed: {result.stderr.strip()}")
            return None
        return result.stdout

    def dunstctl(self, *args: str, check: bool = True) -> str | None:
        return self.run("dunstctl", *args, check=check)

    def displayed(self) -> int:
        return int((self.dunstctl("count", "displayed") or "0").strip())

    def notifications(self) -> list[dict[str, str]]:
        """Every notification shown so far (closed first, so dunst's history holds them all),
        oldest first, as {summary, body, appname}."""
        self.dunstctl("close-all")
        time.sleep(0.2)
        data = json.loads(self.dunstctl("history") or "{}")
        out = []
        for entry in data.get("data", [[]])[0]:
            out.append(
                {k: entry.get(k, {}).get("data", "") for k in ("summary", "body", "appname")}
            )
        return list(reversed(out))

    def tray_window(self) -> str | None:
        """The tray host's panel window (trayer's window of class "panel"), or None."""
        out = self.run("xdotool", "search", "--classname", "^panel$", check=False)
        ids = (out or "").split()
        return ids[0] if ids else None

    def tray_icons(self) -> list[tuple[str, int, int, int, int]]:
        """The icons docked in the tray: (window id, x, y, width, height) on the screen.

        trayer wraps each docked icon's window in a socket window of its own: the icons
        are the panel's grandchildren.
        """
        panel = self.tray_window()
        if panel is None:
            return []
        tree = self.run("xwininfo", "-tree", "-id", panel, check=False) or ""
        pattern = re.compile(
            r"^(\s+)(0x[0-9a-f]+) .*?(\d+)x(\d+)\+-?\d+\+-?\d+\s+\+(-?\d+)\+(-?\d+)"
        )
        rows = [m for line in tree.splitlines() if (m := pattern.match(line))]
        if not rows:
            return []
        top = min(len(m.group(1)) for m in rows)
        return [
            (m.group(2), int(m.group(5)), int(m.group(6)), int(m.group(3)), int(m.group(4)))
            for m in rows
            if len(m.group(1)) > top
        ]


class AppProcess:
    """``hindsight`` (the desktop app) as a player starts it, with its stderr kept."""

    def __init__(self, env: dict[str, str], log_path: Path, *args: str) -> None:
        self.log_path = log_path
        self._log = open(log_path, "ab")  # noqa: SIM115
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "hindsight", "-v", *args],
            env={**os.environ, "PYTHONPATH": str(REPO), **env},
            stdout=self._log,
            stderr=subprocess.STDOUT,
            cwd=str(REPO),
        )

    def output(self) -> str:
        return self.log_path.read_text(errors="replace")

    def wait_line(self, text: str, timeout_s: float = 30, after: int = 0) -> bool:
        return bool(wait_for(lambda: text in self.output()[after:], timeout_s))

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)
        self._log.close()

    def stop(self) -> None:
        if self._log.closed:
            return
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self._log.close()


def screenshot(env: dict[str, str], path: Path, x: int = 0, y: int = 0, w: int = 0, h: int = 0):
    """A PNG of the screen (or the rectangle) through ffmpeg's x11grab."""
    need("ffmpeg")
    grab = ["-f", "x11grab"]
    if w and h:
        grab += ["-video_size", f"{w}x{h}"]
    path.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        ["ffmpeg", "-y", "-loglevel", "error", *grab, "-i", f"{env['DISPLAY']}+{x},{y}",
         "-frames:v", "1", str(path)],
        check=True,
        timeout=30,
    )  # fmt: skip


@pytest.fixture(scope="session")
def desktop(tmp_path_factory: pytest.TempPathFactory):
    """One desktop (Xvfb, bus, tray host, notification server) for the session."""
    session = DesktopSession(tmp_path_factory.mktemp("desktop")).start()
    try:
        yield session
    finally:
        session.stop()


@pytest.fixture
def app_env(desktop: DesktopSession, isolated_user_dirs, tmp_path: Path) -> dict[str, str]:
    """What ``hindsight`` needs to run on :func:`desktop` with this test's own folders; opening a
    file writes its path to ``opened.txt`` (HINDSIGHT_OPENER)."""
    opener = tmp_path / "opener.sh"
    opener.write_text(f'#!/bin/sh\necho "$1" >> {tmp_path / "opened.txt"}\n')
    opener.chmod(0o755)
    keys = ("CONFIG_DIR", "DATA_DIR", "LOG_DIR", "CLIPS_DIR", "CONTROL")
    return {
        **desktop.env,
        **{f"HINDSIGHT_{k}": os.environ[f"HINDSIGHT_{k}"] for k in keys},
        "HINDSIGHT_RECORD_ARGS": RECORD_ARGS,
        "HINDSIGHT_OPENER": str(opener),
    }
