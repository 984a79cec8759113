"""Shared pieces of the benchmarks: the reference scene, the FFmpeg peer, CPU and frame counting.

The reference scene (DESIGN section 9) is ffplay's testsrc2 full screen at 1080p60 on
an Xvfb display; the reference peer is FFmpeg's own x11grab + libx264 ultrafast on
the same scene in the same run. Benchmarks print JSON; they are not timed tests.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import psutil

from hindsight.demo.display import MovingScene, VirtualDisplay

HINDSIGHT = [sys.executable, "-m", "hindsight"]


@contextlib.contextmanager
def reference_scene(width: int = 1920, height: int = 1080, rate: int = 60) -> Iterator[str]:
    """An Xvfb display playing testsrc2 full screen; yields the display name."""
    with VirtualDisplay(width, height) as display, MovingScene(display.name, rate=rate):
        yield display.name


def cpu_seconds(proc: psutil.Process) -> float:
    """User + system CPU of a process and its threads (children excluded)."""
    t = proc.cpu_times()
    return t.user + t.system


def print_json(result: dict) -> None:
    print(json.dumps(result, indent=2))
    sys.stdout.flush()


class FfmpegPeer:
    """``ffmpeg -f x11grab ... -c:v libx264 -preset ultrafast -tune zerolatency`` with
    progress counters.
    """

    def __init__(
        self, display: str, width: int, height: int, fps: int, seconds: float, out: Path
    ) -> None:
        self.cmd = [
            "ffmpeg",
            "-hide_banner",
            "-loglevel",
            "error",
            "-nostdin",
            "-y",
            "-f",
            "x11grab",
            "-framerate",
            str(fps),
            "-video_size",
            f"{width}x{height}",
            "-i",
            display,
            "-c:v",
            "libx264",
            "-preset",
            "ultrafast",
            "-tune",
            "zerolatency",
            "-t",
            str(seconds),
            "-progress",
            "pipe:1",
            str(out),
        ]
        self.proc = subprocess.Popen(self.cmd, stdout=subprocess.PIPE, text=True)
        self.ps = psutil.Process(self.proc.pid)
        self.progress: dict[str, str] = {}
        import threading

        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.proc.stdout:
            key, _, value = line.strip().partition("=")
            self.progress[key] = value

    def counters(self) -> dict[str, int]:
        p = dict(self.progress)
        return {
            "frame": int(p.get("frame", 0)),
            "dup": int(p.get("dup_frames", 0)),
            "drop": int(p.get("drop_frames", 0)),
        }

    def wait(self, timeout_s: float) -> int:
        return self.proc.wait(timeout_s)


class RecorderCli:
    """``hindsight record`` in the background, with its control channel for status."""

    def __init__(self, *args: str) -> None:
        self.tmp = Path(tempfile.mkdtemp(prefix="hs-bench-", dir="/tmp"))
        env = os.environ.copy()
        env["HINDSIGHT_CONTROL"] = str(self.tmp / "control.sock")
        env["HINDSIGHT_CONFIG_DIR"] = str(self.tmp / "config")
        env["HINDSIGHT_HOTKEY_BACKEND"] = env.get("HINDSIGHT_HOTKEY_BACKEND", "none")
        self.env = env
        self.clips_dir = self.tmp / "clips"
        self.proc = subprocess.Popen(
            [*HINDSIGHT, "record", "--clips-dir", str(self.clips_dir), *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        line = self.proc.stdout.readline()
        if not line.startswith("recording "):
            raise RuntimeError(f"recorder did not start: {line}{self.proc.stderr.read()}")
        self.ps = psutil.Process(self.proc.pid)

    def status(self) -> dict:
        from hindsight.recorder.control import create_client

        return create_client(self.env["HINDSIGHT_CONTROL"]).request({"cmd": "status"}, timeout_s=10)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        import shutil

        shutil.rmtree(self.tmp, ignore_errors=True)


def median(values: list[float]) -> float:
    s = sorted(values)
    n = len(s)
    return s[n // 2] if n % 2 else (s[n // 2 - 1] + s[n // 2]) / 2


def percentile(values: list[float], pct: float) -> float:
    s = sorted(values)
    k = min(len(s) - 1, max(0, round(pct / 100 * (len(s) - 1))))
    return s[k]


def wait_until(predicate, timeout_s: float, step_s: float = 0.002) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(step_s)
    return False
