"""The sample-grid timeline: every sample accounted for, jitter ignored, drift and gaps fixed."""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hindsight.clock import NS_PER_S
from hindsight.recorder.audio.timeline import AudioTimeline, TimelineConfig

RATE = 48_000
BLOCK = 480  # 10 ms
MS = 1_000_000


def _run(
    timeline: AudioTimeline,
    seconds: float,
    *,
    start_ns: int = 0,
    ppm: float = 0.0,
    jitter_ns: int = 0,
    seed: int = 0,
) -> tuple[int, int]:
    """Feed blocks of a device running ``ppm`` fast, stamps late by up to ``jitter_ns``.

    Returns (samples emitted, the grid sample where the last block truly belongs).
    """
    rng = random.Random(seed)
    emitted = 0
    true_sample = 0
    for _ in range(int(seconds * RATE / BLOCK)):
        true_t = start_ns + int(true_sample * NS_PER_S / (RATE * (1 + ppm / 1e6)))
        placement = timeline.place(true_t + rng.randint(0, jitter_ns), BLOCK)
        assert placement.silence >= 0 and 0 <= placement.skip <= BLOCK
        emitted += placement.silence + BLOCK - placement.skip
        ideal = timeline.sample_at(true_t)
        true_sample += BLOCK
    return emitted, ideal


@given(
    blocks=st.lists(
        st.tuples(st.integers(-3 * NS_PER_S, 30 * NS_PER_S), st.integers(0, 4096)),
        max_size=200,
    ),
    fills=st.lists(st.integers(0, 30 * NS_PER_S), max_size=5),
)
@settings(max_examples=200, deadline=None)
def test_every_sample_is_accounted_for(blocks: list[tuple[int, int]], fills: list[int]) -> None:
    """Whatever the stamps: the position is exactly what was emitted, and never goes back."""
    timeline = AudioTimeline(0)
    emitted = 0
    for i, (t_ns, frames) in enumerate(blocks):
        before = timeline.position
        placement = timeline.place(t_ns, frames)
        assert placement.silence >= 0
        assert 0 <= placement.skip <= frames
        emitted += placement.silence + frames - placement.skip
        assert timeline.position == emitted >= before
        if i < len(fills):
            emitted += timeline.fill_until(fills[i])
            assert timeline.position == emitted
    assert timeline.lead_samples + timeline.gap_samples + timeline.inserted_samples <= emitted or (
        emitted == 0
    )


@given(
    start_ms=st.integers(0, 2000),
    jitter_ms=st.integers(0, 6),
    seed=st.integers(0, 1000),
)
@settings(max_examples=30, deadline=None)
def test_jitter_alone_never_corrects_after_settling(
    start_ms: int, jitter_ms: int, seed: int
) -> None:
    timeline = AudioTimeline(0)
    _, _ = _run(timeline, 20, start_ns=start_ms * MS, jitter_ns=jitter_ms * MS, seed=seed)
    # The one settling correction at most; jitter is never "drift".
    assert timeline.resyncs <= 1
    assert timeline.gaps == 0
    assert timeline.lead_samples == pytest.approx(start_ms * RATE / 1000, abs=jitter_ms * 48 + 1)


@given(start_ms=st.integers(0, 500), seed=st.integers(0, 1000))
@settings(max_examples=20, deadline=None)
def test_the_anchor_rests_on_the_median_not_the_first_stamp(start_ms: int, seed: int) -> None:
    """A first block stamped 15 ms late is outvoted by the blocks of the settling time."""
    timeline = AudioTimeline(0)
    late = timeline.place(start_ms * MS + 15 * MS, BLOCK)
    assert late.silence == timeline.lead_samples
    emitted, ideal = _run(
        timeline, 5, start_ns=start_ms * MS + BLOCK * NS_PER_S // RATE, jitter_ns=MS, seed=seed
    )
    # After settling the track is within the jitter of where the samples belong.
    assert abs((timeline.position - BLOCK) - ideal) <= 48 + 1


@pytest.mark.parametrize("ppm", [-300.0, -80.0, 80.0, 300.0])
def test_drift_is_corrected_and_measured(ppm: float) -> None:
    config = TimelineConfig()
    timeline = AudioTimeline(0, config)
    _run(timeline, 300, ppm=ppm, jitter_ns=3 * MS, seed=3)
    # 300 s at 300 ppm is 90 ms: without resyncs the sound would be that far off.
    error_ns = abs(timeline.error_ns)
    assert error_ns <= config.correct_ns + 3 * MS
    expected_resyncs = abs(ppm) * 300 / 1e6 * NS_PER_S / config.correct_ns
    assert timeline.resyncs >= int(expected_resyncs)
    assert timeline.drift_ppm == pytest.approx(ppm, abs=max(15.0, abs(ppm) * 0.1))
    assert timeline.gaps == 0


def test_a_gap_is_filled_with_silence_at_once() -> None:
    timeline = AudioTimeline(0)
    _run(timeline, 2)
    position = timeline.position
    t_resume = timeline.t_ns_of(position) + 700 * MS  # the device stalled 0.7 s
    placement = timeline.place(t_resume, BLOCK)
    assert placement.silence == pytest.approx(0.7 * RATE, abs=1)
    assert timeline.gaps == 1
    assert timeline.gap_samples == placement.silence


