"""The audio capture with the tone backend: tracks, the grid, the mix, a missing backend.

The tone backend beeps on every whole second of the clock and stamps exactly, so a
beep's place in a cut says, to the sample, whether the capture, the encoder and the
mux put the sound where the clock says it belongs.
"""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path

import numpy as np
import pytest

from hindsight.clock import NS_PER_S, now_ns
from hindsight.recorder.audio import AudioCapture
from hindsight.recorder.audio.encoder import AAC_FRAME, AudioEncoder
from hindsight.recorder.audio.tone import ToneBackend, beep_onsets_ns
from hindsight.recorder.config import AudioConfig
from hindsight.recorder.export.mux import AudioStream, write_mp4
from hindsight.recorder.packet import EncodedPacket, grid_start_ns
from tests.recorder.audio.beeps import RATE, decode_track, encode_video, onsets, track_titles

MB = 2**20


def _capture(config: AudioConfig, backend: ToneBackend | None = None, problem: str | None = None):
    return AudioCapture(
        config, backend, buffer_seconds=6, max_buffer_bytes=256 * MB, problem=problem
    )


def _fake_video(start_ns: int, seconds: float, fps: int = 30) -> list[EncodedPacket]:
    """A real one-keyframe-per-second H.264 stream of black 64x64 frames from ``start_ns``."""
    black = np.zeros((96, 64), np.uint8)  # yuv420p planes of 64x64
    return encode_video([black] * int(seconds * fps), start_ns, fps)


def _wait_covered(capture: AudioCapture, t_ns: int) -> None:
    assert capture.wait_covered(t_ns, 5.0), "the audio encoder did not reach the moment"


def test_encoder_numbers_packets_by_the_grid() -> None:
    encoder = AudioEncoder("mix", origin_t_ns=10 * NS_PER_S, bitrate_bps=128_000)
    encoder.open()
    packets = encoder.encode(np.zeros((5 * AAC_FRAME + 100, 2), np.float32))
    packets += encoder.flush()
    pts = [p.pts for p in packets]
    # FFmpeg's priming delay shifts the first packet back one frame; then one per whole
    # frame (the 100 samples of a partial frame wait for more).
    assert pts == list(range(-AAC_FRAME, 4 * AAC_FRAME + 1, AAC_FRAME))
    assert encoder.position == 5 * AAC_FRAME + 100
    for p in packets:
        assert p.keyframe and p.params.sample_rate == RATE
        assert p.t_ns == 10 * NS_PER_S + p.pts * NS_PER_S // RATE


