"""The sync rig shared by the sync test and benchmark: the stimulus, the FFmpeg reference,
and reading a clip's onsets back onto the clock.

* :class:`Stimulus` runs :mod:`tests.av.stimulus` on a display and a PulseAudio server.
* :class:`FfmpegReference` records the same screen and the same sink's monitor with
  FFmpeg's own ``x11grab`` and ``pulse`` inputs into an MP4 (H.264 + AAC), the way a
  user of FFmpeg would for a synced screen recording: ``-copyts`` keeps both inputs on
  the wall clock they are stamped with, and ``-avoid_negative_ts make_zero`` shifts the
  file as a whole (without it FFmpeg starts each input at zero on its own).
* :func:`clock_check` puts a recorder clip's onsets on the one clock (the manifest's
  first frame time) and compares them with the stimulus's log.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from tests.audio_server import SYSTEM_SINK
from tests.av.measure import beep_onsets, flash_onsets

__all__ = ["Stimulus", "FfmpegReference", "ClockCheck", "clock_check", "pulse_env"]


class Stimulus:
    """``python -m tests.av.stimulus`` in the background; :meth:`wait` returns its log."""

    def __init__(
        self,
        display: str,
        seconds: float,
        log: Path,
        env: dict[str, str],
        seed: int = 1,
        buffer_ms: int | None = None,
    ) -> None:
        self.log = log
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tests.av.stimulus",
                "--display",
                display,
                "--seconds",
                str(seconds),
                "--log",
                str(log),
                "--seed",
                str(seed),
                "--lead",
                "1.5",
                *(["--buffer-ms", str(buffer_ms)] if buffer_ms else []),
            ],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline().strip()
        if line != "ready":
            self.proc.kill()
            raise RuntimeError(f"stimulus did not start: {line} {self.proc.stderr.read()}")

    def wait(self, timeout_s: float) -> dict:
        try:
            self.proc.wait(timeout_s)
        except subprocess.TimeoutExpired:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(10)
        if self.proc.returncode != 0:
            raise RuntimeError(f"stimulus failed: {self.proc.stderr.read()}")  # type: ignore[union-attr]
        return json.loads(self.log.read_text())

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)
        for pipe in (self.proc.stdout, self.proc.stderr):
            if pipe is not None:
                pipe.close()


class FfmpegReference:
    """FFmpeg recording the display and the system sink's monitor until :meth:`stop`."""

    def __init__(
        self,
        display: str,
        size: tuple[int, int],
        fps: int,
        out: Path,
        env: dict[str, str],
        monitor: str = f"{SYSTEM_SINK}.monitor",
    ) -> None:
        self.out = out
        self.cmd = [
            "ffmpeg", "-hide_banner", "-loglevel", "error", "-y", "-copyts",
            "-f", "x11grab", "-framerate", str(fps), "-video_size", f"{size[0]}x{size[1]}",
            "-i", display,
            "-f", "pulse", "-i", monitor,
            "-c:v", "libx264", "-preset", "ultrafast", "-tune", "zerolatency",
            "-pix_fmt", "yuv420p", "-g", str(fps), "-bf", "0",
            "-c:a", "aac", "-b:a", "160k",
            "-avoid_negative_ts", "make_zero",
            str(out),
        ]  # fmt: skip
        self.proc = subprocess.Popen(
            self.cmd, env=env, stdin=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
        )

    def stop(self) -> Path:
        """End the recording as a user would (``q``/SIGINT: FFmpeg finishes the file)."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(10)
        if not self.out.exists():
            raise RuntimeError(f"FFmpeg wrote nothing: {self.proc.stderr.read()}")  # type: ignore[union-attr]
        return self.out

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)
        if self.proc.stderr is not None:
            self.proc.stderr.close()


@dataclass(frozen=True)
class ClockCheck:
    """A recorder clip's onsets against the stimulus, on the one clock (ms, median over
    matched onsets): positive means the clip places it later than it happened."""

    audio_ms: float | None  # beep in the clip minus the beep's play time the stream reported
    video_ms: float | None  # flash (ramp-refined) in the clip minus the flash's first draw
    beeps: int
    flashes: int
    audio_errors_ms: tuple[float, ...] = ()
    video_errors_ms: tuple[float, ...] = ()


def _median_error(found_ns: list[int], truth_ns: list[int], max_ms: float = 250) -> list[float]:
    if not truth_ns:
        return []
    truth = np.asarray(truth_ns)
    out = []
    for t in found_ns:
        i = int(np.argmin(np.abs(truth - t)))
        err = (t - int(truth[i])) / 1e6
        if abs(err) <= max_ms:
            out.append(err)
    return out


def clock_check(video: Path, first_frame_t_ns: int, log: dict) -> ClockCheck:
    """Where the recorder put each beep and flash on the clock, against where they were."""
    events = log["events"]
    beeps = [first_frame_t_ns + round(s * 1e9) for s in beep_onsets(video)]
    flashes = [first_frame_t_ns + round(s * 1e9) for s in flash_onsets(video)[0]]
    a = _median_error(beeps, [e["beep_played_ns"] for e in events if e["beep_played_ns"]])
    v = _median_error(flashes, [e["flash_drawn_ns"] for e in events])
    return ClockCheck(
        audio_ms=round(float(np.median(a)), 3) if a else None,
        video_ms=round(float(np.median(v)), 3) if v else None,
        beeps=len(a),
        flashes=len(v),
        audio_errors_ms=tuple(round(x, 2) for x in a),
        video_errors_ms=tuple(round(x, 2) for x in v),
    )


def pulse_env(base: dict[str, str], pulse: dict[str, str], display: str) -> dict[str, str]:
    """The environment for every process of the rig: one PulseAudio server, one display."""
    env = dict(base, **pulse)
    env["DISPLAY"] = display
    env.pop("HINDSIGHT_AUDIO_BACKEND", None)  # the default backend: pulse
    return env
