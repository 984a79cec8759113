"""What a repeated frame costs the encoder, against a new frame, in the same run.

    python -m tests.bench.bench_repeat_frames [--size 1920x1080] [--fps 60] [--cycles 120]

When the encoder falls behind, the recorder fills the slots it gave up with repeats of
the last frame (the file stays constant frame rate). Each repeat is still encoded. This
opens libx264 through PyAV with the recorder's own options (``encoder_options``, the
default preset and bitrate) and feeds it cycles of one new frame and two repeats of it
(noise frames, the encoder's worst case). It prints JSON: CPU per frame (process CPU,
so x264's own threads count) and bytes per frame for new frames and repeats, their
ratio, and the same with x264's threads off (``threads=1``) beside it.
"""

from __future__ import annotations

import argparse
import time
from fractions import Fraction

import av
import numpy as np

from hindsight.recorder.config import DEFAULTS, EncoderConfig
from hindsight.recorder.video.encoder import encoder_options
from tests.bench.common import isolated_user_dirs, print_json

_REPEATS = 2  # per new frame: about what a 1080p60 recorder behind on two cores makes


def _frames(width: int, height: int, count: int = 8) -> list[av.VideoFrame]:
    rng = np.random.default_rng(0)
    return [
        av.VideoFrame.from_ndarray(
            rng.integers(0, 256, (height, width, 3), dtype=np.uint8), format="rgb24"
        ).reformat(format="yuv420p")
        for _ in range(count)
    ]


def measure(width: int, height: int, fps: int, cycles: int, threads_off: bool) -> dict:
    config = EncoderConfig()
    gop_frames = max(1, round(fps * config.keyframe_interval_ms / 1000))  # as VideoEncoder
    options = encoder_options("libx264", config, gop_frames)
    if threads_off:
        options["x264-params"] += ":threads=1"
    ctx = av.CodecContext.create("libx264", "w")
    ctx.width, ctx.height, ctx.pix_fmt = width, height, "yuv420p"
    ctx.time_base = Fraction(1, fps)
    ctx.framerate = fps
    ctx.bit_rate = DEFAULTS.bitrate_bps
    ctx.options = options
    ctx.open()
    frames = _frames(width, height)
    cpu_s = {"new": 0.0, "repeat": 0.0}
    size = {"new": 0, "repeat": 0}
    count = {"new": 0, "repeat": 0}
    pts = 0
    for i in range(cycles):
        frame = frames[i % len(frames)]
        for n in range(1 + _REPEATS):
            kind = "new" if n == 0 else "repeat"
            frame.pts = pts
            pts += 1
            started = time.process_time()
            packets = ctx.encode(frame)
            cpu_s[kind] += time.process_time() - started
            size[kind] += sum(p.size for p in packets)
            count[kind] += 1
    ms = {k: cpu_s[k] / count[k] * 1000 for k in cpu_s}
    return {
        "new_frame_cpu_ms": round(ms["new"], 2),
        "repeat_cpu_ms": round(ms["repeat"], 2),
        "repeat_over_new_cpu": round(ms["repeat"] / ms["new"], 3),
        "new_frame_kb": round(size["new"] / count["new"] / 1000, 1),
        "repeat_kb": round(size["repeat"] / count["repeat"] / 1000, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--size", default="1920x1080")
    parser.add_argument("--fps", type=int, default=60)
    parser.add_argument("--cycles", type=int, default=120)
    args = parser.parse_args()
    width, height = (int(v) for v in args.size.split("x"))
    with isolated_user_dirs():
        result = {
            "bench": "repeat_frames",
            "encoder": "libx264 through PyAV, the recorder's options",
            "size": args.size,
            "fps": args.fps,
            "bitrate_bps": DEFAULTS.bitrate_bps,
            "repeats_per_new_frame": _REPEATS,
            "x264_threads_auto": measure(width, height, args.fps, args.cycles, False),
            "x264_threads_off": measure(width, height, args.fps, args.cycles, True),
        }
    print_json(result)


if __name__ == "__main__":
    main()
