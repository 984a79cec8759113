"""Grab time per frame of each X11 capture source (x11grab, mss) on the reference scene.

    python -m tests.bench.bench_grab [--frames 60] [--size 1280x720]

Each source grabs ``--frames`` frames at about 60 per second from testsrc2 playing full
screen on Xvfb, after three warm-up grabs; prints JSON with the median and p90 grab
time per source (each the peer of the other: same scene, same run). Information for
choosing the default source, with no target.
"""

from __future__ import annotations

import argparse
import time

from hindsight.recorder.config import CaptureConfig
from hindsight.recorder.video import choose_capture_source
from tests.bench.common import (
    isolated_user_dirs,
    median,
    percentile,
    print_json,
    reference_scene,
)

SOURCES = ("x11grab", "mss")


def grab_times_ms(display: str, source: str, frames: int, size: tuple[int, int]) -> list[float]:
    times = []
    with choose_capture_source(CaptureConfig(display=display, source=source)) as src:
        for _ in range(3):
            src.grab()
        for _ in range(frames):
            start = time.perf_counter()
            frame = src.grab()
            times.append((time.perf_counter() - start) * 1000)
            if (frame.width, frame.height) != size:
                raise RuntimeError(f"{source} grabbed {frame.width}x{frame.height}, not {size}")
            del frame  # like the session: convert, then let go
            time.sleep(1 / 60)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--frames", type=int, default=60)
    parser.add_argument("--size", default="1280x720")
    args = parser.parse_args()
    w, h = (int(v) for v in args.size.split("x"))
    results = {}
    with isolated_user_dirs(), reference_scene(w, h, 60) as display:
        for source in SOURCES:
            times = grab_times_ms(display, source, args.frames, (w, h))
            results[source] = {
                "median_ms": round(median(times), 3),
                "p90_ms": round(percentile(times, 90), 3),
            }
    print_json(
        {
            "benchmark": "grab_time",
            "scene": f"testsrc2 {w}x{h}@60 full screen on Xvfb",
            "frames": args.frames,
            "sources": results,
        }
    )


if __name__ == "__main__":
    main()
