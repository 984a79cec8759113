"""Real clips for the desktop tests: saved by the real recording session with an action track.

The fake capture source and libx264 record a few seconds; a mapped game (Counter-Strike
2's shipped map) has focus throughout and ``jump`` is pressed every 200 ms, so every
clip carries a real video, a real action track with presses, the map and a manifest.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from hindsight.actionmap.load import load_map
from hindsight.actionmap.registry import SHIPPED_DIR
from hindsight.bundle import SavedClip
from hindsight.clock import now_ns
from hindsight.recorder.actions.events import PRESS, RELEASE, ActionEvent, ContextEvent
from hindsight.recorder.actions.timeline import ActionTimeline
from hindsight.recorder.actions.track import ActionTrackContributor
from hindsight.recorder.config import CaptureConfig
from hindsight.recorder.session import RecordingSession
from hindsight.recorder.video import CaptureSource
from tests.recorder.helpers import fake_config

__all__ = ["record_clips"]

GAME_MAP = "valve.counter-strike-2"


def record_clips(
    clips_dir: Path,
    count: int = 1,
    *,
    seconds: int = 3,
    size: tuple[int, int] = (640, 360),
    game_map: str = GAME_MAP,
    source: Callable[[CaptureConfig], CaptureSource] | None = None,
) -> list[SavedClip]:
    """``count`` clips of ``seconds`` each, saved one after another from one session (of
    ``source`` when given, else the fake test pattern)."""
    amap = load_map(SHIPPED_DIR / f"{game_map}.toml")
    timeline = ActionTimeline(60)
    timeline.append(ContextEvent(0, "gameplay", True, amap))
    config = fake_config(clips_dir, buffer_seconds=seconds + 2, clip_seconds=seconds, size=size)
    saved: list[SavedClip] = []
    with RecordingSession(
        config,
        source=source(config.capture) if source is not None else None,
        contributors=[ActionTrackContributor(timeline)],
    ) as session:
        deadline = time.monotonic() + 30 + 5 * count
        pressed = False
        while len(saved) < count:
            assert time.monotonic() < deadline, "the fake source never filled the buffer"
            # A press or release every 100 ms: real edges in the track and the event list.
            timeline.append(ActionEvent(now_ns(), "jump", RELEASE if pressed else PRESS))
            pressed = not pressed
            time.sleep(0.1)
            if session.ring.stats().seconds >= seconds + 0.2:
                saved.append(session.save(seconds).wait(30))
    return saved
