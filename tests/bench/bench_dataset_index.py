"""Dataset index and WebDataset export: clips per minute, and export MB/s against plain ``tar``.

    python -m tests.bench.bench_dataset_index [--clips 8] [--seconds 60] [--size 1280x720]
                                              [--workers N] [--clip DIR]

One real clip recorded as the demo records (720p30, one minute by default; ``--clip``
reuses a clip folder instead), copied ``--clips`` times with fresh clip ids (pairs
of copies claim overlapping spans of one recording run, so grouping has work). Then,
in this process with the local engine (a process pool):

- ``build_index`` over the copies: clips per minute; then ``hindsight dataset index`` as
  a whole process on each of ``--engines`` (local, and a private Ray instance);
- ``export_webdataset`` of the copies: MB of shards written per second, against the
  peer, GNU ``tar -cf`` of the same files (each clip's video and action track and a
  JSON file, the sample's members) in the same run, ``--rounds`` times each, alternating
  which goes first, medians reported. The page cache is warm for both (the index pass
  read every file first) and dirty pages are synced before each run.

Prints JSON. Not a timed test.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from hindsight.bundle import MANIFEST_FILE, SessionFacts, read_manifest
from hindsight.dataset.engine import LocalEngine
from hindsight.dataset.index import IndexOptions, build_index
from hindsight.dataset.source import open_source
from hindsight.dataset.webdataset import WebDatasetOptions, export_webdataset
from hindsight.demo.display import MovingScene, VirtualDisplay
from hindsight.demo.game import DemoPlayer
from tests.bench.common import HINDSIGHT, isolated_user_dirs, print_json
from tests.dataset.demo_clips import copy_clip
from tests.recorder.cli_proc import RecorderProcess

MB = 1_000_000


def make_clip(root: Path, seconds: int, size: str) -> Path:
    """A clip of ``seconds`` at ``size``, 30 fps, by ``hindsight record`` (as the demo records:
    the moving scene, the demo game on it played with real X input, the tone backend's
    sound), saved by ``hindsight clip``. The demo itself saves at most 20 s."""
    width, height = (int(v) for v in size.split("x"))
    clips = root / "recorded"
    env = {**os.environ, "HINDSIGHT_AUDIO_BACKEND": "tone"}
    with contextlib.ExitStack() as stack:
        display = stack.enter_context(VirtualDisplay(width, height))
        stack.enter_context(MovingScene(display.name, rate=30))
        game = subprocess.Popen(
            [
                *[sys.executable, "-m", "hindsight.demo.game"],
                *["--display", display.name],
                *["--position", f"{(width - 640) // 2},{(height - 360) // 2}"],
            ],
            stdout=subprocess.PIPE,
            text=True,
        )
        stack.callback(game.wait, 10)
        stack.callback(game.kill)
        assert game.stdout is not None
        window_id = int(game.stdout.readline().split()[1])
        player = DemoPlayer(display.name)
        stack.callback(player.close)
        rec = RecorderProcess(
            *["--display", display.name, "--fps", "30", "--clips-dir", str(clips)],
            *["--buffer-seconds", str(seconds + 10), "--clip-seconds", str(seconds)],
            *["--no-hotkey", "--no-library", "--no-overlay-server"],
            env=env,
        )
        stack.callback(rec.kill)
        rec.wait_line("recording ", timeout_s=60)
        player.focus(window_id)
        player.play(seconds + 2)
        result = subprocess.run(
            [*HINDSIGHT, "clip", "--seconds", str(seconds)],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
    return Path(result.stdout.strip())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clips", type=int, default=8)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--size", default="1280x720")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--rounds", type=int, default=3, help="export and tar runs, alternating")
    parser.add_argument("--clip", type=Path, help="use this clip instead of making one")
    parser.add_argument(
        "--engines", default="local,ray", help="engines `hindsight dataset index` runs on too"
    )
    args = parser.parse_args()

    with isolated_user_dirs(), tempfile.TemporaryDirectory(prefix="hs-bench-ds-") as tmp:
        root = Path(tmp)
        t0 = time.perf_counter()
        clip = args.clip or make_clip(root, args.seconds, args.size)
        made_s = time.perf_counter() - t0
        m = read_manifest(clip)
        src = root / "source"
        src.mkdir()
        step = m.video.frames // 2
        for n in range(args.clips):
            copy_clip(
                clip,
                src / f"clip-{n:03d}",
                SessionFacts(session_id=f"run-{n // 2}", first_frame=(n % 2) * step),
            )
        clips = open_source(str(src)).clips()
        engine = LocalEngine(workers=args.workers)

        t0 = time.perf_counter()
        index = build_index(clips, engine, IndexOptions())
        index_s = time.perf_counter() - t0
        assert not index.failed, index.failed
        groups = len(set(index.table["overlap_group"].to_pylist()))

        # The command as a data team runs it, whole processes, on each engine.
        def index_command(engine_name: str) -> float:
            t0 = time.perf_counter()
            out = root / f"index-{engine_name}.parquet"
            subprocess.run(
                [*HINDSIGHT, "dataset", "index", str(src), "-o", str(out), "--engine", engine_name],
                check=True,
                capture_output=True,
            )
            return time.perf_counter() - t0

        command_s = {name: index_command(name) for name in args.engines.split(",") if name}

        # The peer: the same members (video, track, a JSON file per clip) with plain tar.
        peer_dir = root / "peer"
        peer_dir.mkdir()
        for c in clips:
            cm = read_manifest(Path(c.where))
            for name, ext in (
                (cm.video.file, "mp4"),
                (cm.track.file if cm.track else None, "actions.parquet"),
                (MANIFEST_FILE, "json"),
            ):
                if name:
                    os.link(Path(c.where) / name, peer_dir / f"{cm.clip_id}.{ext}")

        def export() -> tuple[float, int]:
            out = root / "wds"
            t0 = time.perf_counter()
            summary = export_webdataset(clips, out, WebDatasetOptions(), engine)
            seconds = time.perf_counter() - t0
            assert not summary.failed, summary.failed
            shutil.rmtree(out)
            return seconds, summary.bytes

        def peer() -> tuple[float, int]:
            tar = root / "peer.tar"
            t0 = time.perf_counter()
            subprocess.run(["tar", "-cf", str(tar), "-C", str(peer_dir), "."], check=True)
            seconds = time.perf_counter() - t0
            size = tar.stat().st_size
            tar.unlink()
            return seconds, size

        # Rounds alternate who goes first; each starts with no dirty pages left by the other.
        runs: dict[str, list[tuple[float, int]]] = {"export": [], "tar": []}
        for n in range(args.rounds):
            for name in ("export", "tar") if n % 2 == 0 else ("tar", "export"):
                os.sync()
                runs[name].append(export() if name == "export" else peer())
        export_s = statistics.median(t for t, _ in runs["export"])
        tar_s = statistics.median(t for t, _ in runs["tar"])
        export_bytes, tar_bytes = runs["export"][0][1], runs["tar"][0][1]
        shards = -(-export_bytes // WebDatasetOptions().shard_bytes)

    result = {
        "clip": {
            "seconds": m.video.duration_s,
            "size": f"{m.video.width}x{m.video.height}",
            "fps": m.video.fps,
            "mb": round(m.total_bytes() / MB, 1),
            "made_s": round(made_s, 1),
        },
        "clips": args.clips,
        "workers": args.workers,
        "cores": os.cpu_count(),
        "index": {
            "seconds": round(index_s, 2),
            "clips_per_min": round(args.clips / index_s * 60, 1),
            "groups": groups,
        },
        "index_command": {  # whole processes, start-up (and Ray's) included
            name: {"seconds": round(t, 2), "clips_per_min": round(args.clips / t * 60, 1)}
            for name, t in command_s.items()
        },
        "rounds": args.rounds,
        "webdataset": {
            "seconds_median": round(export_s, 2),
            "seconds": [round(t, 2) for t, _ in runs["export"]],
            "mb": round(export_bytes / MB, 1),
            "shards": shards,
            "mb_per_s": round(export_bytes / MB / export_s, 1),
            "clips_per_min": round(args.clips / export_s * 60, 1),
        },
        "peer_tar": {
            "seconds_median": round(tar_s, 2),
            "seconds": [round(t, 2) for t, _ in runs["tar"]],
            "mb": round(tar_bytes / MB, 1),
            "mb_per_s": round(tar_bytes / MB / tar_s, 1),
        },
        "export_vs_tar": round((export_bytes / export_s) / (tar_bytes / tar_s), 3),
    }
    print_json(result)


if __name__ == "__main__":
    sys.exit(main())
