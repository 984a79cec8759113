"""Memory of a recorder with a 60 s buffer at 12 Mbit/s on the reference scene, saving clips.

    python -m tests.bench.bench_memory [--minutes 10] [--buffer-seconds 60] [--bitrate 12M]
                                       [--save-every 30] [--size 1920x1080] [--fps 60]
                                       [--no-audio] [--no-game]

``hindsight record`` (library and overlay server attached, as a user runs it) records
the reference scene while a clip is saved every ``--save-every`` seconds with
``hindsight clip``, as a player would. It records sound (a private PulseAudio server
plays a tone the whole time: the user's system audio), and the test game runs in a
window on top with the focus, recognised by its action map, so every clip carries an
action track and the player keeps pressing its keys. Every few seconds the recorder's memory is read
from ``/proc/PID/smaps_rollup``: anonymous memory (``Anonymous``, the heap, the ring,
the encoder) apart from file-backed memory (mapped libraries and files, ``Rss`` minus
``Anonymous``), with ``Pss_Anon``/``Pss_File`` where the kernel has them. The target
(DESIGN section 10) is at most bitrate x seconds + 150 MB, and flat: after the buffer
has filled, memory must not keep growing. The bytes the rings hold (picture and sound)
are reported beside it, and what is above them.
"""

from __future__ import annotations

import argparse
import contextlib
import subprocess
import threading
import time
from pathlib import Path

from hindsight.bundle import ACTIONS_FILE
from hindsight.demo.display import child_env
from hindsight.recorder.config import parse_bitrate
from tests.bench.common import (
    RecorderCli,
    isolated_user_dirs,
    print_json,
    reference_scene,
    smaps_rollup,
    system_sound,
)
from tests.recorder.actions.game_env import MAPS_DIR, Keyboard, start_game

MB = 2**20


def slope_mb_per_min(samples: list[tuple[float, float]]) -> float:
    """Least-squares slope of memory (MB) over time (minutes)."""
    n = len(samples)
    if n < 2:
        return 0.0
    mx = sum(t for t, _ in samples) / n
    my = sum(m for _, m in samples) / n
    num = sum((t - mx) * (m - my) for t, m in samples)
    den = sum((t - mx) ** 2 for t, _ in samples) or 1.0
    return num / den


