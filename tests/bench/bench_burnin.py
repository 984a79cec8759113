"""Burn-in benchmark: overlay burn-in speed as a multiple of real time, against FFmpeg's
own re-encode.

    python -m tests.bench.bench_burnin [--seconds 60] [--sizes 1920x1080,1280x720]

For each size, the real recorder records the reference scene (testsrc2 full screen
at 60 fps on Xvfb) with the demo game on top, played through real X input events,
so the clip carries an action track; then ``hindsight overlay render`` (the
``keyboard_mouse`` template) burns it in, and FFmpeg decodes and re-encodes the same
clip with the same libx264 preset as the reference peer. Prints JSON.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

import av

from hindsight.bundle import VIDEO_FILE
from hindsight.demo.game import DemoPlayer
from hindsight.overlay.burnin import DEFAULT_PRESET, burn_in
from hindsight.recorder.control import create_client
from tests.bench.common import RecorderCli, isolated_user_dirs, print_json, reference_scene


def record_clip(width: int, height: int, seconds: int, out_dir: Path) -> Path:
    with reference_scene(width, height, 60) as display:
        game = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "hindsight.demo.game",
                "--display",
                display,
                "--position",
                f"{(width - 640) // 2},{(height - 360) // 2}",
            ],
            stdout=subprocess.PIPE,
            text=True,
        )
        window_id = int(game.stdout.readline().split()[1])
        rec = RecorderCli(
            "--display",
            display,
            "--fps",
            "60",
            "--buffer-seconds",
            str(seconds + 10),
            "--clip-seconds",
            str(seconds),
            "--bitrate",
            "12M",
            "--no-overlay-server",
        )
        player = DemoPlayer(display)
        try:
            player.focus(window_id)
            player.play(seconds + 2)
            reply = create_client(rec.env["HINDSIGHT_CONTROL"]).request(
                {"cmd": "clip", "seconds": seconds}, timeout_s=120
            )
            clip = Path(reply["path"])
            kept = out_dir / f"clip-{width}x{height}"
            subprocess.run(["cp", "-r", str(clip), str(kept)], check=True)
            return kept
        finally:
            player.close()
            rec.stop()
            game.kill()
            game.wait(10)


def ffmpeg_reencode(clip: Path) -> float:
    start = time.monotonic()
    subprocess.run(
        [
            "ffmpeg",
            "-hide_banner",
            "-loglevel",
            "error",
            "-nostdin",
            "-y",
            "-i",
            str(clip / VIDEO_FILE),
            "-c:v",
            "libx264",
            "-preset",
            DEFAULT_PRESET,
            "-tune",
            "zerolatency",
            "-bf",
            "0",
            "-b:v",
            "15M",
            "-c:a",
            "copy",
            str(clip / "ffmpeg-reencode.mp4"),
        ],
        check=True,
    )
    return time.monotonic() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--sizes", default="1920x1080,1280x720")
    parser.add_argument("--work", type=Path, default=Path("/tmp/hs-bench-burnin"))
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    results = []
    for size in args.sizes.split(","):
        w, h = (int(v) for v in size.split("x"))
        clip = record_clip(w, h, args.seconds, args.work)
        with av.open(str(clip / VIDEO_FILE)) as c:
            stream = c.streams.video[0]
            frames, fps = stream.frames, float(stream.average_rate)
        video_s = frames / fps
        result = burn_in(clip, template="keyboard_mouse")
        ffmpeg_s = ffmpeg_reencode(clip)
        results.append(
            {
                "size": size,
                "clip_frames": frames,
                "clip_seconds": round(video_s, 2),
                "burnin_wall_s": round(result.seconds, 2),
                "burnin_x_realtime": round(video_s / result.seconds, 2),
                "ffmpeg_reencode_wall_s": round(ffmpeg_s, 2),
                "ffmpeg_x_realtime": round(video_s / ffmpeg_s, 2),
                "burnin_vs_ffmpeg": round(ffmpeg_s / result.seconds, 3),
                "encoder": result.encoder,
            }
        )
    by_size = {r["size"]: r for r in results}
    print_json(
        {
            "benchmark": "burnin",
            "template": "keyboard_mouse",
            "preset": DEFAULT_PRESET,
            "scene": "testsrc2 full screen at 60 fps on Xvfb with the demo game played by XTest",
            "results": results,
            "target": {"720p60_x_realtime_min": 1.0},
            "meets_target": by_size.get("1280x720", {}).get("burnin_x_realtime", 0) >= 1.0,
        }
    )


if __name__ == "__main__":
    with isolated_user_dirs():  # never the user's own settings, maps or clips
        main()