@pytest.mark.parametrize("late_first_grab_ms", [0, 45])
def test_beeps_land_on_the_sample_the_clock_says(tmp_path: Path, late_first_grab_ms: int) -> None:
    """Also when the first frame's grab was late: the sound follows the frame grid."""
    capture = _capture(AudioConfig(backend="tone"), ToneBackend())
    capture.start()
    try:
        time.sleep(3.2)
        start = now_ns() - 3 * NS_PER_S + 300_000_000
        video = _fake_video(start, 2.5)
        video[0] = dataclasses.replace(video[0], t_ns=start + late_first_grab_ms * 1_000_000)
        assert grid_start_ns(video) == start
        end = start + len(video) * NS_PER_S // 30
        _wait_covered(capture, end)
        cut = capture.cut(grid_start_ns(video), end)
    finally:
        capture.stop()
    assert cut is not None
    assert [t.name for t, _ in cut.tracks] == ["mix", "system"]
    path = tmp_path / "v.mp4"
    write_mp4(video, path, [AudioStream(t.title, p) for t, p in cut.tracks])
    assert track_titles(path) == ["Mix", "System audio"]
    expected = [
        round((b - start) * RATE / NS_PER_S) for b in beep_onsets_ns(start, end - 60_000_000)
    ]
    assert expected, "the cut must hold a beep"
    for index in (0, 1):
        sound = decode_track(path, index)
        # The sound starts with the picture and ends with it (within one AAC frame).
        assert abs(len(sound) - len(video) * RATE // 30) <= AAC_FRAME
        # Beeps in the same window as ``expected``: one in the last 60 ms may be cut.
        last = round((end - 60_000_000 - start) * RATE / NS_PER_S)
        found = [o for o in onsets(sound) if 100 < o < last]
        assert len(found) == len(expected)
        for got, want in zip(found, expected, strict=True):
            assert abs(got - want) <= 2, (got, want)
    facts = cut.facts
    assert facts.sample_rate == RATE and facts.codec == "aac"
    assert [s.kind for s in facts.sources] == ["system"]
    assert facts.sources[0].silence_s == 0.0


def test_microphone_gets_its_own_track_and_joins_the_mix(tmp_path: Path) -> None:
    config = AudioConfig(mic=True, backend="tone", mic_device="sine:440", mic_volume=0.5)
    capture = _capture(config, ToneBackend())
    capture.start()
    try:
        time.sleep(2.5)
        start = now_ns() - 2 * NS_PER_S
        video = _fake_video(start, 1.5)
        end = start + len(video) * NS_PER_S // 30
        _wait_covered(capture, end)
        cut = capture.cut(start, end)
        status = capture.status()
    finally:
        capture.stop()
    assert cut is not None
    assert [t.name for t, _ in cut.tracks] == ["mix", "system", "mic"]
    # Three distinct encodings: the mix is not either source.
    assert len({id(p) for _, p in cut.tracks}) == 3
    path = tmp_path / "v.mp4"
    write_mp4(video, path, [AudioStream(t.title, p) for t, p in cut.tracks])
    assert track_titles(path) == ["Mix", "System audio", "Microphone"]
    mix, system, mic = (decode_track(path, i) for i in range(3))
    quiet = slice(RATE // 10 * 3, RATE // 10 * 4)  # somewhere between two beeps... maybe
    spectrum = np.abs(np.fft.rfft(mic[:RATE]))
    assert np.argmax(spectrum) == pytest.approx(440, abs=2)  # 1 s of samples: bins are 1 Hz
    # The mix holds the mic at half volume: its 440 Hz is half the mic track's.
    mix_440 = np.abs(np.fft.rfft(mix[:RATE]))[440]
    assert mix_440 == pytest.approx(0.5 * spectrum[440], rel=0.1)
    assert np.max(np.abs(system)) > 0.3  # the beeps
    del quiet
    assert [s.kind for s in status.sources] == ["system", "mic"]
    assert status.tracks == ("mix", "system", "mic")


def test_no_audio_system_records_counted_silence() -> None:
    capture = _capture(AudioConfig(), None, problem="no PulseAudio server")
    capture.start()
    try:
        time.sleep(1.5)
        start = now_ns() - NS_PER_S
        end = start + NS_PER_S // 2
        _wait_covered(capture, end)
        cut = capture.cut(start, end)
        status = capture.status()
    finally:
        capture.stop()
    assert cut is not None
    (source,) = cut.facts.sources
    assert source.backend == "none"
    assert source.silence_s == pytest.approx(0.5, abs=0.05)
    (feed,) = status.sources
    assert feed.state == "waiting" and feed.error == "no PulseAudio server"
    assert status.backend == "none"


def test_audio_off_is_refused() -> None:
    with pytest.raises(ValueError):
        _capture(AudioConfig(system=False, mic=False))


@pytest.mark.parametrize("muxer", [True, False], ids=["muxer", "direct"])
def test_sound_that_arrives_during_the_write_lands_as_if_it_was_there(
    tmp_path: Path, muxer: bool
) -> None:
    """The muxer writes up to the sound it has, then takes the tail; the direct writer lays
    the picture out, then takes it: either way the same file results."""
    config = AudioConfig(mic=True, backend="tone", mic_device="sine:440", mic_volume=0.5)
    capture = _capture(config, ToneBackend())
    capture.start()
    try:
        time.sleep(3.2)
        start = now_ns() - 3 * NS_PER_S
        video = _fake_video(start, 2.5)
        end = start + len(video) * NS_PER_S // 30
        _wait_covered(capture, end)
        cut = capture.cut(start, end)
    finally:
        capture.stop()
    assert cut is not None
    whole = [AudioStream(t.title, p) for t, p in cut.tracks]
    # What a save sees at the press: each track lacking its last 150-250 ms (a different
    # amount per track, so the shortest one sets where the first part of the write stops).
    early = [
        AudioStream(s.title, [p for p in s.packets if p.t_ns < end - (150 + 50 * i) * 1_000_000])
        for i, s in enumerate(whole)
    ]
    assert all(0 < len(e.packets) < len(s.packets) for e, s in zip(early, whole, strict=True))
    written_when_asked: list[int] = []

    def late() -> list[AudioStream]:
        # The muxer is writing the file already: the tail is asked for only once it is needed.
        # The direct writer has laid out the picture and not written a byte yet.
        written_when_asked.append(sum(p.stat().st_size for p in tmp_path.glob(".late.mp4.*.tmp")))
        return whole

    write_mp4(video, tmp_path / "at_once.mp4", whole, muxer=muxer)
    write_mp4(video, tmp_path / "late.mp4", early, late_audio=late, muxer=muxer)
    assert len(written_when_asked) == 1
    assert written_when_asked[0] > 0 if muxer else written_when_asked[0] == 0
    assert (tmp_path / "late.mp4").read_bytes() == (tmp_path / "at_once.mp4").read_bytes()
    for index in range(3):
        sound = decode_track(tmp_path / "late.mp4", index)
        assert abs(len(sound) - len(video) * RATE // 30) <= AAC_FRAME
