"""``hindsight demo``: the whole pipeline on any machine, with or without a screen.

Where there is no display it starts a virtual one (Xvfb) playing a moving scene;
then it records into the replay buffer, saves a clip the way the hotkey would, reads
the clip back from disk and prints where it is and what it holds.
"""

from __future__ import annotations

import contextlib
import time
from pathlib import Path
from typing import TextIO

from hindsight.paths import default_clips_dir
from hindsight.recorder.config import CaptureConfig, RecorderConfig, RingConfig
from hindsight.recorder.display import MovingScene, ensure_display
from hindsight.recorder.errors import ConfigError
from hindsight.recorder.mediainfo import read_media_facts
from hindsight.recorder.session import RecordingSession

__all__ = ["run_demo"]


def _parse_size(text: str) -> tuple[int, int]:
    try:
        w, h = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise ConfigError(f"--size {text!r}: expected WIDTHxHEIGHT, e.g. 1280x720") from None
    if w < 64 or h < 64:
        raise ConfigError(f"--size {text!r}: at least 64x64")
    return w, h


def run_demo(clips_dir: Path | None, seconds: int, size: str, out: TextIO, fps: int = 30) -> int:
    if not 1 <= seconds <= 20:
        raise ConfigError(f"--seconds {seconds}: the demo saves 1..20 seconds")
    width, height = _parse_size(size)
    clips_dir = clips_dir or default_clips_dir()
    with contextlib.ExitStack() as stack:
        display, virtual = ensure_display(None, size=(width, height))
        if virtual is not None:
            stack.callback(virtual.stop)
            out.write(f"[1/4] no screen here: started a virtual display {display} ({width}x{height})\n")
            scene = MovingScene(display, rate=fps).start()
            stack.callback(scene.stop)
            out.write("      playing a moving test scene on it\n")
        else:
            out.write(f"[1/4] recording the screen of display {display}\n")
        config = RecorderConfig(
            capture=CaptureConfig(display=display, fps=fps),
            ring=RingConfig(buffer_seconds=max(10, seconds + 2)),
            clips_dir=clips_dir,
            default_clip_seconds=seconds,
        )
        session = RecordingSession(config)
        session.start()
        stack.callback(session.stop)
        status = session.status()
        out.write(f"[2/4] recording {status['source']} at {fps} fps with {status['encoder']} into a replay buffer\n")
        out.flush()
        time.sleep(seconds + 1)
        out.write(f"[3/4] saving the last {seconds} s, as the hotkey would\n")
        t0 = time.monotonic()
        clip = session.save(seconds).wait(60)
        save_ms = (time.monotonic() - t0) * 1000
        status = session.status()
    facts = read_media_facts(clip.video_path)
    video = clip.manifest["video"]
    out.write(
        f"[4/4] clip saved in {save_ms:.0f} ms:\n"
        f"      {clip.path}\n"
        f"      video.mp4: {facts.width}x{facts.height} {facts.codec}, {facts.frames} frames, "
        f"{facts.duration_s:.2f} s at {float(facts.fps):g} fps (CFR: {'yes' if facts.cfr else 'no'}), "
        f"first frame a keyframe: {'yes' if facts.first_is_keyframe else 'no'}\n"
        f"      encoder {video['encoder']}, {video['dup_frames']} duplicated frames in the clip; "
        f"recorder captured {status['frames_captured']} frames, {status['dup_frames']} duplicated\n"
        f"      manifest.json lists {', '.join(clip.manifest['files'])} with their sha256\n"
    )
    out.flush()
    return 0
