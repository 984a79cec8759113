"""Shared pieces of the benchmarks: the reference scene, the FFmpeg peer, CPU and frame counting.

The reference scene (DESIGN section 10) is ffplay's testsrc2 full screen at 1080p60 on
an Xvfb display; the reference peer is FFmpeg's own x11grab + libx264 ultrafast on
the same scene in the same run, encoding what the recorder encodes (4:2:0, same
bitrate, same GOP, no B-frames). Benchmarks print JSON; they are not timed tests.

Every benchmark runs inside :func:`isolated_user_dirs`: ``HOME``, the XDG folders and
every ``HINDSIGHT_*`` folder point into one temp dir, so a benchmark never reads the
user's settings nor writes into the user's clips, library or config.
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import psutil

from hindsight.demo.display import MovingScene, VirtualDisplay
from hindsight.recorder.config import DEFAULTS
from tests.audio_server import RATE, SYSTEM_SINK, PulseServer, sine

HINDSIGHT = [sys.executable, "-m", "hindsight"]

# The environment variables that name a user folder, each with its place in the temp dir.
USER_DIR_VARS = {
    "HOME": "home",
    "XDG_CONFIG_HOME": "home/.config",
    "XDG_DATA_HOME": "home/.local/share",
    "XDG_STATE_HOME": "home/.local/state",
    "XDG_CACHE_HOME": "home/.cache",
    "HINDSIGHT_CONFIG_DIR": "hindsight/config",
    "HINDSIGHT_DATA_DIR": "hindsight/data",
    "HINDSIGHT_LOG_DIR": "hindsight/logs",
    "HINDSIGHT_CLIPS_DIR": "hindsight/clips",
    "HINDSIGHT_CACHE_DIR": "hindsight/cache",
}


@contextlib.contextmanager
def isolated_user_dirs() -> Iterator[dict[str, Path]]:
    """Point HOME, XDG_* and every HINDSIGHT_* folder (and the control socket) into a temp dir.

    Sets them in this process's environment, so every child (``hindsight record``,
    ``hindsight upload``, a boto3 script) inherits them; restores the old values after.
    Yields the folders by variable name.
    """
    root = Path(tempfile.mkdtemp(prefix="hs-bench-", dir="/tmp"))  # short: it holds a socket
    os.chmod(root, 0o700)
    dirs = {var: root / sub for var, sub in USER_DIR_VARS.items()}
    dirs["HINDSIGHT_CONTROL"] = root / "control.sock"
    for var, path in dirs.items():
        if var != "HINDSIGHT_CONTROL":
            path.mkdir(parents=True, exist_ok=True)
    saved = {var: os.environ.get(var) for var in dirs}
    os.environ.update({var: str(path) for var, path in dirs.items()})
    try:
        yield dirs
    finally:
        for var, old in saved.items():
            if old is None:
                os.environ.pop(var, None)
            else:
                os.environ[var] = old
        shutil.rmtree(root, ignore_errors=True)


@contextlib.contextmanager
def reference_scene(width: int = 1920, height: int = 1080, rate: int = 60) -> Iterator[str]:
    """An Xvfb display playing testsrc2 full screen; yields the display name."""
    with VirtualDisplay(width, height) as display, MovingScene(display.name, rate=rate):
        yield display.name


@contextlib.contextmanager
def system_sound() -> Iterator[str]:
    """A private PulseAudio server playing a 440 Hz tone into its default sink.

    The server's address is in this process's environment for the block, so every child
    (the recorder, FFmpeg) records from it; yields the sink's monitor source, the
    "system audio" both sides record.
    """
    with PulseServer() as server, _environ(server.env), _playing_tone(server):
        yield f"{SYSTEM_SINK}.monitor"


@contextlib.contextmanager
def _playing_tone(server: PulseServer) -> Iterator[None]:
    """A 440 Hz tone into the server's default sink until the block ends."""
    second = sine(1.0).astype("<f4").tobytes()
    proc = subprocess.Popen(
        [
            "pacat",
            "--playback",
            f"--device={SYSTEM_SINK}",
            "--format=float32le",
            f"--rate={RATE}",
            "--channels=2",
            "--raw",
        ],
        stdin=subprocess.PIPE,
        env={**os.environ, **server.env},
    )
    stop = threading.Event()

    def feed() -> None:
        assert proc.stdin is not None
        with contextlib.suppress(BrokenPipeError, ValueError):
            while not stop.is_set():
                proc.stdin.write(second)  # blocks in real time: pacat plays as fast as that
                proc.stdin.flush()

    thread = threading.Thread(target=feed, daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        proc.kill()
        proc.wait()


@contextlib.contextmanager
def _environ(values: dict[str, str]) -> Iterator[None]:
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def cpu_seconds(proc: psutil.Process) -> float:
    """User + system CPU of a process and its threads (children excluded)."""
    t = proc.cpu_times()
    return t.user + t.system


def print_json(result: dict) -> None:
    print(json.dumps(result, indent=2))
    sys.stdout.flush()


class FfmpegPeer:
    """``ffmpeg -f x11grab ... -c:v libx264`` encoding what the recorder encodes.

    Same pixel format (4:2:0), bitrate, GOP and no B-frames, ``-preset ultrafast -tune
    zerolatency``. Its frame, duplicated and dropped counts are FFmpeg's own, read from
    its ``-progress`` output (``frame=``, ``dup_frames=``, ``drop_frames=``).
    """

    def __init__(
        self,
        display: str,
        width: int,
        height: int,
        fps: int,
        seconds: float,
        out: Path,
        bitrate: str = "12M",
        gop: int | None = None,
        audio_source: str | None = None,
    ) -> None:
        self.cmd = peer_command(
            display, width, height, fps, seconds, out, bitrate, gop, audio_source
        )
        self.proc = subprocess.Popen(self.cmd, stdout=subprocess.PIPE, text=True)
        self.ps = psutil.Process(self.proc.pid)
        self.progress: dict[str, str] = {}
        self.final: dict[str, str] = {}
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        block: dict[str, str] = {}
        for line in self.proc.stdout:
            key, _, value = line.strip().partition("=")
            block[key] = value
            if key == "progress":  # the last key of each block
                self.progress = block
                if value == "end":
                    self.final = block
                block = {}

    def counters(self) -> dict[str, int]:
        return progress_counters(self.progress)

    def wait(self, timeout_s: float) -> int:
        return self.proc.wait(timeout_s)


PEER_THREAD_QUEUE = 1024  # packets per live input: a few seconds, never the bottleneck


def peer_command(
    display: str,
    width: int,
    height: int,
    fps: int,
    seconds: float,
    out: Path,
    bitrate: str = "12M",
    gop: int | None = None,
    audio_source: str | None = None,
) -> list[str]:
    """The reference peer of DESIGN section 10: the recorder's encoding settings in FFmpeg.

    With ``audio_source`` (a PulseAudio source, e.g. a sink's ``.monitor``) it also records
    that as the recorder records system audio: 48 kHz stereo AAC-LC at the recorder's
    audio bitrate, one track.

    Each live input gets a deep thread queue (``-thread_queue_size``). With FFmpeg's
    default of 8 and two inputs, the sound's input thread blocks ("Thread message queue
    blocking; consider raising the thread_queue_size option", printed below
    ``-loglevel error``) and the picture then reaches the encoder at about 7 fps: FFmpeg
    repeated 88 % of its frames and did far less work than the recorder.
    """
    queue = ["-thread_queue_size", str(PEER_THREAD_QUEUE)]
    audio_in = (
        [*queue, "-f", "pulse", "-sample_rate", "48000", "-channels", "2", "-i", audio_source]
        if audio_source
        else []
    )
    audio_out = (
        ["-c:a", "aac", "-b:a", str(DEFAULTS.audio_bitrate_bps), "-ar", "48000", "-ac", "2"]
        if audio_source
        else []
    )
    return [
        "ffmpeg",
        "-hide_banner",
        "-loglevel",
        "error",
        "-nostdin",
        "-y",
        *queue,
        "-f",
        "x11grab",
        "-framerate",
        str(fps),
        "-video_size",
        f"{width}x{height}",
        "-i",
        display,
        *audio_in,
        "-c:v",
        "libx264",
        "-preset",
        "ultrafast",
        "-tune",
        "zerolatency",
        "-pix_fmt",
        "yuv420p",
        "-b:v",
        bitrate,
        "-g",
        str(gop if gop is not None else fps),  # the recorder's keyframe every 1 s
        "-bf",
        "0",
        *audio_out,
        "-t",
        str(seconds),
        "-progress",
        "pipe:1",
        str(out),
    ]


def progress_counters(progress: dict[str, str]) -> dict[str, int]:
    """``frame``, ``dup`` and ``drop`` from one block of FFmpeg's ``-progress`` output."""
    return {
        "frame": int(progress.get("frame", 0)),
        "dup": int(progress.get("dup_frames", 0)),
        "drop": int(progress.get("drop_frames", 0)),
    }


def stats_counters(stderr: str) -> dict[str, int]:
    """The last ``frame= ... dup= ... drop=`` of FFmpeg's stderr stats line (0 when absent)."""
    found: dict[str, int] = {"frame": 0, "dup": 0, "drop": 0}
    for key in found:
        values = re.findall(rf"\b{key}=\s*(\d+)", stderr)
        if values:
            found[key] = int(values[-1])
    return found


class RecorderCli:
    """``hindsight record`` in the background, with its control channel for status.

    Run inside :func:`isolated_user_dirs`: the recorder gets its own clips folder and
    control socket in a temp dir, and the isolated settings, library and logs.
    """

    def __init__(self, *args: str, env: dict[str, str] | None = None) -> None:
        self.tmp = Path(tempfile.mkdtemp(prefix="hs-rec-", dir="/tmp"))
        env = {**os.environ, **(env or {})}
        env["HINDSIGHT_CONTROL"] = str(self.tmp / "control.sock")
        env.setdefault("HINDSIGHT_HOTKEY_BACKEND", "none")
        self.env = env
        self.clips_dir = self.tmp / "clips"
        self.proc = subprocess.Popen(
            [*HINDSIGHT, "record", "--clips-dir", str(self.clips_dir), *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        assert self.proc.stdout is not None and self.proc.stderr is not None
        line = self.proc.stdout.readline()
        if not line.startswith("recording "):
            raise RuntimeError(f"recorder did not start: {line}{self.proc.stderr.read()}")
        self.ps = psutil.Process(self.proc.pid)
        # Later lines ("saved <folder>") and stderr, read as they come; waiting on them
        # blocks without polling, so it takes no CPU the recorder would miss.
        self.lines: queue.Queue[str | None] = queue.Queue()
        self.stderr: list[str] = []
        threading.Thread(target=self._pump_stdout, daemon=True).start()
        threading.Thread(
            target=lambda: self.stderr.extend(self.proc.stderr or ()), daemon=True
        ).start()

    def _pump_stdout(self) -> None:
        for line in self.proc.stdout or ():
            self.lines.put(line.rstrip("\n"))
        self.lines.put(None)  # the recorder exited

    def wait_line(self, prefix: str, timeout_s: float = 60) -> str:
        """The next stdout line starting with ``prefix``; fails with the recorder's stderr."""
        deadline = time.monotonic() + timeout_s
        while (left := deadline - time.monotonic()) > 0:
            try:
                line = self.lines.get(timeout=left)
            except queue.Empty:
                break
            if line is None:
                raise RuntimeError(f"the recorder exited: {''.join(self.stderr)}")
            if line.startswith(prefix):
                return line
        raise RuntimeError(f"no {prefix!r} line in {timeout_s} s: {''.join(self.stderr[-20:])}")

    def status(self) -> dict:
        from hindsight.recorder.control import create_client

        return create_client(self.env["HINDSIGHT_CONTROL"]).request({"cmd": "status"}, timeout_s=10)

    def save(self, seconds: int | None = None) -> Path:
        """``hindsight clip`` against this recorder; returns the clip folder."""
        extra = ["--seconds", str(int(seconds))] if seconds else []
        result = subprocess.run(
            [*HINDSIGHT, "clip", *extra], capture_output=True, text=True, env=self.env, timeout=120
        )
        if result.returncode != 0:
            raise RuntimeError(f"hindsight clip failed: {result.stderr}")
        return Path(result.stdout.strip())

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        shutil.rmtree(self.tmp, ignore_errors=True)


def smaps_rollup(pid: int) -> dict[str, int]:
    """``/proc/PID/smaps_rollup`` as bytes by field (Rss, Pss, Anonymous, Pss_Anon, ...)."""
    out: dict[str, int] = {}
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
        m = re.match(r"^(\w+):\s+(\d+) kB$", line)
        if m:
            out[m.group(1)] = int(m.group(2)) * 1024
    return out


def median(values: list[float]) -> float:
    s = sorted(values)
    n = len(s)
    return s[n // 2] if n % 2 else (s[n // 2 - 1] + s[n // 2]) / 2


def spread(values: list[float], digits: int = 3) -> dict:
    """Median, min, max and interquartile range of ``values``, rounded to ``digits``."""
    q = statistics.quantiles(values, n=4) if len(values) >= 2 else [values[0]] * 3
    return {
        "median": round(statistics.median(values), digits),
        "min": round(min(values), digits),
        "max": round(max(values), digits),
        "iqr": round(q[2] - q[0], digits),
    }


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
