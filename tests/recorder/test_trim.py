"""Trimming a real clip: a new playable bundle from a keyframe to the chosen point, the original
untouched."""

from __future__ import annotations

import hashlib
from pathlib import Path

import av
import pyarrow.parquet as pq
import pytest

from hindsight.bundle import BundleError, SavedClip, open_bundle
from hindsight.bundle import schema as col
from hindsight.recorder.errors import ExportError
from hindsight.recorder.export.trim import keyframe_times_ms, trim_bundle
from tests.app.desktop.clips import record_clips


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> SavedClip:
    (clip,) = record_clips(tmp_path_factory.mktemp("clips"), 1, seconds=4)
    return clip


def digests(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def test_a_trim_is_a_new_whole_clip_cut_on_a_keyframe(recorded: SavedClip) -> None:
    before = digests(recorded.path)
    fps = recorded.manifest.video.fps
    assert keyframe_times_ms(recorded.video_path)[:3] == [0, 1000, 2000]  # 1 s GOPs
    trimmed = trim_bundle(recorded.path, 1500, 3200)  # starts mid-GOP: cut back to 1.0 s
    assert digests(recorded.path) == before  # the original is byte for byte what it was
    assert trimmed.path.parent == recorded.path.parent and trimmed.path != recorded.path
    assert trimmed.clip_id != recorded.clip_id
    bundle = open_bundle(trimmed.path)
    assert bundle.verify() == []  # every digest, the map pin, rows == frames
    first, end = 1 * fps, -(-3200 * fps // 1000)
    frames = end - first
    m = bundle.manifest
    assert (m.video.frames, m.video.duration_s) == (frames, frames / fps)
    assert m.track is not None and m.track.rows == frames
    with av.open(str(bundle.video_path)) as container:
        video = container.streams.video[0]
        packets = [p for p in container.demux(video) if p.pts is not None]
        assert packets[0].is_keyframe and packets[0].pts == 0
        assert len(packets) == frames
        assert float(video.duration * video.time_base) == pytest.approx(frames / fps)
        assert sum(p.is_keyframe for p in packets) == m.video.keyframes == 3  # at 1, 2 and 3 s
        assert len(container.streams.audio) == len(recorded.manifest.audio.tracks)
        for audio in container.streams.audio:  # the sound starts and ends with the picture
            assert float(audio.start_time * audio.time_base) == pytest.approx(0, abs=0.001)
            assert float(audio.duration * audio.time_base) == pytest.approx(frames / fps, abs=0.03)
    with av.open(str(bundle.video_path)) as container:
        decoded = sum(1 for _ in container.decode(video=0))
    assert decoded == frames  # playable: every frame decodes
    source_rows = pq.read_table(recorded.path / m.track.file).to_pandas()
    rows = pq.read_table(bundle.actions_path).to_pandas()
    for written in (bundle.actions_path, bundle.events_path):  # by the recorder's own writer
        assert pq.ParquetFile(written).metadata.created_by.startswith("hindsight "), written
    assert rows[col.FRAME_INDEX].tolist() == list(range(frames))
    assert rows[col.PTS_US].tolist() == [i * 1_000_000 // fps for i in range(frames)]
    kept = source_rows.iloc[first:end].reset_index(drop=True)
    for name in kept.columns:
        if col.is_action_column(name) or name in (col.VALID, col.CONTEXT):
            assert rows[name].tolist() == kept[name].tolist(), name
    assert rows[col.button_columns("jump")[1]].sum() > 0  # the presses made it across
    events = pq.read_table(bundle.events_path).to_pandas()
    assert len(events) == m.track.events > 0
    assert events[col.EVENT_T_US].between(0, frames * 1_000_000 // fps - 1).all()
    assert m.clock.first_frame_t_ns > recorded.manifest.clock.first_frame_t_ns
    assert m.created_utc > recorded.manifest.created_utc  # sorts beside its source


def test_a_trim_from_zero_to_the_end_keeps_every_frame(recorded: SavedClip) -> None:
    m = recorded.manifest
    trimmed = trim_bundle(recorded.path, 0, m.video.frames * 1000 // m.video.fps + 1000)
    assert trimmed.manifest.video.frames == m.video.frames
    assert open_bundle(trimmed.path).verify() == []


def test_an_empty_span_or_a_missing_clip_is_one_line(recorded: SavedClip, tmp_path: Path) -> None:
    with pytest.raises(ExportError, match="nothing to keep"):
        trim_bundle(recorded.path, 2000, 2000)
    with pytest.raises(ExportError, match="not a Hindsight clip"):
        trim_bundle(tmp_path, 0, 1000)
    assert not [p for p in recorded.path.parent.iterdir() if p.name.startswith(".")]
    assert issubclass(BundleError, Exception)
