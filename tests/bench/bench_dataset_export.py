"""Dataset export to LeRobot v3: `hindsight dataset export` vs lerobot's own writer, same clips.

    python -m tests.bench.bench_dataset_export [--clips 3] [--seconds 20] [--size 1280x720]
        [--repeat 10]

Records ``--clips`` real clips with ``hindsight demo`` (a virtual display of ``--size``,
the demo game, its action track), then exports them twice in the same run:

- ``hindsight dataset export DIR --format lerobot -o OUT`` in its own process (local
  process pool, stream copy), and
- lerobot's own writer in its own venv (:mod:`tests.dataset.lerobot_venv`):
  ``LeRobotDataset.create(..., vcodec="h264", streaming_encoding=True)``, then per clip
  every frame decoded and passed to ``add_frame`` with its action vector, and
  ``save_episode``; ``finalize``. Its fastest mode: h264, encoding while frames arrive.

Both are timed from process start to exit, so each pays its own imports. Prints JSON:
seconds of each, the speed ratio (lerobot's time / ours; target >= 10) and our rate in
one-minute clips per minute (clip minutes exported per wall minute; DESIGN's target:
>= 60 at 720p), for these clips and for a larger export: the same clips ``--repeat``
times over (hard links in folders of their own), where the fixed cost of a run (the
process, its imports, the pool) is spread over many clips as in real use.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tests.bench.common import HINDSIGHT, isolated_user_dirs, print_json
from tests.dataset.lerobot_venv import run_in_venv

# Runs in lerobot's venv: argv = clips dir, output dir, JSON list of action columns.
LEROBOT_WRITER = r"""
import json, sys, time
from pathlib import Path

import av
import numpy as np
import pyarrow.parquet as pq
from lerobot.datasets.lerobot_dataset import LeRobotDataset

clips_dir, out, columns = Path(sys.argv[1]), Path(sys.argv[2]), json.loads(sys.argv[3])
clips = sorted(p.parent for p in clips_dir.rglob("manifest.json"))
with av.open(str(clips[0] / "video.mp4")) as c:
    s = c.streams.video[0]
    width, height, fps = s.width, s.height, int(s.average_rate)
features = {
    "action": {"dtype": "float32", "shape": (len(columns),), "names": columns},
    "observation.images.screen": {
        "dtype": "video", "shape": (height, width, 3), "names": ["height", "width", "channels"],
    },
}
ds = LeRobotDataset.create(
    "bench/lerobot-writer", fps, root=out, features=features, use_videos=True,
    vcodec="h264", streaming_encoding=True,
)
frames = 0
for clip in clips:
    table = pq.read_table(clip / "actions.parquet")
    actions = np.stack([table.column(c).to_numpy().astype(np.float32) for c in columns], axis=1)
    task = json.loads((clip / "manifest.json").read_text())["game"]["title"]
    with av.open(str(clip / "video.mp4")) as c:
        for k, frame in enumerate(c.decode(video=0)):
            if k >= len(actions):
                break
            ds.add_frame({
                "action": actions[k],
                "observation.images.screen": frame.to_ndarray(format="rgb24"),
                "task": task,
            })
            frames += 1
    ds.save_episode()
ds.finalize()
print(json.dumps({"frames": frames, "episodes": len(clips)}))
"""


def make_clips(folder: Path, count: int, seconds: int, size: str) -> list[Path]:
    for _ in range(count):
        result = subprocess.run(
            [
                *HINDSIGHT,
                "demo",
                "--clips-dir",
                str(folder),
                "--seconds",
                str(seconds),
                "--size",
                size,
            ],
            capture_output=True,
            text=True,
            timeout=seconds * 10 + 120,
        )
        if result.returncode != 0:
            raise SystemExit(f"hindsight demo failed: {result.stderr[-2000:]}")
    return sorted(p.parent for p in folder.rglob("manifest.json"))


def time_ours(clips_dir: Path, out: Path) -> tuple[float, str]:
    """Wall seconds of ``hindsight dataset export``, and what it printed."""
    t0 = time.perf_counter()
    result = subprocess.run(
        [*HINDSIGHT, "dataset", "export", str(clips_dir), "--format", "lerobot", "-o", str(out)],
        capture_output=True,
        text=True,
    )
    elapsed = time.perf_counter() - t0
    if result.returncode != 0:
        raise SystemExit(f"hindsight dataset export failed: {result.stderr[-2000:]}")
    return elapsed, result.stdout.strip()


def time_lerobot(clips_dir: Path, out: Path, columns: list[str]) -> tuple[float, dict]:
    script = out.parent / "lerobot_writer.py"
    script.write_text(LEROBOT_WRITER)
    run_in_venv("build")  # built (or found) before the clock starts
    t0 = time.perf_counter()
    result = run_in_venv("run", str(script), str(clips_dir), str(out), json.dumps(columns))
    elapsed = time.perf_counter() - t0
    if result.returncode != 0:
        raise SystemExit(f"lerobot's writer failed: {result.stderr[-3000:]}")
    return elapsed, json.loads(result.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clips", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--size", default="1280x720")
    parser.add_argument("--repeat", type=int, default=10)
    args = parser.parse_args()
    with isolated_user_dirs():
        work = Path(tempfile.mkdtemp(prefix="hs-bench-export-"))
        try:
            clips = make_clips(work / "clips", args.clips, args.seconds, args.size)
            ours_s, printed = time_ours(work / "clips", work / "ours")
            for r in range(args.repeat):
                for clip in clips:
                    shutil.copytree(clip, work / "many" / str(r) / clip.name, copy_function=os.link)
            many_s, _ = time_ours(work / "many", work / "ours-many")
            info = json.loads((work / "ours" / "meta" / "info.json").read_text())
            names = info["features"]["action"]["names"]
            lerobot_s, written = time_lerobot(
                work / "clips", work / "lerobot", ["act." + n for n in names]
            )
            clip_minutes = info["total_frames"] / info["fps"] / 60
            many = json.loads((work / "ours-many" / "meta" / "info.json").read_text())
            many_minutes = many["total_frames"] / many["fps"] / 60
            print_json(
                {
                    "clips": len(clips),
                    "seconds_per_clip": args.seconds,
                    "size": args.size,
                    "fps": info["fps"],
                    "frames": info["total_frames"],
                    "ours_s": round(ours_s, 2),
                    "ours_output": printed,
                    "lerobot_writer_s": round(lerobot_s, 2),
                    "lerobot_writer_frames": written["frames"],
                    "lerobot_writer_fps": round(written["frames"] / lerobot_s, 1),
                    "speed_ratio_ours_over_lerobot": round(lerobot_s / ours_s, 1),
                    "target_speed_ratio": 10,
                    "one_minute_clips_per_minute": round(clip_minutes / (ours_s / 60), 1),
                    "repeated_clips": many["total_episodes"],
                    "repeated_clip_minutes": round(many_minutes, 2),
                    "ours_repeated_s": round(many_s, 2),
                    "one_minute_clips_per_minute_repeated": round(many_minutes / (many_s / 60), 1),
                    "target_clips_per_minute": 60,
                }
            )
        finally:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
