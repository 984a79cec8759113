"""Frame alignment, end to end and short: every press's first visible effect lands 0..2 frames
after the actions.parquet row holding it.

The test game flips its colour on every key press; the real recorder records it at
60 fps while 24 presses come at random moments. Every press must be in the track once,
flip the picture once, and land within 0..2 frames. Run with and without a window
manager. The distribution over minutes of presses (1 frame typically, 0..2 for
>= 99 %) is a benchmark: ``python3 -m tests.bench.bench_alignment``.
"""

from __future__ import annotations

import pytest

from hindsight.bundle import schema as col
from tests.recorder.actions.alignment import measure

pytestmark = [pytest.mark.x11, pytest.mark.slow]

PRESSES = 24


@pytest.mark.parametrize("wm", ["openbox", None], ids=["openbox", "no-wm"])
def test_every_press_lands_within_two_frames_of_its_row(wm: str | None) -> None:
    result = measure(wm, presses=PRESSES)
    assert result.presses == PRESSES
    assert len(result.press_rows) == PRESSES, "every press is in the track exactly once"
    assert len(result.flips) == PRESSES, "every press flipped the picture once"
    assert all(0 <= d <= 2 for d in result.diffs), result.histogram()
    df = result.track
    assert df[col.VALID][result.press_rows[0] :].all()  # the start may predate focus detection
    manifest = result.manifest
    assert manifest.track is not None and manifest.track.latency_bias_frames == 1
    assert manifest.game is not None and manifest.game.id == "test.hs-testgame"