def test_fill_until_keeps_pace_and_a_late_block_never_overlaps() -> None:
    timeline = AudioTimeline(0)
    timeline.place(0, BLOCK)
    assert timeline.fill_until(NS_PER_S) == RATE - BLOCK
    # A block that belongs before the silence already written: its overlap is dropped.
    placement = timeline.place(NS_PER_S - 5 * MS, BLOCK)
    assert placement.silence == 0
    assert timeline.position == RATE + BLOCK - placement.skip
    assert placement.skip == pytest.approx(240, abs=1)
    assert timeline.fill_until(NS_PER_S // 2) == 0  # never backwards


def test_stamps_that_jump_back_for_good_are_followed() -> None:
    """The server's latency shrank (a sink leaves idle): the stamps move 300 ms earlier."""
    timeline = AudioTimeline(0)
    _run(timeline, 2)
    position = timeline.position
    before = timeline.dropped_samples
    t_next = timeline.t_ns_of(position) - 300 * MS
    placement = timeline.place(t_next, BLOCK)
    # Dropped from this block and owed from the next ones until 300 ms are gone.
    assert placement.skip == BLOCK
    for i in range(1, 40):
        timeline.place(t_next + i * BLOCK * NS_PER_S // RATE, BLOCK)
    assert timeline.dropped_samples - before == pytest.approx(0.3 * RATE, abs=1)
    assert abs(timeline.error_ns) < 2 * MS


def test_config_is_validated() -> None:
    with pytest.raises(ValueError):
        TimelineConfig(correct_ns=200 * MS, gap_ns=100 * MS)
    with pytest.raises(ValueError):
        TimelineConfig(rate=0)


@pytest.mark.parametrize("step_ms", [-12, -7, 7, 12])
def test_a_latency_step_after_settling_is_removed(step_ms: int) -> None:
    """A sink that leaves idle changes its latency by a few ms: the clip must not keep it."""
    timeline = AudioTimeline(0)
    _run(timeline, 3, jitter_ns=2 * MS, seed=1)
    assert timeline.resyncs <= 1
    before = timeline.resyncs
    # From now on every stamp is step_ms later than where the samples truly are.
    t0 = timeline.t_ns_of(timeline.position)
    _run(timeline, 3, start_ns=t0 + step_ms * MS, jitter_ns=2 * MS, seed=2)
    assert timeline.resyncs > before
    assert abs(timeline.error_ns) <= 2 * MS


def test_jitter_with_late_outliers_is_not_a_latency_step() -> None:
    """One block in ten arrives 30 ms late (a busy machine): the median ignores it."""
    timeline = AudioTimeline(0)
    rng = random.Random(5)
    for i in range(6000):  # 60 s
        late = 30 * MS if rng.random() < 0.1 else rng.randint(0, 2 * MS)
        timeline.place(i * BLOCK * NS_PER_S // RATE + late, BLOCK)
    assert timeline.resyncs <= 1
    assert timeline.drift_ppm == pytest.approx(0, abs=5)


def test_after_a_gap_the_source_settles_again_on_the_median() -> None:
    """The block that ends a gap is stamped 9 ms late; the ones after it are not."""
    timeline = AudioTimeline(0)
    emitted, _ = _run(timeline, 2, jitter_ns=MS, seed=4)
    t_resume = timeline.t_ns_of(timeline.position) + 500 * MS
    timeline.place(t_resume + 9 * MS, BLOCK)
    assert timeline.gaps == 1
    _run(timeline, 20, start_ns=t_resume + BLOCK * NS_PER_S // RATE, jitter_ns=MS, seed=6)
    assert abs(timeline.error_ns) <= MS + MS // 2
    # The re-anchoring (9 ms, 190 ppm of this run) is not drift; a few samples of
    # jitter left over are.
    assert timeline.drift_ppm == pytest.approx(0, abs=10)


def test_a_source_back_after_a_fill_is_placed_on_time() -> None:
    timeline = AudioTimeline(0)
    _run(timeline, 2)
    timeline.fill_until(5 * NS_PER_S)  # the device was lost for 3 s
    gaps_before = timeline.gap_samples
    placement = timeline.place(5 * NS_PER_S + 40 * MS, BLOCK)
    assert placement.silence == pytest.approx(0.04 * RATE, abs=1)
    assert timeline.gap_samples == gaps_before + placement.silence
    assert timeline.lead_samples == 0


def test_a_burst_of_late_blocks_moves_no_sample() -> None:
    """A busy moment: 24 blocks in a row stamped 12 ms late, every 3 s, for a minute."""
    timeline = AudioTimeline(0)
    rng = random.Random(7)
    for i in range(6000):  # 60 s of 10 ms blocks
        late = 12 * MS if 100 <= i % 300 < 124 else rng.randint(0, MS)
        timeline.place(i * BLOCK * NS_PER_S // RATE + late, BLOCK)
    assert timeline.resyncs <= 1  # the settling one at most
    assert timeline.inserted_samples + timeline.dropped_samples <= 48
