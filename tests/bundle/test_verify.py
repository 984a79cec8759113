"""open_bundle and Bundle.verify on a clip the real recorder wrote: clean as saved, damage named."""

from __future__ import annotations

import shutil
import time
from dataclasses import replace
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from hindsight.bundle import (
    ACTION_MAP_FILE,
    ACTIONS_FILE,
    BUNDLE_FILES,
    EVENTS_FILE,
    MANIFEST_FILE,
    VIDEO_FILE,
    Bundle,
    BundleError,
    open_bundle,
)
from hindsight.bundle import schema as col
from hindsight.recorder.actions.events import ContextEvent
from hindsight.recorder.actions.timeline import ActionTimeline
from hindsight.recorder.actions.track import ActionTrackContributor
from hindsight.recorder.session import RecordingSession
from tests.bundle.builders import rewrite_manifest
from tests.recorder.actions.test_translator import MAP
from tests.recorder.helpers import fake_config


@pytest.fixture(scope="module")
def saved(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, object]:
    """One clip with an action track, saved by the real session, bundle writer and track writer."""
    timeline = ActionTimeline(60)
    timeline.append(ContextEvent(0, "gameplay", True, MAP))  # the mapped game had focus throughout
    config = fake_config(tmp_path_factory.mktemp("clips"), buffer_seconds=4, clip_seconds=2)
    with RecordingSession(config, contributors=[ActionTrackContributor(timeline)]) as session:
        deadline = time.monotonic() + 20
        while session.ring.stats().seconds < 2.2:
            assert time.monotonic() < deadline, "the fake source never filled the buffer"
            time.sleep(0.05)
        clip = session.save(2).wait(30)
    return clip.path, clip


@pytest.fixture
def bundle(saved, tmp_path: Path) -> Bundle:
    """A private copy of the saved clip, to damage."""
    copy = shutil.copytree(saved[0], tmp_path / saved[0].name)
    return open_bundle(copy)


def test_a_saved_clip_opens_and_verifies_clean(saved) -> None:
    path, clip = saved
    opened = open_bundle(path)
    assert opened.verify() == []
    assert opened.manifest == clip.manifest  # what the outputs were handed is what the file says
    assert (path / MANIFEST_FILE).read_text() == opened.manifest.to_json()
    assert sorted(opened.manifest.files) == sorted(BUNDLE_FILES)
    assert opened.video_path == path / VIDEO_FILE and opened.actions_path == path / ACTIONS_FILE
    assert (
        opened.events_path == path / EVENTS_FILE
        and opened.action_map_path == path / ACTION_MAP_FILE
    )
    table = pq.read_table(opened.actions_path)
    assert table.num_rows == opened.manifest.video.frames
    assert tuple(table.column_names) == opened.manifest.track.columns
    assert table.column_names[:6] == list(col.FRAME_COLUMNS)
    assert opened.manifest.action_map.ref == MAP.ref and opened.manifest.game.id == MAP.id


def test_a_flipped_byte_is_named(bundle: Bundle) -> None:
    data = bytearray(bundle.video_path.read_bytes())
    data[len(data) // 2] ^= 0x01
    bundle.video_path.write_bytes(bytes(data))
    assert bundle.verify() == [f"{VIDEO_FILE}: sha256 differs from the manifest"]


def test_a_missing_file_is_named(bundle: Bundle) -> None:
    assert bundle.events_path is not None
    bundle.events_path.unlink()
    assert bundle.verify() == [f"{EVENTS_FILE}: missing"]


def test_a_wrong_map_pin_is_named(bundle: Bundle) -> None:
    pin = bundle.manifest.action_map
    assert pin is not None
    rewrite_manifest(bundle.path, bundle.manifest, action_map=replace(pin, sha256="0" * 64))
    assert open_bundle(bundle.path).verify() == [
        f"{ACTION_MAP_FILE}: does not hash to the pinned map {pin.ref}"
    ]


def test_a_truncated_track_is_named(bundle: Bundle) -> None:
    assert bundle.actions_path is not None
    data = bundle.actions_path.read_bytes()
    bundle.actions_path.write_bytes(data[: len(data) // 2])
    problems = bundle.verify()
    assert problems[0] == f"{ACTIONS_FILE}: {len(data) // 2} bytes, the manifest says {len(data)}"
    assert problems[1].startswith(f"{ACTIONS_FILE}: cannot be read as Parquet (")
    assert len(problems) == 2


def test_rows_that_do_not_match_the_frames_are_named(bundle: Bundle) -> None:
    m = bundle.manifest
    rewrite_manifest(bundle.path, m, video=replace(m.video, frames=m.video.frames + 1))
    rows = m.video.frames
    assert open_bundle(bundle.path).verify() == [
        f"{ACTIONS_FILE}: {rows} rows, the video has {rows + 1} frames"
    ]


def test_a_file_grown_after_saving_and_an_unlisted_track_are_named(bundle: Bundle) -> None:
    with open(bundle.video_path, "ab") as fh:
        fh.write(b"\x00")
    m = bundle.manifest
    files = {k: v for k, v in m.files.items() if k != ACTIONS_FILE}
    rewrite_manifest(bundle.path, m, files=files)
    size = bundle.video_path.stat().st_size
    assert open_bundle(bundle.path).verify() == [
        f"{VIDEO_FILE}: {size} bytes, the manifest says {size - 1}",
        f"{ACTIONS_FILE}: the action track is not listed in files",
    ]


def test_a_folder_that_is_not_a_clip_is_one_clear_error(tmp_path: Path) -> None:
    with pytest.raises(BundleError, match=f"not a Hindsight clip \\(no {MANIFEST_FILE}\\)"):
        open_bundle(tmp_path)
    (tmp_path / MANIFEST_FILE).write_text('{"format": "hindsight.clip", "version": 1}')
    with pytest.raises(
        BundleError, match="cannot be read as a clip manifest: manifest.clip_id: missing"
    ):
        open_bundle(tmp_path)
