"""What converting a captured frame costs: libyuv's pooled converter against swscale, same run.

    python -m tests.bench.bench_convert [--size 1920x1080] [--frames 600] [--hold 7]

Both convert the same BGR0 frames (a moving gradient with noise, what x11grab hands
over) to ``yuv420p`` through the recorder's own converters
(:mod:`hindsight.recorder.video.converter`), alternating in rounds. ``--hold`` frames are
kept alive at a time, as the encoder's queue and its last frame keep them, so the pool
has to skip buffers in use. Prints JSON: process CPU and wall time per frame for each,
their ratio, how many output buffers the pool made, and how far apart the two outputs
are (the largest difference per plane: both are BT.601 limited range, they round and
site chroma differently).
"""

from __future__ import annotations

import argparse
import resource
import time
from collections import deque

import av
import numpy as np

from hindsight.recorder.video.converter import FrameConverter, SwscaleConverter
from hindsight.recorder.video.libyuv_converter import LibyuvConverter
from tests.bench.common import isolated_user_dirs, print_json


def _sources(width: int, height: int, count: int = 8) -> list[av.VideoFrame]:
    rng = np.random.default_rng(0)
    yy, xx = np.mgrid[0:height, 0:width]
    frames = []
    for i in range(count):
        pixels = np.empty((height, width, 4), np.uint8)
        pixels[..., 0] = (xx + 7 * i) * 255 // width
        pixels[..., 1] = (yy + 5 * i) * 255 // height
        pixels[..., 2] = rng.integers(0, 256, (height, width), dtype=np.uint8)
        pixels[..., 3] = 0
        frame = av.VideoFrame(width, height, "bgr0")  # x11grab's own format, in FFmpeg's buffer
        frame.planes[0].update(pixels.tobytes())
        frames.append(frame)
    return frames


def _cpu_s() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def _run(converter: FrameConverter, sources: list[av.VideoFrame], frames: int, hold: int):
    held: deque[av.VideoFrame] = deque(maxlen=hold)
    t0, c0 = time.perf_counter(), _cpu_s()
    for i in range(frames):
        held.append(converter.convert(sources[i % len(sources)]))
    return time.perf_counter() - t0, _cpu_s() - c0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", default="1920x1080")
    ap.add_argument("--frames", type=int, default=600)
    ap.add_argument("--hold", type=int, default=7)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    width, height = (int(v) for v in args.size.split("x"))
    sources = _sources(width, height)
    libyuv, swscale = LibyuvConverter("yuv420p", width, height), SwscaleConverter("yuv420p")
    totals = {"libyuv": [0.0, 0.0], "swscale": [0.0, 0.0]}
    for _ in range(args.rounds):
        for name, converter in (("libyuv", libyuv), ("swscale", swscale)):
            wall_s, cpu_s = _run(converter, sources, args.frames, args.hold)
            totals[name][0] += wall_s
            totals[name][1] += cpu_s
    n = args.frames * args.rounds
    ours = libyuv.convert(sources[0]).to_ndarray().astype(np.int16)
    theirs = swscale.convert(sources[0]).to_ndarray().astype(np.int16)
    diff = np.abs(ours - theirs)
    result = {
        "size": args.size,
        "frames": n,
        "held_at_once": args.hold,
        "libyuv_cpu_ms_per_frame": round(totals["libyuv"][1] / n * 1e3, 3),
        "swscale_cpu_ms_per_frame": round(totals["swscale"][1] / n * 1e3, 3),
        "libyuv_wall_ms_per_frame": round(totals["libyuv"][0] / n * 1e3, 3),
        "swscale_wall_ms_per_frame": round(totals["swscale"][0] / n * 1e3, 3),
        "cpu_ratio_libyuv_over_swscale": round(totals["libyuv"][1] / totals["swscale"][1], 3),
        "libyuv_pool_buffers": libyuv.buffers,
        "max_diff_y": int(diff[:height].max()),
        "max_diff_chroma": int(diff[height:].max()),
        "mean_diff_chroma": round(float(diff[height:].mean()), 3),
    }
    print_json(result)


if __name__ == "__main__":
    with isolated_user_dirs():
        main()
