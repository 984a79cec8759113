"""Capture benchmark: frames delivered and CPU time of the recorder vs FFmpeg, same scene, same run.

    python -m tests.bench.bench_capture [--seconds 60] [--rounds 2] [--audio]

Each round measures FFmpeg's x11grab + libx264 and then ``hindsight record`` on the
reference scene, each over the same steady-state window after a warm-up. Both encode
the same thing: libx264 ultrafast/zerolatency, 4:2:0 (``-pix_fmt yuv420p``), the same
bitrate (``-b:v``, ``--bitrate``), a keyframe every second (``-g 60`` at 60 fps, the
recorder's fixed GOP) and no B-frames (``-bf 0``), and FFmpeg's live inputs get a deep
thread queue so neither waits on the other (``peer_command``). FFmpeg's duplicated and
dropped frames are FFmpeg's own counts (its ``-progress`` output); each round also gives
both sides' CPU per real (not repeated) frame. Prints JSON: per-round
figures and the ratios DESIGN section 10 asks for.

Without ``--audio`` both sides record picture only (the recorder with sound off).
With ``--audio`` a private PulseAudio server plays a tone into its default sink the
whole time, and both sides also record that sink's monitor as one AAC track: FFmpeg
with ``-f pulse``, the recorder with its default sound (system audio; with one
source the mix and system tracks are one encode).
"""

from __future__ import annotations

import argparse
import contextlib
import tempfile
import time
from pathlib import Path

from tests.bench.common import (
    FfmpegPeer,
    RecorderCli,
    cpu_seconds,
    isolated_user_dirs,
    print_json,
    progress_counters,
    reference_scene,
    system_sound,
)


def measure_ffmpeg(
    display: str,
    w: int,
    h: int,
    fps: int,
    warmup_s: float,
    seconds: float,
    bitrate: str,
    audio_source: str | None,
) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        peer = FfmpegPeer(
            display,
            w,
            h,
            fps,
            warmup_s + seconds + 2,
            Path(tmp) / "peer.mp4",
            bitrate,
            gop=fps,
            audio_source=audio_source,
        )
        time.sleep(warmup_s)
        cpu0, c0 = cpu_seconds(peer.ps), peer.counters()
        time.sleep(seconds)
        cpu1, c1 = cpu_seconds(peer.ps), peer.counters()
        code = peer.wait(60)
        time.sleep(0.2)  # the reader thread takes the last progress block
        size_mb = (Path(tmp) / "peer.mp4").stat().st_size / 2**20 if code == 0 else None
    if code != 0:
        raise RuntimeError(f"ffmpeg exited {code}: {' '.join(peer.cmd)}")
    total = progress_counters(peer.final or peer.progress)
    return {
        "command": " ".join(peer.cmd),
        "cpu_s": round(cpu1 - cpu0, 3),
        "frames_out": c1["frame"] - c0["frame"],
        "dup_frames": c1["dup"] - c0["dup"],
        "drop_frames": c1["drop"] - c0["drop"],
        "whole_run": {
            "frames_out": total["frame"],
            "dup_frames": total["dup"],
            "drop_frames": total["drop"],
            "file_mb": round(size_mb, 1) if size_mb is not None else None,
        },
    }


def measure_recorder(
    display: str, fps: int, warmup_s: float, seconds: float, bitrate: str, audio: bool
) -> dict:
    rec = RecorderCli(
        "--display",
        display,
        "--fps",
        str(fps),
        "--buffer-seconds",
        "30",
        "--encoder",
        "libx264",
        "--bitrate",
        bitrate,
        env=None if audio else {"HINDSIGHT_AUDIO_BACKEND": "none"},
    )
    try:
        time.sleep(warmup_s)
        cpu0, s0 = cpu_seconds(rec.ps), rec.status()
        time.sleep(seconds)
        cpu1, s1 = cpu_seconds(rec.ps), rec.status()
    finally:
        rec.stop()
    slots = s1["capture"]["frames"] - s0["capture"]["frames"]
    return {
        "cpu_s": round(cpu1 - cpu0, 3),
        "slots": slots,
        "frames_captured": s1["capture"]["frames_captured"] - s0["capture"]["frames_captured"],
        "dup_frames": s1["capture"]["dup_frames"] - s0["capture"]["dup_frames"],
        "queue_drops": s1["capture"]["queue_drops"] - s0["capture"]["queue_drops"],
        "encoder": s1["encoder"]["name"],
        "audio": s1.get("audio"),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--warmup", type=float, default=4)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--size", default="1920x1080")
    parser.add_argument("--fps", type=int, default=60)
    parser.add_argument("--bitrate", default="12M", help="both sides (FFmpeg's form)")
    parser.add_argument("--audio", action="store_true", help="both sides also record sound")
    args = parser.parse_args()
    w, h = (int(v) for v in args.size.split("x"))
    rounds = []
    with contextlib.ExitStack() as stack:
        stack.enter_context(isolated_user_dirs())
        display = stack.enter_context(reference_scene(w, h, args.fps))
        audio_source = stack.enter_context(system_sound()) if args.audio else None
        time.sleep(2)
        for _ in range(args.rounds):
            peer = measure_ffmpeg(
                display, w, h, args.fps, args.warmup, args.seconds, args.bitrate, audio_source
            )
            rec = measure_recorder(
                display, args.fps, args.warmup, args.seconds, args.bitrate, args.audio
            )
            expected = round(args.fps * args.seconds)
            peer_real = peer["frames_out"] - peer["dup_frames"]
            rounds.append(
                {
                    "ffmpeg": peer,
                    "recorder": rec,
                    "cpu_ratio": round(rec["cpu_s"] / peer["cpu_s"], 3),
                    "real_frames_pct": round(
                        100 * rec["frames_captured"] / max(1, rec["slots"]), 2
                    ),
                    "slots_vs_wall_clock_pct": round(100 * rec["slots"] / expected, 2),
                    "dup_frames_pct": round(100 * rec["dup_frames"] / max(1, rec["slots"]), 2),
                    "ffmpeg_real_frames_pct": round(
                        100 * peer_real / max(1, peer["frames_out"]), 2
                    ),
                    "cpu_ms_per_real_frame": {
                        "recorder": round(1e3 * rec["cpu_s"] / max(1, rec["frames_captured"]), 2),
                        "ffmpeg": round(1e3 * peer["cpu_s"] / max(1, peer_real), 2),
                    },
                }
            )
    cpu_ratio = sum(r["cpu_ratio"] for r in rounds) / len(rounds)
    real_pct = min(r["real_frames_pct"] for r in rounds)
    # DESIGN section 10 asks 1.25 of FFmpeg's CPU; issue 14 asks 0.9 with sound on.
    ratio_max = 0.9 if args.audio else 1.25
    print_json(
        {
            "benchmark": "capture",
            "scene": f"testsrc2 {w}x{h}@{args.fps} full screen on Xvfb",
            "audio": "a tone on a PulseAudio null sink, one AAC track" if args.audio else None,
            "seconds": args.seconds,
            "encoding": {
                "codec": "libx264 ultrafast zerolatency",
                "pix_fmt": "yuv420p",
                "bitrate": args.bitrate,
                "gop_frames": args.fps,
                "b_frames": 0,
            },
            "rounds": rounds,
            "cpu_ratio_mean": round(cpu_ratio, 3),
            "real_frames_pct_min": real_pct,
            "targets": {"cpu_ratio_max": ratio_max, "real_frames_pct_min": 99.0},
            "meets_targets": cpu_ratio <= ratio_max and real_pct >= 99.0,
        }
    )


if __name__ == "__main__":
    main()
