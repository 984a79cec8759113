"""A private PulseAudio server for the pulse backend's tests, reached through PULSE_SERVER."""

from __future__ import annotations

import contextlib
import os
import subprocess
import time
from collections.abc import Iterator

import numpy as np

from hindsight.clock import NS_PER_S, now_ns
from hindsight.recorder.audio.source import AudioBlock, AudioSource
from tests.audio_server import RATE, SYSTEM_SINK, PulseServer

__all__ = ["running_server", "record", "first_loud", "playing_silence"]


def running_server() -> Iterator[PulseServer]:
    """Start a server and point this process at it; never skips (a missing daemon fails)."""
    server = PulseServer()
    server.start()
    saved = {k: os.environ.get(k) for k in server.env}
    os.environ.update(server.env)
    try:
        yield server
    finally:
        server.stop()
        for key, old in saved.items():
            if old is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = old


def record(source: AudioSource, seconds: float) -> list[tuple[AudioBlock, int]]:
    """Every block read for ``seconds``, each with the clock time it was read."""
    out = []
    end = now_ns() + int(seconds * NS_PER_S)
    while now_ns() < end:
        block = source.read(0.05)
        if block is not None:
            out.append((block, now_ns()))
    return out


def first_loud(blocks: list[tuple[AudioBlock, int]], threshold: float = 0.1) -> int | None:
    """Clock time of the first sample louder than ``threshold``, from the blocks' stamps."""
    for block, _ in blocks:
        loud = np.flatnonzero(np.abs(block.pcm[:, 0]) > threshold)
        if len(loud):
            return block.t_ns + int(loud[0]) * NS_PER_S // 48_000
    return None


@contextlib.contextmanager
def playing_silence(server: PulseServer) -> Iterator[None]:
    """Keep a stream of silence playing into the system sink, as a running game does.

    An idle null sink renders up to seconds ahead and its monitor then delivers late;
    a game keeps its output open, so the sink runs at the latency its streams ask for.
    """
    proc = subprocess.Popen(
        [
            "pacat",
            "--playback",
            f"--device={SYSTEM_SINK}",
            "--format=float32le",
            f"--rate={RATE}",
            "--channels=2",
            "--latency-msec=20",
            "--raw",
            "/dev/zero",
        ],
        env=dict(os.environ, **server.env),
    )
    try:
        time.sleep(0.3)
        yield
    finally:
        proc.kill()
        proc.wait()
