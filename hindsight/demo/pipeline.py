"""``hindsight demo``: the whole pipeline on any machine, with or without a screen.

Where there is no display it starts a virtual one (Xvfb) with a moving scene and
the demo game, and plays that game with real X input events: the clip then carries
an action track (with a chat span redacted). The game beeps on every flash into a
private PulseAudio server's null sink, which the recorder records as system sound
(the tone backend's beeps stand in where PulseAudio is missing), so the clip has
sound in time with the picture. On an existing display it records the
screen as it is and never injects input. Either way it saves a clip the way the
hotkey would, reads it back from disk and prints where it is and what it holds.
The recorder is the one ``hindsight record`` runs, built by the composition root,
without a hotkey or control channel and with built-in recording settings.
"""

from __future__ import annotations

import contextlib
import subprocess
import sys
import time
from pathlib import Path
from typing import TextIO

import av
import numpy as np
import pyarrow.parquet as pq

from hindsight.app.compose import RecorderPlan, compose_recorder
from hindsight.bundle import MANIFEST_FILE, SavedClip, open_bundle
from hindsight.bundle import schema as col
from hindsight.demo import DEMO_FPS
from hindsight.demo.display import MovingScene, ensure_display
from hindsight.demo.sound import DemoSound
from hindsight.recorder.errors import CaptureError, ConfigError
from hindsight.recorder.export.mediainfo import read_media_facts

__all__ = ["run_demo"]


def _parse_size(text: str) -> tuple[int, int]:
    try:
        w, h = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise ConfigError(f"--size {text!r}: expected WIDTHxHEIGHT, e.g. 1280x720") from None
    if w < 640 or h < 360:
        raise ConfigError(f"--size {text!r}: at least 640x360")
    return w, h


def _start_game(
    display: str, width: int, height: int, beep_sink: str | None = None
) -> tuple[subprocess.Popen, int]:
    x, y = (width - 640) // 2, (height - 360) // 2
    beeps = ["--beep-sink", beep_sink] if beep_sink else []
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "hindsight.demo.game",
            "--display",
            display,
            "--position",
            f"{x},{y}",
            *beeps,
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if not line.startswith("ready "):
        proc.kill()
        raise CaptureError("the demo game window did not start")
    return proc, int(line.split()[1])


def _track_summary(clip_path: Path) -> str:
    track = open_bundle(clip_path).actions_path
    if track is None:
        return "      no mapped game had focus: a video-only clip (nothing is guessed)\n"
    table = pq.read_table(track).to_pydict()
    rows = len(table[col.FRAME_INDEX])
    valid = sum(table[col.VALID])
    chat = sum(1 for c in table[col.CONTEXT] if c == "chat")
    taps = {name: sum(table[column]) for name, column in col.presses_by_action(list(table)).items()}
    move_x, move_y = col.axis_columns("move", 2)
    moved = sum(
        1 for x, y in zip(table.get(move_x, []), table.get(move_y, []), strict=True) if x or y
    )
    pressed = ", ".join(f"{name} x{count}" for name, count in taps.items() if count)
    return (
        f"      {track.name}: {rows} rows (one per frame), {valid} valid; "
        f"presses: {pressed or 'none'}; moving in {moved} frames\n"
        f"      {chat} frames in chat were redacted: only the span is kept, not one key of what "
        "was typed\n"
    )


def _sound_summary(clip: SavedClip) -> str:
    """What the clip's sound holds: its tracks, and the beeps heard in the mix."""
    audio = clip.manifest.audio
    if audio is None:
        return "      sound: none in this clip (video only)\n"
    with av.open(str(clip.video_path)) as container:
        stream = container.streams.audio[0]  # the mix
        mono = np.concatenate([f.to_ndarray()[0] for f in container.decode(stream)])
    loud = np.abs(mono) > 0.05
    # A beep starts where the sound rises after at least 0.15 s of quiet.
    rises = np.flatnonzero(loud[1:] & ~loud[:-1]) + 1
    loud_at = np.flatnonzero(loud)
    beeps = sum(
        1
        for r in rises
        if not len(loud_at[loud_at < r]) or r - loud_at[loud_at < r][-1] > 0.15 * audio.sample_rate
    ) + int(bool(loud[0]))
    titles = ", ".join(t.title for t in audio.tracks)
    silence = sum(s.silence_s for s in audio.sources)
    return (
        f"      sound: {len(audio.tracks)} audio tracks ({titles}), {audio.codec.upper()} "
        f"{audio.sample_rate // 1000} kHz, {audio.channels} channels; {beeps} beeps heard in "
        f"the mix; {silence:.2f} s of gaps filled with silence\n"
    )


