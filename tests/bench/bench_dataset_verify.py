"""Dataset verify: clips per minute for one-minute 720p30 clips, local pool and Ray.

    python -m tests.bench.bench_dataset_verify [--clips 8] [--seconds 60] [--rounds 1]

The real recorder records one clip of ``--seconds`` (a moving test picture on a
1280x720 virtual display with the stand-in game over a corner, its map, keys pressed),
made as uploaded (consent given, no local events file) and copied ``--clips`` times
into one folder. Then, per round, whole ``hindsight dataset verify`` processes are
timed from start to exit (imports, and for Ray starting a private instance,
included): ``--engine local`` and ``--engine ray``. The peer, in the same run, is the
floor any verifier pays: reading and hashing every byte of the same clips in one
process (sha256). Prints JSON: seconds per run, clips per minute, and each engine's
time over the peer's.
"""

from __future__ import annotations

import argparse
import hashlib
import shutil
import statistics
import subprocess
import time
from pathlib import Path

from hindsight.bundle import EVENTS_FILE, open_bundle
from hindsight.demo.display import child_env
from tests.bench.common import HINDSIGHT, isolated_user_dirs, print_json, reference_scene


def make_clip(root: Path, seconds: int) -> Path:
    """One clip of ``seconds`` by the real recorder: testsrc2 moving full screen on a 1280x720
    virtual display (so the video has a real bitrate) with the stand-in game over a corner,
    focused, its map, keys pressed throughout; as uploaded (consent given, no events file)."""
    from tests.recorder.actions.game_env import MAPS_DIR, Keyboard, start_game
    from tests.recorder.cli_proc import RecorderProcess, run_cli

    for purpose in ("clips", "dataset"):
        run_cli("consent", "grant", purpose, "--yes").check_returncode()
    out = root / "recorded"
    with reference_scene(1280, 720, 30) as display:
        game, window_id = start_game(display)
        env = child_env(display)
        subprocess.run(["xdotool", "windowfocus", "--sync", str(window_id)], env=env, check=True)
        rec = RecorderProcess(
            "--display", display, "--no-hotkey", "--maps-dir", str(MAPS_DIR),
            "--fps", "30", "--buffer-seconds", str(seconds + 10), "--clips-dir", str(out),
            env=env,
        )  # fmt: skip
        kb = Keyboard(display)
        try:
            rec.wait_line("recording ")
            end = time.monotonic() + seconds + 2
            keys = ("space", "w", "d", "space", "a", "s")
            i = 0
            while time.monotonic() < end:
                kb.tap(keys[i % len(keys)], hold_s=0.08)
                i += 1
                time.sleep(0.3)
            saved = run_cli("clip", "--seconds", str(seconds), timeout_s=120)
            saved.check_returncode()
        finally:
            kb.close()
            rec.stop()
            game.kill()
            game.wait(10)
    clip = Path(saved.stdout.strip())
    track = open_bundle(clip).manifest.track
    if track is not None and not track.events_shared:
        (clip / EVENTS_FILE).unlink(missing_ok=True)  # stays on the player's machine
    return clip


def hash_everything(folder: Path) -> float:
    t0 = time.perf_counter()
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            digest = hashlib.sha256()
            with open(path, "rb") as fh:
                while chunk := fh.read(1 << 20):
                    digest.update(chunk)
    return time.perf_counter() - t0


def verify(folder: Path, engine: str) -> tuple[float, int]:
    t0 = time.perf_counter()
    result = subprocess.run(
        [*HINDSIGHT, "dataset", "verify", str(folder), "--engine", engine],
        capture_output=True, text=True, timeout=1800,
    )  # fmt: skip
    seconds = time.perf_counter() - t0
    if result.returncode not in (0, 1):
        raise RuntimeError(f"verify --engine {engine} failed: {result.stderr}")
    ok = sum(1 for line in result.stdout.splitlines()[:-1] if line.rstrip().endswith("OK"))
    return seconds, ok


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--clips", type=int, default=8)
    ap.add_argument("--seconds", type=int, default=60)
    ap.add_argument("--rounds", type=int, default=1)
    ap.add_argument("--engines", default="local,ray")
    args = ap.parse_args()
    with isolated_user_dirs() as dirs:
        root = dirs["HINDSIGHT_CACHE_DIR"] / "bench-verify"
        clip = make_clip(root, args.seconds)
        clips = root / "clips"
        for i in range(args.clips):
            shutil.copytree(clip, clips / f"{clip.name} {i:03d}")
        mb_per_clip = sum(p.stat().st_size for p in clip.iterdir()) / 2**20
        runs: dict[str, list[float]] = {"sha256_peer": []}
        oks: dict[str, int] = {}
        engines = [e for e in args.engines.split(",") if e]
        for _ in range(args.rounds):
            runs["sha256_peer"].append(hash_everything(clips))
            for engine in engines:
                seconds, ok = verify(clips, engine)
                runs.setdefault(engine, []).append(seconds)
                oks[engine] = ok
        peer = statistics.median(runs["sha256_peer"])
        result = {
            "clips": args.clips,
            "clip_seconds": args.seconds,
            "size": "1280x720",
            "mb_per_clip": round(mb_per_clip, 1),
            "seconds": {k: [round(s, 2) for s in v] for k, v in runs.items()},
            "clips_per_minute": {
                k: round(args.clips / statistics.median(v) * 60, 1) for k, v in runs.items()
            },
            "over_peer": {e: round(statistics.median(runs[e]) / peer, 2) for e in engines},
            "clips_ok": oks,
        }
        print_json(result)


if __name__ == "__main__":
    main()
