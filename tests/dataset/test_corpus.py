"""The corpus the dataset tests share: real clips, two of them overlapping on one run."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from hindsight.bundle import open_bundle
from tests.dataset.corpus import FAULTS, Corpus


@pytest.mark.x11
def test_the_corpus_is_whole_clips_of_one_run_two_overlapping(corpus: Corpus) -> None:
    bundles = [open_bundle(c) for c in corpus.clips]
    assert len(bundles) == 4
    for b in bundles:
        assert b.verify(uploaded=True) == []
        m = b.manifest
        assert (m.video.fps, m.video.width, m.video.height) == (30, 640, 360)
        assert m.game_id == "test.hs-testgame" and m.session is not None
    sessions = {b.manifest.session.session_id for b in bundles}  # type: ignore[union-attr]
    assert len(sessions) == 1
    a, b = (open_bundle(c).manifest for c in corpus.overlapping)
    assert a.session and b.session
    shared = min(a.session.first_frame + a.video.frames, b.session.first_frame + b.video.frames)
    assert shared - max(a.session.first_frame, b.session.first_frame) > 30
    # The first frames sit on one timeline: the clock says the same as the frame counts.
    dt_ns = b.clock.first_frame_t_ns - a.clock.first_frame_t_ns
    assert abs(dt_ns - (b.session.first_frame - a.session.first_frame) * 1e9 / 30) < 50e6


@pytest.mark.x11
def test_each_damaged_copy_no_longer_verifies(corpus: Corpus) -> None:
    for fault in FAULTS:
        copy = corpus.damaged(fault)
        assert copy.name == corpus.clips[0].name
        if fault != "extra-column":  # only a column check finds that one
            assert open_bundle(copy).verify(uploaded=True) != [], fault


@pytest.mark.x11
def test_a_trim_keeps_the_session_and_moves_the_first_frame(corpus: Corpus, tmp_path: Path) -> None:
    from hindsight.recorder.export.trim import trim_bundle

    original = corpus.originals[1]
    clip = Path(shutil.copytree(original, tmp_path / original.name))
    source = open_bundle(clip).manifest
    trimmed = trim_bundle(clip, 1500, 3000).manifest
    assert source.session is not None and trimmed.session is not None
    assert trimmed.session.session_id == source.session.session_id
    # The cut starts on the keyframe at or before 1.5 s (frame 30 or 45 at 30 fps, 1 s GOP).
    cut = trimmed.session.first_frame - source.session.first_frame
    assert 0 < cut <= 45
    assert trimmed.clock.first_frame_t_ns - source.clock.first_frame_t_ns == pytest.approx(
        cut * 1e9 / 30, abs=1e6
    )
