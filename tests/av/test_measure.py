"""The sync measurement on synthetic clips written with PyAV, where every offset is known.

A clip holds flashes drawn like the stimulus draws them (a step and a ramp, sampled
at each frame's time) and beeps placed, to the sample, at a chosen offset from each
flash. The measurement must find each beep within one sample, each flash on the right
frame, the ramp-refined flash within a fraction of a frame, and the offsets, their
spread and their drift as written.
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest

from tests.av.measure import (
    BEEP,
    FLASH,
    beep_lengths,
    beep_onsets,
    flash_onsets,
    measure_clip,
    pair,
    summarize,
)

RATE = 48_000
FPS = 30


def _onsets(seconds: float, seed: int = 7) -> list[float]:
    rng = np.random.default_rng(seed)
    out, t = [], 0.5
    while t < seconds - 0.5:
        out.append(round(t, 6))
        t += rng.uniform(0.6, 1.4)
    return out


def write_clip(
    path: Path,
    flashes: list[float],
    offsets_ms: list[float],
    seconds: float,
    audio_codec: str = "pcm_f32le",
    fps: int = FPS,
) -> list[int]:
    """A clip with ``flashes`` (s) and a beep ``offsets_ms[i]`` after each; returns the beeps'
    first sample indexes."""
    container = "mp4" if audio_codec == "aac" else "matroska"
    with av.open(str(path), "w", format=container) as out:
        video = out.add_stream("libx264", rate=fps)
        video.width, video.height, video.pix_fmt = 160, 96, "yuv420p"
        video.options = {"crf": "10", "bf": "0", "g": str(fps)}
        audio = out.add_stream(audio_codec, rate=RATE, layout="stereo")
        n_frames = int(seconds * fps)
        for i in range(n_frames):
            t = i / fps
            level = FLASH.base
            for f in flashes:
                if f <= t < f + FLASH.length_ms / 1000:
                    level = FLASH.value_at((t - f) * 1000)
            img = np.full((96, 160, 3), level, np.uint8)
            frame = av.VideoFrame.from_ndarray(img, format="rgb24")
            frame.pts = i
            frame.time_base = Fraction(1, fps)
            out.mux(video.encode(frame))
        out.mux(video.encode(None))
        pcm = np.zeros(int(seconds * RATE), np.float32)
        beep = BEEP.samples(RATE)
        starts = []
        for f, off in zip(flashes, offsets_ms, strict=True):
            s = round((f + off / 1000) * RATE)
            pcm[s : s + len(beep)] = beep[: len(pcm) - s]
            starts.append(s)
        step = 1024
        fmt = "fltp" if audio_codec == "aac" else "flt"
        for at in range(0, len(pcm) - step + 1, step):
            chunk = pcm[at : at + step]
            if fmt == "fltp":
                arr = np.stack([chunk, chunk])
            else:
                arr = np.repeat(chunk, 2)[None, :]
            frame = av.AudioFrame.from_ndarray(arr, format=fmt, layout="stereo")
            frame.sample_rate = RATE
            frame.pts = at
            frame.time_base = Fraction(1, RATE)
            out.mux(audio.encode(frame))
        out.mux(audio.encode(None))
    return starts


def test_beeps_are_found_to_the_sample(tmp_path: Path) -> None:
    flashes = _onsets(12)
    path = tmp_path / "clip.mkv"
    starts = write_clip(path, flashes, [0.0] * len(flashes), 12)
    found = beep_onsets(path)
    assert len(found) == len(starts)
    for got, want in zip(found, starts, strict=True):
        assert abs(got * RATE - want) <= 1, (got * RATE, want)


def test_flashes_are_found_on_their_frame_and_within_the_frame(tmp_path: Path) -> None:
    flashes = _onsets(12)
    path = tmp_path / "clip.mkv"
    write_clip(path, flashes, [0.0] * len(flashes), 12)
    refined, frames = flash_onsets(path)
    assert len(frames) == len(flashes)
    for f, frame_t, fine in zip(flashes, frames, refined, strict=True):
        first_frame = np.ceil(f * FPS - 1e-9) / FPS
        assert frame_t == pytest.approx(first_frame, abs=1.1e-3)  # Matroska keeps ms
        # the ramp puts the onset back inside the frame: well under a frame period
        assert abs(fine - f) * 1000 <= 1.0, (fine, f)


@pytest.mark.parametrize("offset_ms", [0.0, 12.5, -23.0, 41.0])
def test_a_constant_offset_is_measured(tmp_path: Path, offset_ms: float) -> None:
    flashes = _onsets(15, seed=3)
    path = tmp_path / "clip.mkv"
    write_clip(path, flashes, [offset_ms] * len(flashes), 15)
    fine, coarse = measure_clip(path)
    assert fine.pairs == coarse.pairs == len(flashes)
    assert fine.median_ms == pytest.approx(offset_ms, abs=1.0)
    assert fine.spread_ms <= 1.0
    # the ramp is read from 8-bit luma (about 0.4 ms a step): over 15 s that noise is a
    # slope of a few ms per minute at most
    assert abs(fine.drift_ms_per_min) <= 3.0
    # on the frame grid alone the onsets are late by up to a frame: offsets early by as much
    assert offset_ms - 1000 / FPS - 1.0 <= coarse.median_ms <= offset_ms + 1.0


def test_drift_and_spread_are_measured(tmp_path: Path) -> None:
    seconds = 30
    flashes = _onsets(seconds, seed=11)
    rng = np.random.default_rng(5)
    drift = 10.0  # ms per minute
    offsets = [5.0 + drift * f / 60 + rng.uniform(-4, 4) for f in flashes]
    path = tmp_path / "clip.mkv"
    write_clip(path, flashes, offsets, seconds)
    fine, _ = measure_clip(path)
    want = summarize([(f, f + o / 1000) for f, o in zip(flashes, offsets, strict=True)])
    assert fine.pairs == len(flashes)
    assert fine.drift_ms_per_min == pytest.approx(want.drift_ms_per_min, abs=1.0)
    assert fine.spread_ms == pytest.approx(want.spread_ms, abs=1.0)
    assert fine.median_ms == pytest.approx(want.median_ms, abs=1.0)


def test_aac_in_mp4_keeps_the_onsets(tmp_path: Path) -> None:
    """The recorder's own format: AAC in MP4 (encoder delay handled by the edit list)."""
    flashes = _onsets(10, seed=5)
    path = tmp_path / "clip.mp4"
    write_clip(path, flashes, [7.0] * len(flashes), 10, audio_codec="aac")
    fine, _ = measure_clip(path)
    assert fine.pairs == len(flashes)
    assert fine.median_ms == pytest.approx(7.0, abs=1.0)
    assert fine.spread_ms <= 1.0
    lengths = [length for _, length in beep_lengths(path)]
    assert all(abs(length - BEEP.length_ms) <= 2.5 for length in lengths), lengths


