"""Save latency: F8 pressed -> the clip under its final name, ``hindsight record`` as users run it.

    python -m tests.bench.bench_save_latency [--saves 10] [--buffer-seconds 30] [--gap 3]
                                             [--size 1920x1080] [--fps 60] [--no-audio]

On the reference scene (testsrc2 full screen at 1080p60 on Xvfb) the test game runs in
a window on top and has the focus, so the recorder recognises it by its action map and
every clip carries an action track. ``hindsight record`` runs with its defaults: the
clip library and the overlay server attached, full-screen capture at 60 fps, the F8
hotkey on the input stream, and sound: a private PulseAudio server plays a tone the
whole time, and the recorder records it as users' system audio (``--no-audio``: picture
only). After the buffer has filled (30 s), each round presses a
few game keys, then F8 with ``xdotool key F8``, and measures from just before xdotool
starts to the recorder's ``saved <folder>`` line, printed right after the rename (the
key event's trip included). Each saved clip is checked: its folder exists under the
final name and its manifest has the action track (and, with sound, an audio track).

Beside it: the same press heard by a bare pynput listener in this process (the X
server's own delivery delay under the scene, which no recorder can avoid), the
recorder's own request -> renamed time, and FFmpeg remuxing the same saved clip with
``-c copy -movflags +faststart`` (the peer: the least work a save could do).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from hindsight.bundle import read_manifest
from hindsight.demo.display import MovingScene, VirtualDisplay, child_env
from tests.bench.common import (
    RecorderCli,
    isolated_user_dirs,
    median,
    percentile,
    print_json,
    system_sound,
)
from tests.recorder.actions.game_env import MAPS_DIR, Keyboard, start_game


def wait_for_game(rec: RecorderCli, timeout_s: float = 15) -> str:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        game_id = rec.status()["actions"]["game_id"]
        if game_id is not None:
            return game_id
        time.sleep(0.2)
    raise RuntimeError("the recorder did not recognise the test game")


def hotkey_latencies(
    display: str, buffer_s: int, saves: int, gap_s: float, fps: int = 60, audio: bool = True
) -> tuple[list[float], list[float], list[float], list[dict[str, float]], Path, str, str]:
    """Per press: xdotool -> clip renamed; the same press heard by a bare listener; the
    recorder's own request -> renamed time and its split. Also the last clip's video, the
    game id, and how the recorder wrote the clips (its status: direct or buffered).
    """
    rec = RecorderCli(
        "--display",
        display,
        "--fps",
        str(fps),
        "--buffer-seconds",
        str(buffer_s),
        "--clip-seconds",
        str(buffer_s),
        "--hotkey",
        "F8",
        "--maps-dir",
        str(MAPS_DIR),
        # On the input stream, as a user runs it.
        env={
            "HINDSIGHT_HOTKEY_BACKEND": "auto",
            **({} if audio else {"HINDSIGHT_AUDIO_BACKEND": "none"}),
        },
    )
    env = child_env(display)
    os.environ["DISPLAY"] = display
    from pynput import keyboard as pynput_keyboard

    heard: list[float] = []
    listener = pynput_keyboard.Listener(on_press=lambda key: heard.append(time.monotonic()))
    listener.start()
    listener.wait()
    keys = Keyboard(display)
    saved, delivered, internal = [], [], []
    splits: list[dict[str, float]] = []
    clip_write = "?"
    video = Path(os.environ["HOME"]) / "last-clip.mp4"  # a copy the peer remuxes
    last = video
    try:
        game_id = wait_for_game(rec)
        time.sleep(buffer_s + 2)  # a full buffer
        for _ in range(saves):
            for _ in range(3):  # something for the action track to hold
                keys.tap("space")
                time.sleep(0.1)
            time.sleep(0.5)
            heard.clear()
            t0 = time.monotonic()
            subprocess.run(["xdotool", "key", "F8"], env=env, check=True)
            folder = Path(rec.wait_line("saved ", timeout_s=30)[len("saved ") :])
            saved.append((time.monotonic() - t0) * 1000)
            saves_status = rec.status()["saves"]
            internal.append(saves_status["last_save_ms"])
            splits.append(saves_status["last_save_split_ms"])
            clip_write = saves_status["clip_write"]  # what the recorder chose, or was told
            if heard:
                delivered.append((heard[0] - t0) * 1000)
            manifest = read_manifest(folder)
            if manifest.track is None:
                raise RuntimeError(f"{folder} has no action track")
            if audio and not (manifest.audio and manifest.audio.sources[0].backend == "pulse"):
                raise RuntimeError(f"{folder} has no sound from the PulseAudio server")
            last = folder / manifest.video.file
            time.sleep(gap_s)
        shutil.copyfile(last, video)
    finally:
        keys.close()
        listener.stop()
        listener.join(5)
        rec.stop()
    return saved, delivered, internal, splits, video, game_id, clip_write


def ffmpeg_remux_ms(video: Path, runs: int = 5) -> list[float]:
    out = []
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(runs):
            t0 = time.monotonic()
            subprocess.run(
                [
                    "ffmpeg",
                    "-v",
                    "error",
                    "-y",
                    "-i",
                    str(video),
                    "-c",
                    "copy",
                    "-movflags",
                    "+faststart",
                    str(Path(tmp) / f"r{i}.mp4"),
                ],
                check=True,
            )
            out.append((time.monotonic() - t0) * 1000)
            time.sleep(1)
    return out


def summary(values: list[float]) -> dict:
    return {
        "median_ms": round(median(values), 1),
        "p90_ms": round(percentile(values, 90), 1),
        "max_ms": round(max(values), 1),
        "all_ms": [round(v, 1) for v in values],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--saves", type=int, default=10)
    parser.add_argument("--buffer-seconds", type=int, default=30)
    parser.add_argument("--gap", type=float, default=3.0, help="seconds between saves")
    parser.add_argument("--size", default="1920x1080", help="screen and scene (smoke: smaller)")
    parser.add_argument("--fps", type=int, default=60)
    parser.add_argument("--no-audio", action="store_true", help="picture only (sound off)")
    args = parser.parse_args()
    w, h = (int(v) for v in args.size.split("x"))
    with (
        isolated_user_dirs(),
        system_sound() if not args.no_audio else contextlib.nullcontext(),
        VirtualDisplay(w, h) as vd,
        MovingScene(vd.name, rate=args.fps),
    ):
        game, window_id = start_game(vd.name)  # on top of the scene, at 0,0
        try:
            subprocess.run(
                ["xdotool", "windowfocus", "--sync", str(window_id)],
                env=child_env(vd.name),
                check=True,
                timeout=10,
            )
            os.sync()  # no writeback left over from starting up
            hot, delivery, internal, splits, video, game_id, clip_write = hotkey_latencies(
                vd.name, args.buffer_seconds, args.saves, args.gap, args.fps, not args.no_audio
            )
        finally:
            game.kill()
            game.wait(10)
        size_mb = video.stat().st_size / 2**20
        peer = ffmpeg_remux_ms(video)  # the scene still running, the recorder stopped
    # DESIGN section 10: 250 ms; issue 14 asks 200 ms with sound and an action track.
    target_ms = 250 if args.no_audio else 200
    print_json(
        {
            "benchmark": "save_latency",
            "scene": f"testsrc2 {w}x{h}@{args.fps} full screen on Xvfb, test game window on top",
            "recorder": "hindsight record: defaults (library, overlay server), hotkey F8",
            "sound": None if args.no_audio else "a tone on a PulseAudio null sink, system audio",
            "game_id": game_id,
            "buffer_seconds": args.buffer_seconds,
            "clip_mb": round(size_mb, 1),
            "hotkey_to_renamed": summary(hot),
            "key_delivery_same_press": summary(delivery) if delivery else None,
            "recorder_request_to_renamed": summary(internal),
            # The recorder's own split of each save: waiting for the frame of the press,
            # for the sound of the clip's last frame, and writing the bundle.
            "recorder_split": {k: summary([s[k] for s in splits]) for k in splits[0]},
            "ffmpeg_remux_same_clip": summary(peer),
            "clip_write": clip_write,
            "target": {"median_ms_max": target_ms},
            "meets_target": median(hot) <= target_ms,
        }
    )


if __name__ == "__main__":
    main()
