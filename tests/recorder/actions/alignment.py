"""Frame alignment, measured end to end: the first frame showing a key press's effect minus
the actions.parquet row holding the press.

The test game flips its colour on every key press. The real recorder records it at
60 fps while presses come at random moments; then each press's row in the track is
paired with the frame where the picture flipped. Used by the short correctness test
(tests/recorder/actions/test_alignment.py) and the benchmark
(tests/bench/bench_alignment.py).
"""

from __future__ import annotations

import collections
import random
import time
from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np
import pandas as pd

from hindsight.bundle import Manifest, open_bundle
from hindsight.bundle import schema as col
from tests.recorder.actions.game_env import Keyboard, game_env
from tests.recorder.cli_proc import run_cli


@dataclass(frozen=True)
class Alignment:
    presses: int  # key presses made
    press_rows: list[int]  # per press, the track row holding it (in order)
    flips: list[int]  # per press, the first frame whose picture flipped (in order)
    track: pd.DataFrame
    manifest: Manifest

    @property
    def diffs(self) -> list[int]:
        """First-effect frame minus press row, per press (empty if the counts differ)."""
        if not self.presses == len(self.press_rows) == len(self.flips):
            return []
        return [f - r for f, r in zip(self.flips, self.press_rows, strict=True)]

    def histogram(self) -> dict[int, int]:
        return dict(sorted(collections.Counter(self.diffs).items()))

    def within(self, low: int = 0, high: int = 2) -> float:
        diffs = self.diffs
        return sum(low <= d <= high for d in diffs) / len(diffs) if diffs else 0.0

    def mode(self) -> int | None:
        diffs = self.diffs
        return collections.Counter(diffs).most_common(1)[0][0] if diffs else None


def flip_frames(video: Path) -> list[int]:
    """Indices of frames whose brightness flipped against the previous frame."""
    levels = []
    with av.open(str(video)) as container:
        for frame in container.decode(video=0):
            y = frame.to_ndarray(format="gray")
            h, w = y.shape
            levels.append(float(np.mean(y[h // 4 : -h // 4, w // 4 : -w // 4])))
    bright = np.array(levels) > 128
    return [i for i in range(1, len(bright)) if bright[i] != bright[i - 1]]


def measure(
    wm: str | None, *, seconds: float | None = None, presses: int | None = None, seed: int = 7
) -> Alignment:
    """Random presses at 60 fps for ``seconds`` (or exactly ``presses`` of them), then one clip."""
    assert (seconds is None) != (presses is None), "seconds or presses"
    # A press takes at most 0.06 s held + 0.25 s apart (+ the tap's own round trips).
    length_s = seconds if seconds is not None else (presses or 0) * 0.35 + 1
    with game_env(wm) as env:
        rec = env.record(
            "--fps", "60", "--buffer-seconds", str(int(length_s) + 15), "--bitrate", "3M"
        )
        try:
            keyboard = Keyboard(env.name)
            rng = random.Random(seed)
            time.sleep(1.5)
            made = 0
            end = time.monotonic() + (seconds or 0)

            def more() -> bool:
                return time.monotonic() < end if seconds is not None else made < (presses or 0)

            while more():
                keyboard.tap("space", hold_s=rng.uniform(0.01, 0.06))
                made += 1
                time.sleep(rng.uniform(0.08, 0.25))
            keyboard.close()
            time.sleep(0.5)
            result = run_cli("clip", "--seconds", str(int(length_s) + 3))
            assert result.returncode == 0, result.stderr
            bundle = Path(result.stdout.strip())
        finally:
            rec.kill()
    clip = open_bundle(bundle)
    assert clip.actions_path is not None, "the clip has no action track"
    df = pd.read_parquet(clip.actions_path)
    press_rows = [
        int(i)
        for i, n in zip(df[col.FRAME_INDEX], df[col.button_columns("jump")[1]], strict=True)
        for _ in range(int(n))
    ]
    return Alignment(made, press_rows, flip_frames(clip.video_path), df, clip.manifest)
