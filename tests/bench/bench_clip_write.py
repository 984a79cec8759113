"""Writing a clip's MP4: the direct writer, straight to the device or through the page cache,
against PyAV's muxer; same packets, same run.

    python -m tests.bench.bench_clip_write [--seconds 30] [--size 1920x1080] [--fps 60]
                                           [--rounds 8] [--busy 3]

The save's write, alone: ``write_mp4`` on the same ring packets (testsrc2 encoded by
the recorder's own encoder at its default bitrate, two AAC tracks beside it), three
ways, rotating which goes first: the direct writer with O_DIRECT (``device``: what the
recorder does where the clips folder takes it), the direct writer through the page
cache (``page_cache``), and PyAV's muxer (``muxer``, through the page cache). All end
the same way: the file fsynced, its SHA-256 taken, renamed; the files decode the same
(tests/recorder/test_mp4_direct.py). The temporary folder is on the user's home
filesystem, as clips are.
``--busy N`` runs N processes spinning on the cores meanwhile, as the game and the
encoder do while a player saves. Prints JSON: per-round milliseconds for each, their
medians and spread, and the ratios muxer / page_cache and page_cache / device (above 1:
the second is faster).
"""

from __future__ import annotations

import argparse
import multiprocessing
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from hindsight.recorder.audio.encoder import AudioEncoder
from hindsight.recorder.config import EncoderConfig
from hindsight.recorder.export.disk import choose_clip_write
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
    ways: dict[str, dict[str, Any]] = {
        "device": {"clip_write": "direct"},
        "page_cache": {"clip_write": "buffered"},
        "muxer": {"muxer": True},
    }
    took: dict[str, list[float]] = {way: [] for way in ways}
    sizes: dict[str, int] = {}
    try:
        with isolated_user_dirs() as dirs, tempfile.TemporaryDirectory(dir=dirs["HOME"]) as tmp:
            assert choose_clip_write(Path(tmp)) == "direct", "the home folder takes no O_DIRECT"
            for n in range(args.rounds):
                order = list(ways)[n % 3 :] + list(ways)[: n % 3]
                for way in order:
                    # Every file is kept, as a recorder keeps its clips: a file deleted
                    # right away hands its cached pages straight to the next write.
                    path = Path(tmp) / f"{way}-{n}.mp4"
                    started = time.perf_counter()
                    facts = write_mp4(video, path, audio, **ways[way])
                    took[way].append((time.perf_counter() - started) * 1000)
                    sizes[way] = facts.bytes
                    time.sleep(0.2)  # let the disk take the pages before the next round
    finally:
        for p in spinners:
            p.kill()

    def ratios(slow: str, fast: str) -> list[float]:
        return [s / f for f, s in zip(took[fast], took[slow], strict=True)]

    muxer_over, cache_over = ratios("muxer", "page_cache"), ratios("page_cache", "device")
    print_json(
        {
            "bench": "clip_write",
            "compares": "write_mp4: direct writer to the device (O_DIRECT), direct writer "
            "through the page cache, PyAV's muxer; same packets, same run",
            "clip": f"{args.seconds} s {args.size}@{args.fps}, two AAC tracks",
            "busy_processes": args.busy,
            "file_mb": {k: round(v / 1e6, 1) for k, v in sizes.items()},
            **{f"{way}_ms": [round(x, 1) for x in took[way]] for way in ways},
            **{f"{way}_ms_spread": spread(took[way], 1) for way in ways},
            "muxer_over_page_cache_per_round": [round(r, 2) for r in muxer_over],
            "muxer_over_page_cache_median": round(statistics.median(muxer_over), 2),
            "page_cache_over_device_per_round": [round(r, 2) for r in cache_over],
            "page_cache_over_device_median": round(statistics.median(cache_over), 2),
        }
    )


if __name__ == "__main__":
    main()
