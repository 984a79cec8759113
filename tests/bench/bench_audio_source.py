"""Audio source cost: CPU of the PulseAudio source's reader vs ``parec``, same monitor, same run.

    python -m tests.bench.bench_audio_source [--seconds 20]

A private PulseAudio server (tests/audio_server.py) plays a steady 440 Hz tone into
its null sink. Two recorders take the sink's monitor at the same time, both 48 kHz
stereo float32 with 10 ms fragments: ``PulseSource`` read in a loop in its own
Python process (what the recorder's reader thread does, without the encoder), and
``parec`` writing to /dev/null. After a warm-up (an idle null sink's monitor is
silent for up to 2 s), each process's CPU time is sampled over the same window.
Prints JSON: CPU seconds of each, frames delivered, and the ratio ours / parec.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time

import numpy as np
import psutil

from tests.bench.common import cpu_seconds, isolated_user_dirs, print_json

WARMUP_S = 3.0


def child(seconds: float) -> None:
    """The measured side: read the default monitor until told to stop, then report."""
    from hindsight.clock import NS_PER_S, now_ns
    from hindsight.recorder.audio.pulse import PulseSource
    from hindsight.recorder.audio.source import AudioKind

    source = PulseSource(AudioKind.SYSTEM)
    source.open()
    print("ready", flush=True)
    frames = blocks = 0
    end = now_ns() + int(seconds * NS_PER_S)
    while now_ns() < end:
        block = source.read(0.1)
        if block is not None:
            frames += block.frames
            blocks += 1
    dropped = source.dropped_blocks
    source.close()
    print(json.dumps({"frames": frames, "blocks": blocks, "dropped_blocks": dropped}), flush=True)


def measure(seconds: float) -> dict:
    from tests.audio_server import SYSTEM_SINK, PulseServer, sine

    with PulseServer() as server:
        env = dict(os.environ, **server.env)
        # From a file, not PulseServer.play: that writes the whole tone before it returns.
        raw = server.root / "tone.raw"
        pcm = np.tile(sine(1.0, 440.0, 0.3), (int(seconds + WARMUP_S + 4), 1))
        raw.write_bytes(np.ascontiguousarray(pcm, dtype="<f4").tobytes())
        tone = subprocess.Popen(
            [
                "pacat",
                "--playback",
                f"--device={SYSTEM_SINK}",
                "--format=float32le",
                "--rate=48000",
                "--channels=2",
                "--latency-msec=20",
                "--raw",
                str(raw),
            ],
            env=env,
        )
        ours = subprocess.Popen(
            [sys.executable, "-m", "tests.bench.bench_audio_source", "--child", str(seconds + 1)],
            env=env,
            stdout=subprocess.PIPE,
            text=True,
        )
        parec_cmd = [
            "parec",
            f"--device={SYSTEM_SINK}.monitor",
            "--format=float32le",
            "--rate=48000",
            "--channels=2",
            "--latency-msec=10",
            "--raw",
        ]
        with open(os.devnull, "wb") as devnull:
            parec = subprocess.Popen(parec_cmd, env=env, stdout=devnull)
        try:
            assert ours.stdout is not None
            if ours.stdout.readline().strip() != "ready":
                raise RuntimeError("the PulseSource child did not start")
            time.sleep(WARMUP_S)
            procs = {"pulse_source": psutil.Process(ours.pid), "parec": psutil.Process(parec.pid)}
            cpu0 = {k: cpu_seconds(p) for k, p in procs.items()}
            wall0 = time.monotonic()
            time.sleep(seconds)
            cpu1 = {k: cpu_seconds(p) for k, p in procs.items()}
            wall = time.monotonic() - wall0
            counts = json.loads(ours.stdout.readline())
            ours.wait(10)
        finally:
            for proc in (parec, tone, ours):
                if proc.poll() is None:
                    proc.kill()
                    proc.wait()
    cpu = {k: round(cpu1[k] - cpu0[k], 3) for k in cpu0}
    return {
        "seconds": round(wall, 2),
        "pulse_source": {"cpu_s": cpu["pulse_source"], **counts},
        "parec": {"cpu_s": cpu["parec"], "command": " ".join(parec_cmd)},
        "cpu_ratio_ours_to_parec": round(cpu["pulse_source"] / max(cpu["parec"], 1e-3), 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20.0, help="measured window")
    parser.add_argument("--child", type=float, default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child is not None:
        child(args.child + WARMUP_S)
        return
    print_json(measure(args.seconds))


if __name__ == "__main__":
    with isolated_user_dirs():  # never the user's own settings, maps or clips
        main()