def memory_sample(pid: int) -> dict[str, float]:
    """Rss, anonymous and file-backed memory of ``pid`` in MB, from smaps_rollup."""
    rollup = smaps_rollup(pid)
    sample = {
        "rss": rollup["Rss"] / MB,
        "anonymous": rollup["Anonymous"] / MB,
        "file_backed": (rollup["Rss"] - rollup["Anonymous"]) / MB,
        "pss": rollup["Pss"] / MB,
    }
    for field in ("Pss_Anon", "Pss_File", "Pss_Shmem", "Swap"):
        if field in rollup:
            sample[field.lower()] = rollup[field] / MB
    return sample


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--buffer-seconds", type=int, default=60)
    parser.add_argument("--bitrate", default="12M")
    parser.add_argument("--interval", type=float, default=5, help="seconds between samples")
    parser.add_argument("--save-every", type=float, default=30, help="seconds between saves")
    parser.add_argument("--clip-seconds", type=int, default=30)
    parser.add_argument("--size", default="1920x1080", help="screen and scene (smoke: smaller)")
    parser.add_argument("--fps", type=int, default=60)
    parser.add_argument("--no-audio", action="store_true", help="picture only (sound off)")
    parser.add_argument("--no-game", action="store_true", help="no game: clips without a track")
    args = parser.parse_args()
    w, h = (int(v) for v in args.size.split("x"))
    bitrate = parse_bitrate(args.bitrate)
    nominal_ring_mb = bitrate / 8 * args.buffer_seconds / MB
    budget_mb = nominal_ring_mb + 150
    samples: list[tuple[float, dict[str, float]]] = []
    ring_mb: list[float] = []
    saves: list[str] = []
    with contextlib.ExitStack() as stack:
        stack.enter_context(isolated_user_dirs())
        if not args.no_audio:
            stack.enter_context(system_sound())
        display = stack.enter_context(reference_scene(w, h, args.fps))
        extra: list[str] = []
        if not args.no_game:
            game, window_id = start_game(display)  # on top of the scene, at 0,0
            stack.callback(game.wait, 10)
            stack.callback(game.kill)
            subprocess.run(
                ["xdotool", "windowfocus", "--sync", str(window_id)],
                env=child_env(display),
                check=True,
                timeout=10,
            )
            extra = ["--maps-dir", str(MAPS_DIR)]
            stack.enter_context(_player_pressing_keys(display))
        rec = RecorderCli(
            "--display",
            display,
            "--fps",
            str(args.fps),
            "--buffer-seconds",
            str(args.buffer_seconds),
            "--bitrate",
            args.bitrate,
            *extra,
            env=None if not args.no_audio else {"HINDSIGHT_AUDIO_BACKEND": "none"},
        )
        try:
            t0 = time.monotonic()
            next_save = t0 + args.save_every
            while (elapsed := time.monotonic() - t0) < args.minutes * 60:
                samples.append((elapsed / 60, memory_sample(rec.proc.pid)))
                status = rec.status()
                ring_mb.append(
                    (status["buffer"]["bytes"] + _audio_ring_bytes(status.get("audio"))) / MB
                )
                if time.monotonic() >= next_save:
                    saves.append(str(rec.save(args.clip_seconds)))
                    next_save += args.save_every
                time.sleep(max(0.0, min(args.interval, next_save - time.monotonic())))
            status = rec.status()
            tracks = sum(
                (Path(folder) / ACTIONS_FILE).is_file() for folder in saves if Path(folder).is_dir()
            )
        finally:
            rec.stop()

    def series(key: str, rows: list[tuple[float, dict[str, float]]]) -> list[tuple[float, float]]:
        return [(t, s[key]) for t, s in rows if key in s]

    filled = [(t, s) for t, s in samples if t * 60 >= args.buffer_seconds + 10]
    second_half = filled[len(filled) // 2 :]
    max_rss = max(s["rss"] for _, s in samples)
    end = samples[-1][1]
    kinds = [k for k in end if k != "pss"]
    print_json(
        {
            "benchmark": "memory",
            "scene": f"testsrc2 {w}x{h}@{args.fps} full screen on Xvfb",
            "recorder": "hindsight record, library and overlay server attached",
            "sound": None if args.no_audio else "a tone on a PulseAudio null sink, system audio",
            "game": None if args.no_game else "the test game in focus, keys pressed",
            "clips_with_action_track": tracks,
            "buffer_seconds": args.buffer_seconds,
            "bitrate_bps": bitrate,
            "minutes": args.minutes,
            "save_every_s": args.save_every,
            "saves": len(saves),
            "budget_mb": round(budget_mb, 1),
            "max_rss_mb": round(max_rss, 1),
            "max_mb": {k: round(max(v for _, v in series(k, samples)), 1) for k in kinds},
            "after_fill_mb": {k: round(filled[0][1][k], 1) for k in kinds} if filled else None,
            "end_mb": {k: round(end[k], 1) for k in kinds},
            "ring_mb_end": round(ring_mb[-1], 1),
            "ring_mb_max": round(max(ring_mb), 1),
            "nominal_ring_mb": round(nominal_ring_mb, 1),
            # The figure the target is about: resident memory above the ring.
            "max_rss_above_ring_mb": round(max_rss - max(ring_mb), 1),
            "max_rss_above_nominal_ring_mb": round(max_rss - nominal_ring_mb, 1),
            "slope_after_fill_mb_per_min": {
                k: round(slope_mb_per_min(series(k, filled)), 3) for k in kinds
            },
            "slope_second_half_mb_per_min": {
                k: round(slope_mb_per_min(series(k, second_half)), 3) for k in kinds
            },
            "dup_frames": status["capture"]["dup_frames"],
            "frames": status["capture"]["frames"],
            "max_rss_above_ring_each_sample_mb": round(
                max(s["rss"] - r for (_, s), r in zip(samples, ring_mb, strict=True)), 1
            ),
            "slope_second_half_above_ring_mb_per_min": round(
                slope_mb_per_min(
                    [(t, s["rss"] - r) for (t, s), r in zip(samples, ring_mb, strict=True)][
                        len(samples) - len(second_half) :
                    ]
                ),
                3,
            ),
            "samples": [
                {"min": round(t, 2), "ring": round(r, 1), **{k: round(v, 1) for k, v in s.items()}}
                for (t, s), r in zip(samples, ring_mb, strict=True)
            ],
            "meets_target": max_rss <= budget_mb
            and abs(slope_mb_per_min(series("rss", second_half))) < 1.0,
        }
    )


def _audio_ring_bytes(audio: dict | None) -> int:
    """The sound rings' bytes, as the recorder's status reports them (0 without sound)."""
    return int(audio["buffer_bytes"]) if audio else 0


@contextlib.contextmanager
def _player_pressing_keys(display: str):
    """The game's jump key pressed twice a second until the block ends."""
    keys = Keyboard(display)
    stop = threading.Event()

    def press() -> None:
        while not stop.wait(0.5):
            keys.tap("space")

    thread = threading.Thread(target=press, daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(5)
        keys.close()


if __name__ == "__main__":
    main()
