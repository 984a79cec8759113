"""Burn-in of a clip with the tone backend's sound: the copy keeps every audio track, its title,
its packets and its length (written to a file, read back with PyAV)."""

from __future__ import annotations

import time
from pathlib import Path

import av
import numpy as np
import pytest

from hindsight.actionmap.load import load_map
from hindsight.actionmap.registry import SHIPPED_DIR
from hindsight.bundle import VIDEO_FILE, open_bundle
from hindsight.clock import NS_PER_S, now_ns
from hindsight.overlay.burnin import burn_in
from hindsight.recorder.audio import AudioCapture
from hindsight.recorder.audio.tone import ToneBackend
from hindsight.recorder.config import AudioConfig
from hindsight.recorder.export.mux import AudioStream, write_mp4
from hindsight.recorder.packet import EncodedPacket
from tests.bundle.builders import write_manifest
from tests.overlay.helpers import synthetic_clip
from tests.recorder.audio.beeps import decode_track, encode_video, onsets, track_titles

FPS = 30
FRAMES = 75  # 2.5 s
MAP = "valve.counter-strike-2"


def _video_packets(video: Path, start_ns: int) -> list[EncodedPacket]:
    """The synthetic clip's pictures encoded as the recorder does, stamped from ``start_ns``."""
    with av.open(str(video)) as c:
        frames = [f.to_ndarray(format="yuv420p") for f in c.decode(video=0)]
    return encode_video(frames, start_ns, FPS)


def _clip_with_tone_sound(folder: Path) -> Path:
    """A clip bundle whose video.mp4 holds the tone backend's mix, system and mic tracks."""
    clip = synthetic_clip(
        folder, frames=FRAMES, fps=FPS, size="640x360", audio=False, jump_held=[range(10, 30)]
    )
    clip_id = open_bundle(clip).manifest.clip_id
    config = AudioConfig(backend="tone", mic=True, mic_device="sine:440", mic_volume=0.5)
    capture = AudioCapture(config, ToneBackend(), buffer_seconds=6, max_buffer_bytes=2**28)
    capture.start()
    try:
        time.sleep(1.0)
        start = now_ns() - 800_000_000
        time.sleep(FRAMES / FPS)
        end = start + FRAMES * NS_PER_S // FPS
        assert capture.wait_covered(end, 5.0)
        cut = capture.cut(start, end)
    finally:
        capture.stop()
    assert cut is not None
    packets = _video_packets(clip / VIDEO_FILE, start)
    write_mp4(packets, clip / VIDEO_FILE, [AudioStream(t.title, p) for t, p in cut.tracks])
    amap = load_map(SHIPPED_DIR / f"{MAP}.toml")
    write_manifest(
        clip,
        frames=FRAMES,
        fps=FPS,
        clip_id=clip_id,
        game=(amap.id, amap.title),
        map_ref=(amap.id, amap.version),
    )
    assert open_bundle(clip).verify() == []
    return clip


def _audio(path: Path) -> list[tuple[str, int, int, float, float]]:
    """Per audio stream: codec, rate, channels, start and duration in seconds."""
    with av.open(str(path)) as c:
        out = []
        for s in c.streams.audio:
            assert s.time_base is not None and s.duration is not None
            start = float((s.start_time or 0) * s.time_base)
            out.append(
                (s.codec_context.name, s.rate, s.channels, start, float(s.duration * s.time_base))
            )
        return out


def _packets(path: Path, index: int) -> list[bytes]:
    with av.open(str(path)) as c:
        return [bytes(p) for p in c.demux(c.streams.audio[index]) if p.size]


def test_burn_in_keeps_the_audio_tracks_and_titles(tmp_path: Path, qt_app) -> None:
    clip = _clip_with_tone_sound(tmp_path / "clip")
    source = clip / VIDEO_FILE
    assert track_titles(source) == ["Mix", "System audio", "Microphone"]

    result = burn_in(clip)
    out = result.path
    assert out.is_file() and result.frames == FRAMES

    assert track_titles(out) == ["Mix", "System audio", "Microphone"]
    before, after = _audio(source), _audio(out)
    assert [a[:3] for a in after] == [("aac", 48_000, 2)] * 3
    for (_, _, _, start_a, dur_a), (_, _, _, start_b, dur_b) in zip(before, after, strict=True):
        assert start_b == pytest.approx(start_a, abs=0.002)
        assert dur_b == pytest.approx(dur_a, abs=0.03)
    with av.open(str(out)) as c:
        video = c.streams.video[0]
        assert video.duration is not None and video.time_base is not None
        video_s = float(video.duration * video.time_base)
    assert video_s == pytest.approx(FRAMES / FPS, abs=0.04)
    for *_, seconds in after:
        assert seconds == pytest.approx(video_s, abs=0.1)
    for index in range(3):
        assert _packets(out, index) == _packets(source, index)  # copied, not re-encoded
    # The sound itself: the beeps sit where they were, the microphone's tone is 440 Hz.
    assert onsets(decode_track(out, 1)) == onsets(decode_track(source, 1))
    mic = decode_track(out, 2)[:48_000]
    assert abs(np.argmax(np.abs(np.fft.rfft(mic))) * 48_000 / len(mic) - 440) < 3