def test_a_late_sound_track_fails_the_sync_bounds(tmp_path: Path) -> None:
    """The bounds the end-to-end test asserts must catch a clip that is out of sync."""
    flashes = _onsets(12, seed=9)
    path = tmp_path / "clip.mkv"
    write_clip(path, flashes, [60.0] * len(flashes), 12)
    fine, _ = measure_clip(path)
    assert abs(fine.median_ms) > 15


def test_a_cut_beep_is_not_an_onset_and_lengths_are_measured(tmp_path: Path) -> None:
    flashes = [0.0, 1.0, 2.2]  # the first beep starts with the track: no onset can be trusted
    path = tmp_path / "clip.mkv"
    write_clip(path, flashes, [0.0, 0.0, 0.0], 3)
    found = beep_lengths(path)
    assert [round(t, 3) for t, _ in found] == [1.0, 2.2]
    assert all(abs(length - BEEP.length_ms) <= 1.0 for _, length in found)


def test_pairing_uses_each_onset_once_and_skips_strays() -> None:
    pairs = pair([1.0, 2.0, 3.0], [1.01, 2.5, 3.02, 3.03])
    assert pairs == [(1.0, 1.01), (3.0, 3.02)]


def test_one_stray_pair_does_not_tilt_the_drift() -> None:
    times = [float(t) for t in range(30)]
    pairs = [(t, t + 0.002) for t in times]
    pairs[-1] = (29.0, 29.0 - 0.070)  # one flash grabbed late, say
    summary = summarize(pairs)
    assert summary.median_ms == pytest.approx(2.0, abs=1e-6)
    assert abs(summary.drift_ms_per_min) < 0.01
    assert summary.min_ms == pytest.approx(-70.0)