def run_demo(
    clips_dir: Path | None, seconds: int, size: str, out: TextIO, fps: int = DEMO_FPS
) -> int:
    """Record, play, save and read back one clip (added to the clip library as a recorder's would
    be)."""
    if not 2 <= seconds <= 20:
        raise ConfigError(f"--seconds {seconds}: the demo saves 2..20 seconds")
    width, height = _parse_size(size)
    with contextlib.ExitStack() as stack:
        display, virtual = ensure_display(None, size=(width, height))
        if virtual is not None:
            stack.callback(virtual.stop)
        sound = stack.enter_context(DemoSound())
        player = None
        if virtual is not None:
            out.write(
                f"[1/5] no screen here: started a virtual display {display} ({width}x{height})\n"
            )
            scene = MovingScene(display, rate=fps).start()
            stack.callback(scene.stop)
            game, window_id = _start_game(display, width, height, sound.sink)
            stack.callback(game.wait, 10)
            stack.callback(game.kill)  # callbacks run last first: kill, then wait
            from hindsight.demo.game import DemoPlayer

            player = DemoPlayer(display)
            stack.callback(player.close)
            player.focus(window_id)
            out.write("      playing a moving test scene with the demo game on top\n")
            plays = "; the game beeps into it on every flash"
        else:
            out.write(f"[1/5] recording the screen of display {display} (no input is injected)\n")
            sound.start_metronome()
            plays = "; a beep plays into it every second"
        out.write(f"      sound: {sound.summary}{plays if sound.sink else ''}\n")
        plan = RecorderPlan(
            overrides={
                "display": display,
                "fps": fps,
                "buffer_seconds": max(10, seconds + 2),
                "clip_seconds": seconds,
                "clips_dir": str(clips_dir) if clips_dir else None,
                **sound.overrides,
            },
            record_settings=False,
            hotkey=False,
            control=False,
            overlay_port=None,
        )
        service = compose_recorder(plan)
        service.start()
        stack.callback(service.stop)
        status = service.status()
        maps = status.actions.maps if status.actions is not None else 0
        out.write(
            f"[2/5] recording {status.capture.source} at {fps} fps with {status.encoder.name} into "
            f"a replay buffer;\n      input becomes actions through {maps} game action maps; "
            + (
                f"sound tracks {', '.join(status.audio.tracks)} from {status.audio.backend}\n"
                if status.audio is not None
                else "no sound\n"
            )
        )
        out.flush()
        time.sleep(0.5)
        if player is not None:
            out.write(
                f"[3/5] playing for {seconds} s: moving (WASD), looking (mouse), jumping, "
                "chatting\n"
            )
            out.flush()
            player.play(seconds + 0.5)
        else:
            out.write(f"[3/5] recording for {seconds} s\n")
            out.flush()
            time.sleep(seconds + 1)
        out.write(f"[4/5] saving the last {seconds} s, as the hotkey would\n")
        t0 = time.monotonic()
        clip = service.save(seconds).wait(60)
        save_ms = (time.monotonic() - t0) * 1000
        service.stop()  # the outputs have heard of the clip once the recorder has stopped
        status = service.last_status or service.status()
    facts = read_media_facts(clip.video_path)
    video = clip.manifest.video
    game = clip.manifest.game
    out.write(
        f"[5/5] clip saved in {save_ms:.0f} ms{' for ' + game.title if game else ''}:\n"
        f"      {clip.path}\n"
        f"      {video.file}: {facts.width}x{facts.height} {facts.codec}, {facts.frames} frames, "
        f"{facts.duration_s:.2f} s at {float(facts.fps):g} fps "
        f"(CFR: {'yes' if facts.cfr else 'no'}), "
        f"first frame a keyframe: {'yes' if facts.first_is_keyframe else 'no'}\n"
        f"      encoder {video.encoder}, {video.dup_frames} duplicated frames in the clip; "
        f"recorder captured {status.capture.frames_captured} frames, {status.capture.dup_frames} "
        "duplicated\n"
        + _track_summary(clip.path)
        + _sound_summary(clip)
        + f"      {MANIFEST_FILE} lists {', '.join(clip.manifest.files)} with their sha256\n"
        + "".join(
            f"      clip {name}: {output.summary}; `hindsight clips list` shows it\n"
            for name, output in status.outputs.items()
            if output.summary
        )
    )
    out.flush()
    return 0
