"""The PulseAudio backend against a real PulseAudio daemon: devices, level, timing, the mic,
and the whole audio capture recording from it.

The daemon is private (tests/audio_server.py): a null sink ``hs_null`` is the system
output, ``hs_mic`` a test microphone fed by playing into ``hs_mic_out``. Without
``pulseaudio`` installed these tests fail: they never skip.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from hindsight.clock import NS_PER_S, now_ns
from hindsight.recorder.audio import AudioCapture
from hindsight.recorder.audio.pulse import PulseBackend, PulseSource
from hindsight.recorder.audio.source import AudioError, AudioKind
from hindsight.recorder.config import AudioConfig
from tests.audio_server import MIC_SINK, MIC_SOURCE, SYSTEM_SINK, PulseServer, sine
from tests.recorder.audio.pulse_fixture import (
    first_loud,
    playing_silence,
    record,
    running_server,
)

RATE = 48_000


@pytest.fixture(scope="module")
def server() -> Iterator[PulseServer]:
    yield from running_server()


def _click(lead_s: float, total_s: float) -> np.ndarray:
    pcm = np.zeros((int(total_s * RATE), 2), np.float32)
    start = int(lead_s * RATE)
    pcm[start : start + RATE // 100] = 0.5  # 10 ms of DC: an onset sharp to the sample
    return pcm


def test_devices_are_the_monitors_and_the_sources_with_defaults(server: PulseServer) -> None:
    devices = PulseBackend().devices()
    system = {d.name: d for d in devices if d.kind is AudioKind.SYSTEM}
    mics = {d.name: d for d in devices if d.kind is AudioKind.MIC}
    assert set(system) == {f"{SYSTEM_SINK}.monitor", f"{MIC_SINK}.monitor"}
    assert set(mics) == {MIC_SOURCE}
    assert [n for n, d in system.items() if d.is_default] == [f"{SYSTEM_SINK}.monitor"]
    assert mics[MIC_SOURCE].is_default
    assert "Hindsight-null-sink" in system[f"{SYSTEM_SINK}.monitor"].description


def test_system_sound_is_recorded_at_its_level(server: PulseServer) -> None:
    with PulseBackend().source(AudioKind.SYSTEM) as source:
        assert source.describe() == f"pulse system (default: {SYSTEM_SINK}.monitor)"
        player = server.play(sine(1.0, 1000.0, amplitude=0.5))
        blocks = record(source, 1.5)
        player.wait(5)
    pcm = np.concatenate([b.pcm for b, _ in blocks])
    assert pcm.dtype == np.float32 and pcm.shape[1] == 2
    assert np.max(np.abs(pcm)) == pytest.approx(0.5, abs=0.02)
    first = int(np.flatnonzero(np.abs(pcm[:, 0]) > 0.01)[0])
    spectrum = np.abs(np.fft.rfft(pcm[first : first + RATE // 2, 0]))
    assert np.argmax(spectrum) * 2 == pytest.approx(1000, abs=4)  # 0.5 s: 2 Hz bins
    # Blocks tile time: each starts where the one before ended (within the timing steps).
    steps = [
        (b.t_ns - a.t_ns) - a.duration_ns
        for (a, _), (b, _) in zip(blocks, blocks[1:], strict=False)
    ]
    assert np.median(np.abs(steps)) < 200_000
    assert source.dropped_blocks == 0


def test_click_is_stamped_when_it_was_played(server: PulseServer) -> None:
    """Onset against the pacat start, and every stamp against libpulse's own latency."""
    source = PulseSource(AudioKind.SYSTEM)
    source.open()
    checks: list[tuple[int, int]] = []  # (stamp, arrival - latency libpulse interpolated)
    stamp = source._stamp

    def spy(stream, arrival_ns, frames):  # type: ignore[no-untyped-def]
        t_ns = stamp(stream, arrival_ns, frames)
        checks.append((t_ns, arrival_ns - source.reported_latency_us * 1000))
        return t_ns

    source._stamp = spy  # type: ignore[method-assign]
    try:
        # Wake the sink (an idle null sink renders ~0.4 s ahead) so pacat's start is short.
        server.play(np.zeros((RATE // 2, 2), np.float32)).wait(5)
        record(source, 0.3)
        lead_s = 0.2
        checks.clear()
        started_ns = now_ns()
        player = server.play(_click(lead_s, 0.5))
        blocks = record(source, 0.9)
        player.wait(5)
    finally:
        source.close()
    onset = first_loud(blocks)
    assert onset is not None, "the click was not recorded"
    late_ms = (onset - started_ns - lead_s * NS_PER_S) / 1e6
    print(f"click onset {late_ms:.2f} ms after pacat was started + its lead")
    # Not before pacat could have played it; late by no more than pacat's start-up and
    # its 20 ms buffer.
    assert -1.0 <= late_ms <= 120.0, late_ms
    # Stamps from the raw timing info agree with libpulse's interpolated latency (which
    # is right whenever the sink's latency is not larger than the stream's).
    diffs = [abs(a - b) / 1e6 for a, b in checks[5:]]
    assert diffs and float(np.median(diffs)) < 1.0, np.median(diffs)


def test_microphone_records_what_is_spoken(server: PulseServer) -> None:
    with PulseBackend().source(AudioKind.MIC) as source:
        assert MIC_SOURCE in source.describe()
        player = server.play(sine(0.8, 440.0, amplitude=0.25), sink=MIC_SINK)
        blocks = record(source, 1.2)
        player.wait(5)
    pcm = np.concatenate([b.pcm for b, _ in blocks])
    assert np.max(np.abs(pcm)) == pytest.approx(0.25, abs=0.02)


def test_an_unknown_device_names_the_ones_there_are(server: PulseServer) -> None:
    with pytest.raises(AudioError) as info:
        PulseSource(AudioKind.SYSTEM, "nope.monitor").open()
    line = str(info.value)
    assert "\n" not in line and "'nope.monitor'" in line and f"{SYSTEM_SINK}.monitor" in line
    named = PulseSource(AudioKind.SYSTEM, f"{MIC_SINK}.monitor")
    named.open()
    named.close()
    named.close()  # twice is fine


def test_capture_records_the_server_into_a_cut(server: PulseServer, tmp_path: Path) -> None:
    capture = AudioCapture(
        AudioConfig(backend="pulse"),
        PulseBackend(),
        buffer_seconds=5,
        max_buffer_bytes=256 * 2**20,
    )
    with playing_silence(server):
        _capture_a_sine(server, capture, tmp_path)


def _capture_a_sine(server: PulseServer, capture: AudioCapture, tmp_path: Path) -> None:
    capture.start()
    try:
        # An idle null sink has rendered up to 2 s ahead: its monitor is silent until then.
        time.sleep(2.2)
        played_ns = now_ns()  # before play(): it returns once pacat has most of the sound
        player = server.play(sine(1.5, 1000.0, amplitude=0.5))
        time.sleep(1.0)
        player.wait(5)
        end = played_ns + 1_300_000_000
        assert capture.wait_covered(end, 5.0)
        cut = capture.cut(played_ns + 400_000_000, end)
        status = capture.status()
    finally:
        capture.stop()
    assert cut is not None
    (source,) = status.sources
    assert source.state == "recording" and "hs_null.monitor" in (source.device or "")
    assert cut.facts.sources[0].backend == "pulse"
    assert cut.facts.sources[0].silence_s < 0.05
    from hindsight.recorder.export.mux import AudioStream, write_mp4
    from tests.recorder.audio.beeps import decode_track
    from tests.recorder.audio.test_capture import _fake_video

    start = played_ns + 400_000_000
    video = _fake_video(start, 1.0)
    path = tmp_path / "v.mp4"
    write_mp4(video, path, [AudioStream(t.title, p) for t, p in cut.tracks])
    sound = decode_track(path, 0)
    assert np.max(np.abs(sound[RATE // 10 :])) > 0.3  # the sine is in the clip
