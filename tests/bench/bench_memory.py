"""Resident memory of a recorder with a 60 s buffer at 12 Mbit/s on the reference scene, over time.

    python -m tests.bench.bench_memory [--minutes 10] [--buffer-seconds 60] [--bitrate 12M]

Samples the recorder's RSS every few seconds. The target (DESIGN section 9) is at
most 1.2 x (bitrate x seconds) + 150 MB, and flat: after the buffer has filled, RSS
must not keep growing. The actual bytes the ring holds are reported beside it.
"""

from __future__ import annotations

import argparse
import time

from hindsight.recorder.config import parse_bitrate
from tests.bench.common import RecorderCli, print_json, reference_scene


def slope_mb_per_min(samples: list[tuple[float, float]]) -> float:
    """Least-squares slope of RSS (MB) over time (minutes)."""
    n = len(samples)
    if n < 2:
        return 0.0
    mx = sum(t for t, _ in samples) / n
    my = sum(m for _, m in samples) / n
    num = sum((t - mx) * (m - my) for t, m in samples)
    den = sum((t - mx) ** 2 for t, _ in samples) or 1.0
    return num / den


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--buffer-seconds", type=int, default=60)
    parser.add_argument("--bitrate", default="12M")
    parser.add_argument("--interval", type=float, default=5)
    args = parser.parse_args()
    bitrate = parse_bitrate(args.bitrate)
    budget_mb = (1.2 * bitrate / 8 * args.buffer_seconds) / 2**20 + 150
    samples: list[tuple[float, float]] = []
    ring_mb: list[float] = []
    with reference_scene() as display:
        rec = RecorderCli(
            "--display",
            display,
            "--fps",
            "60",
            "--buffer-seconds",
            str(args.buffer_seconds),
            "--bitrate",
            args.bitrate,
        )
        try:
            t0 = time.monotonic()
            while (elapsed := time.monotonic() - t0) < args.minutes * 60:
                rss_mb = rec.ps.memory_info().rss / 2**20
                samples.append((elapsed / 60, rss_mb))
                ring_mb.append(rec.status()["buffer"]["bytes"] / 2**20)
                time.sleep(args.interval)
            status = rec.status()
        finally:
            rec.stop()
    filled = [(t, m) for t, m in samples if t * 60 >= args.buffer_seconds + 10]
    max_rss = max(m for _, m in samples)
    second_half = filled[len(filled) // 2 :]
    print_json(
        {
            "benchmark": "memory",
            "scene": "testsrc2 1920x1080@60 full screen on Xvfb",
            "buffer_seconds": args.buffer_seconds,
            "bitrate_bps": bitrate,
            "minutes": args.minutes,
            "budget_mb": round(budget_mb, 1),
            "max_rss_mb": round(max_rss, 1),
            "rss_after_fill_mb": round(filled[0][1], 1) if filled else None,
            "rss_end_mb": round(samples[-1][1], 1),
            "ring_mb_end": round(ring_mb[-1], 1),
            "ring_mb_max": round(max(ring_mb), 1),
            "slope_after_fill_mb_per_min": round(slope_mb_per_min(filled), 3),
            "slope_second_half_mb_per_min": round(slope_mb_per_min(second_half), 3),
            "dup_frames": status["capture"]["dup_frames"],
            "frames": status["capture"]["frames"],
            "samples": [(round(t, 2), round(m, 1)) for t, m in samples],
            "meets_target": max_rss <= budget_mb and abs(slope_mb_per_min(second_half)) < 1.0,
        }
    )


if __name__ == "__main__":
    main()
