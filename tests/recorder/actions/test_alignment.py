"""Frame alignment, end to end: the first frame showing a key press's effect vs the row
holding the press.

The test game flips its colour on every key press. The real recorder records it at
60 fps while presses come at random moments for 60 s; then, per press, the first
frame whose colour flipped minus the actions.parquet row with that press must be 1
typically and 0..2 for at least 99 % of presses. Run with and without a window manager.
"""

from __future__ import annotations

import collections
import random
import time
from pathlib import Path

import av
import numpy as np
import pandas as pd
import pytest

from hindsight.bundle import open_bundle
from hindsight.bundle import schema as col
from tests.recorder.actions.game_env import Keyboard, game_env
from tests.recorder.cli_proc import run_cli

pytestmark = [pytest.mark.x11, pytest.mark.slow]

SECONDS = 60


def flip_frames(video: Path) -> list[int]:
    """Indices of frames whose brightness flipped against the previous frame."""
    levels = []
    with av.open(str(video)) as container:
        for frame in container.decode(video=0):
            y = frame.to_ndarray(format="gray")
            levels.append(
                float(
                    np.mean(
                        y[y.shape[0] // 4 : -y.shape[0] // 4, y.shape[1] // 4 : -y.shape[1] // 4]
                    )
                )
            )
    bright = np.array(levels) > 128
    return [i for i in range(1, len(bright)) if bright[i] != bright[i - 1]]


@pytest.mark.parametrize("wm", ["openbox", None], ids=["openbox", "no-wm"])
def test_press_effect_lands_one_row_later(wm: str | None, isolated_user_dirs, capsys) -> None:
    with game_env(wm) as env:
        rec = env.record("--fps", "60", "--buffer-seconds", "75", "--bitrate", "3M")
        try:
            keyboard = Keyboard(env.name)
            rng = random.Random(7)
            time.sleep(1.5)
            presses = 0
            end = time.monotonic() + SECONDS
            while time.monotonic() < end:
                keyboard.tap("space", hold_s=rng.uniform(0.01, 0.06))
                presses += 1
                time.sleep(rng.uniform(0.08, 0.25))
            keyboard.close()
            time.sleep(0.5)
            result = run_cli("clip", "--seconds", str(SECONDS + 3))
            assert result.returncode == 0, result.stderr
            bundle = Path(result.stdout.strip())
        finally:
            rec.kill()
    clip = open_bundle(bundle)
    assert clip.actions_path is not None
    df = pd.read_parquet(clip.actions_path)
    press_rows = [
        int(i)
        for i, n in zip(df[col.FRAME_INDEX], df[col.button_columns("jump")[1]], strict=True)
        for _ in range(int(n))
    ]
    flips = flip_frames(clip.video_path)
    assert len(press_rows) == presses, "every press is in the track exactly once"
    assert len(flips) == presses, "every press flipped the picture once"
    diffs = [f - r for f, r in zip(flips, press_rows, strict=True)]
    histogram = dict(sorted(collections.Counter(diffs).items()))
    within = sum(0 <= d <= 2 for d in diffs) / len(diffs)
    with capsys.disabled():
        print(
            f"\nalignment ({wm or 'no wm'}): {presses} presses, "
            "first-effect-frame minus press-row: "
            f"{histogram}; within 0..2: {within:.2%}"
        )
    assert collections.Counter(diffs).most_common(1)[0][0] == 1
    assert within >= 0.99
    assert df[col.VALID][press_rows[0] :].all()  # the start may predate focus detection
    manifest = clip.manifest
    assert manifest.track is not None and manifest.track.latency_bias_frames == 1
    assert manifest.game is not None and manifest.game.id == "test.hs-testgame"
