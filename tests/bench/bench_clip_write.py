"""Writing a clip's MP4: the direct writer against PyAV's muxer, same packets, same run.

    python -m tests.bench.bench_clip_write [--seconds 30] [--size 1920x1080] [--fps 60]
                                           [--rounds 8] [--busy 3]

The save's write, alone: ``write_mp4`` on the same ring packets (testsrc2 encoded by
the recorder's own encoder at its default bitrate, two AAC tracks beside it), once
through the direct writer (the default) and once through the muxer (``muxer=True``),
alternating which goes first. Both end the same way: the file fsynced, its SHA-256
taken, renamed; the two files decode the same (tests/recorder/test_mp4_direct.py).
``--busy N`` runs N processes spinning on the cores meanwhile, as the game and the
encoder do while a player saves. Prints JSON: per-round milliseconds for each, their
medians and spread, and the ratio muxer / direct (above 1: the direct writer is faster).
"""

from __future__ import annotations

import argparse
import multiprocessing
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

from hindsight.recorder.audio.encoder import AudioEncoder
from hindsight.recorder.config import EncoderConfig
from hindsight.recorder.export.mux import AudioStream, write_mp4
from hindsight.recorder.packet import EncodedPacket
from tests.bench.common import isolated_user_dirs, print_json, spread
from tests.recorder.helpers import encode_testsrc

T0_NS = 10**12


def tone(title: str, seconds: int) -> AudioStream:
    enc = AudioEncoder(title, T0_NS, 128_000)
    enc.open()
    rng = np.random.default_rng(len(title))
    packets: list[EncodedPacket] = []
    for _ in range(0, 48_000 * (seconds + 1), 4800):
        packets += enc.encode((rng.random((4800, 2), dtype=np.float32) - 0.5) * 0.2)
    return AudioStream(title, packets + enc.flush())


def spin() -> None:
    while True:
        pass


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=int, default=30)
    parser.add_argument("--size", default="1920x1080")
    parser.add_argument("--fps", type=int, default=60)
    parser.add_argument("--rounds", type=int, default=8)
    parser.add_argument("--busy", type=int, default=3, help="processes spinning meanwhile")
    args = parser.parse_args()
    width, height = map(int, args.size.split("x"))
    video = encode_testsrc((width, height), args.fps, args.fps * args.seconds, EncoderConfig())
    audio = [tone("system", args.seconds), tone("mic", args.seconds)]
    spinners = [multiprocessing.Process(target=spin, daemon=True) for _ in range(args.busy)]
    for p in spinners:
        p.start()
    took: dict[str, list[float]] = {"direct": [], "muxer": []}
    sizes: dict[str, int] = {}
    try:
        with isolated_user_dirs() as dirs, tempfile.TemporaryDirectory(dir=dirs["HOME"]) as tmp:
            for n in range(args.rounds):
                order = ["direct", "muxer"] if n % 2 == 0 else ["muxer", "direct"]
                for way in order:
                    path = Path(tmp) / f"{way}.mp4"
                    started = time.perf_counter()
                    facts = write_mp4(video, path, audio, muxer=way == "muxer")
                    took[way].append((time.perf_counter() - started) * 1000)
                    sizes[way] = facts.bytes
                    path.unlink()
                    time.sleep(0.2)  # let the disk take the pages before the next round
    finally:
        for p in spinners:
            p.kill()
    ratios = [m / d for d, m in zip(took["direct"], took["muxer"], strict=True)]
    print_json(
        {
            "bench": "clip_write",
            "compares": "write_mp4 direct vs through PyAV's muxer, same packets, same run",
            "clip": f"{args.seconds} s {args.size}@{args.fps}, two AAC tracks",
            "busy_processes": args.busy,
            "file_mb": {k: round(v / 1e6, 1) for k, v in sizes.items()},
            "direct_ms": [round(x, 1) for x in took["direct"]],
            "muxer_ms": [round(x, 1) for x in took["muxer"]],
            "direct_ms_spread": spread(took["direct"], 1),
            "muxer_ms_spread": spread(took["muxer"], 1),
            "muxer_over_direct_per_round": [round(r, 2) for r in ratios],
            "muxer_over_direct_median": round(statistics.median(ratios), 2),
        }
    )


if __name__ == "__main__":
    main()
