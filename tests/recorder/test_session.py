"""The recording session in-process with the fake source: save semantics, fallbacks, bad disks."""

from __future__ import annotations

import subprocess
import time
from itertools import pairwise
from pathlib import Path

import pytest

from hindsight.bundle import VIDEO_FILE
from hindsight.clock import NS_PER_S, now_ns
from hindsight.recorder.errors import CaptureError, DiskFullError, EncoderError, ExportError
from hindsight.recorder.export.bundle_writer import sweep_partial_bundles
from hindsight.recorder.export.mediainfo import read_media_facts
from hindsight.recorder.session import RecordingSession
from hindsight.recorder.video import FakeSource
from tests.recorder.helpers import (
    check_manifest_digests,
    decoded_counters,
    fake_config,
    faulty_factory,
)
from tests.recorder.raw_inputs import raw_input_traces


def wait_for(predicate, timeout_s: float = 10.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        time.sleep(0.05)


def buffered_seconds(session: RecordingSession) -> float:
    return session.ring.stats().seconds


@pytest.fixture
def session(tmp_path: Path):
    s = RecordingSession(fake_config(tmp_path / "clips"))
    s.start()
    yield s
    s.stop()


def test_clip_reads_back_as_the_manifest_says(session: RecordingSession) -> None:
    wait_for(lambda: buffered_seconds(session) >= 3.5)
    t_req = now_ns()
    clip = session.save(3, t_req).wait(20)
    manifest = check_manifest_digests(clip.path)
    facts = read_media_facts(clip.video_path, decode=True)
    video = manifest.video
    assert manifest == clip.manifest  # what the recorder handed its outputs is what the file says
    assert facts.first_is_keyframe
    assert facts.cfr and facts.fps == 30
    assert facts.frames == video.frames
    assert abs(facts.duration_s - video.duration_s) < 1e-6
    # 3 s cut back to the keyframe at or before the start: at most one GOP (1 s) more.
    assert 3.0 <= video.duration_s <= 4.1
    assert manifest.clip_id == clip.clip_id and manifest.privacy.raw_inputs_stored is False
    assert sorted(manifest.files) == [VIDEO_FILE]
    assert raw_input_traces(clip.path) == []  # the folder holds what the flag says
    assert manifest.capture is not None and manifest.capture.source
    # The moment of the request is in the clip, the start is at or before t_req - 3 s.
    assert manifest.clock.last_frame_t_ns >= t_req
    assert manifest.clock.first_frame_t_ns <= t_req - 3 * NS_PER_S
    # Each decoded frame is the next grab (or a flagged repeat): nothing reordered or lost.
    counters = decoded_counters(clip.video_path)
    steps = [b - a for a, b in pairwise(counters)]
    assert all(s in (0, 1) for s in steps)
    assert steps.count(0) == video.dup_frames
    assert clip.path.name.startswith("Desktop ")
    # The status splits the save's time: the frame of the press, the sound, the writing.
    saves = session.status().saves
    assert saves.last_save_split_ms is not None and saves.last_save_ms is not None
    assert sorted(saves.last_save_split_ms) == ["frame", "sound", "write"]
    assert sum(saves.last_save_split_ms.values()) == pytest.approx(saves.last_save_ms, abs=0.2)


def test_presses_during_a_save_merge_into_one(session: RecordingSession) -> None:
    wait_for(lambda: buffered_seconds(session) >= 2.5)
    first = session.save(2)
    second = session.save(2)
    third = session.save(1)
    assert first is second is third and first.merged == 2
    clip = first.wait(20)
    assert [p for p in clip.path.parent.iterdir()] == [clip.path]


def test_overlapping_clips_and_last_n_up_to_the_buffer(tmp_path: Path) -> None:
    config = fake_config(tmp_path / "clips", buffer_seconds=4, clip_seconds=4)
    with RecordingSession(config) as session:
        wait_for(lambda: buffered_seconds(session) >= 4.2)
        a = session.save(4).wait(20)
        b = session.save(2).wait(20)
        assert a.path != b.path
        assert a.manifest.video.duration_s >= 4.0  # the whole buffer is savable
        # Clips overlap: b's first frame lies inside a.
        assert b.manifest.clock.first_frame_t_ns < a.manifest.clock.last_frame_t_ns
        with pytest.raises(ExportError, match="must be 1..4"):
            session.save(5)


def test_encoder_that_cannot_open_is_skipped(tmp_path: Path) -> None:
    session = RecordingSession(
        fake_config(tmp_path / "c"),
        encoder_factory=faulty_factory,
        encoder_candidates=("broken_hw", "libx264"),
    )
    with session:
        encoder = session.status().encoder
        assert encoder.name == "libx264"
        assert "simulated missing driver" in encoder.rejected["broken_hw"]


def test_forced_encoder_that_fails_is_one_clear_error(tmp_path: Path) -> None:
    config = fake_config(tmp_path / "c")
    config = type(config)(
        **{**config.__dict__, "encoder": type(config.encoder)(encoder="h264_nvenc")}
    )
    with pytest.raises(EncoderError, match=r"h264_nvenc.*try --encoder auto"):
        RecordingSession(config).start()


def test_encoder_dying_mid_run_falls_back_and_keeps_the_buffer(tmp_path: Path) -> None:
    session = RecordingSession(
        fake_config(tmp_path / "c", buffer_seconds=10),
        encoder_factory=faulty_factory,
        encoder_candidates=("flaky_hw", "libx264"),
    )
    with session:
        assert session.status().encoder.name == "flaky_hw"
        oldest = None
        wait_for(lambda: session.status().encoder.fallbacks == 1)
        oldest = session.ring.stats().oldest_t_ns
        wait_for(lambda: buffered_seconds(session) >= 3.5)
        status = session.status()
        assert status.encoder.name == "libx264" and status.state == "recording"
        assert session.ring.stats().oldest_t_ns == oldest  # nothing thrown away at the switch
        clip = session.save(3).wait(30)
    video = clip.manifest.video
    facts = read_media_facts(clip.video_path, decode=True)
    assert video.transcoded is True and video.encoder == "libx264"
    assert facts.first_is_keyframe and facts.cfr and facts.frames == video.frames
    counters = decoded_counters(clip.video_path)
    assert (
        counters[0] <= 2
    )  # the clip reaches back before the switch (frame 45 of the first encoder)
    assert all(b - a in (0, 1) for a, b in pairwise(counters))


def test_an_encoder_too_slow_for_the_frame_rate_is_not_fed_frames_it_would_drop(
    tmp_path: Path,
) -> None:
    """Frames the encoder has no room for are not grabbed (their CPU is what it lacks)."""
    config = fake_config(tmp_path / "c", fps=30)
    source = FakeSource(config.capture)
    session = RecordingSession(
        config, source=source, encoder_factory=faulty_factory, encoder_candidates=("slow",)
    )
    with session:
        wait_for(lambda: session.status().capture.queue_drops >= 30)
        clip = session.save(1).wait(30)
        capture = session.status().capture
    # 50 ms a frame: about 20 of 30 slots a second are encoded, the rest become repeats.
    # Grabbed frames are the ones handed on, plus at most the one in hand when the queue
    # filled up (and the first: one grab starts the pacer).
    assert source.frames_grabbed <= capture.frames_captured + 2
    assert capture.dup_frames > 0
    facts = read_media_facts(clip.video_path, decode=True)
    assert facts.cfr and facts.frames == clip.manifest.video.frames
    steps = [b - a for a, b in pairwise(decoded_counters(clip.video_path))]
    assert all(s in (0, 1) for s in steps)  # repeats, never a frame out of order


def test_dying_capture_source_stops_with_a_clear_error(tmp_path: Path) -> None:
    config = fake_config(tmp_path / "c")
    source = FakeSource(config.capture, fail_after=20)
    session = RecordingSession(config, source=source)
    session.start()
    try:
        assert session.wait(10), "session should stop by itself"
        assert isinstance(session.error, CaptureError)
        assert session.status().state == "failed"
        with pytest.raises(CaptureError):
            session.save(1)
    finally:
        session.stop()


def test_clips_dir_that_cannot_be_made_is_refused(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(ExportError, match="clips folder .* cannot be created"):
        RecordingSession(fake_config(blocker / "clips")).start()


def _mount_tmpfs(path: Path, size: str, readonly: bool = False) -> None:
    # CI runs as root: a mount that fails is a failure, never a skip.
    path.mkdir(parents=True, exist_ok=True)
    opts = f"size={size}" + (",ro" if readonly else "")
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", opts, "tmpfs", str(path)], capture_output=True, text=True
    )
    assert done.returncode == 0, f"cannot mount a tmpfs at {path} (needs root): {done.stderr}"


def test_read_only_clips_dir_is_refused(tmp_path: Path) -> None:
    mnt = tmp_path / "ro"
    _mount_tmpfs(mnt, "1m", readonly=True)
    try:
        with pytest.raises(ExportError, match="not writable"):
            RecordingSession(fake_config(mnt)).start()
    finally:
        subprocess.run(["umount", str(mnt)], check=True)


def test_full_disk_fails_one_save_and_the_next_works(tmp_path: Path) -> None:
    mnt = tmp_path / "small"
    _mount_tmpfs(mnt, "400k")
    try:
        with RecordingSession(
            fake_config(mnt, size=(640, 480), buffer_seconds=6, clip_seconds=5)
        ) as session:
            ballast = mnt / "ballast"
            ballast.write_bytes(b"\0" * 300_000)
            wait_for(lambda: buffered_seconds(session) >= 5.5)
            with pytest.raises(DiskFullError, match="is full"):
                session.save(5).wait(20)
            assert session.status().state == "recording"
            assert [p.name for p in mnt.iterdir()] == ["ballast"]  # no half clip left behind
            ballast.unlink()
            clip = session.save(1).wait(20)
            check_manifest_digests(clip.path)
            assert session.status().saves.failed == 1
    finally:
        subprocess.run(["umount", str(mnt)], check=True)


def test_partial_bundles_are_swept(tmp_path: Path) -> None:
    clips = tmp_path / "clips"
    (clips / ".1234.partial").mkdir(parents=True)
    (clips / ".1234.partial" / VIDEO_FILE).write_bytes(b"half")
    (clips / "Kept 2026-01-01 00-00-00").mkdir()
    assert sweep_partial_bundles(clips) == 1
    assert [p.name for p in clips.iterdir()] == ["Kept 2026-01-01 00-00-00"]
