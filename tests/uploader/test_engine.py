"""Uploading one clip against the in-memory transport: order, resume, integrity,
opt-ins, recovery.
"""

from __future__ import annotations

import hashlib
import time
from pathlib import Path

import pytest

from hindsight.bundle import (
    ACTION_MAP_FILE,
    ACTIONS_FILE,
    EVENTS_FILE,
    MANIFEST_FILE,
    VIDEO_FILE,
    Manifest,
)
from hindsight.uploader.config import UploadConfig, UploadTarget
from hindsight.uploader.engine import ClipChanged, ClipFolderMissing, ClipUploader
from hindsight.uploader.errors import ServerUnreachable
from hindsight.uploader.library import ClipLibrary, ClipRecord, RemotePlace
from hindsight.uploader.ratelimit import RateLimiter
from hindsight.uploader.transport import MemoryTransport
from tests.uploader.bundles import make_bundle

MiB = 2**20


class CrashAt(Exception):
    """Stands in for the process dying at a chosen request."""


class RecordingTransport(MemoryTransport):
    """Remembers when each object became visible and which parts were sent; can die at
    the Nth part.
    """

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.visible: list[str] = []
        self.parts_sent: list[tuple[str, int]] = []
        self.die_at_part: int | None = None

    def upload_part(self, key, upload_id, part_number, data, **kwargs):  # type: ignore[no-untyped-def]
        if self.die_at_part is not None and len(self.parts_sent) + 1 == self.die_at_part:
            raise CrashAt(f"killed before part {part_number}")
        etag = super().upload_part(key, upload_id, part_number, data, **kwargs)
        self.parts_sent.append((key.rsplit("/", 1)[-1], part_number))
        return etag

    def put_object(self, key, data, **kwargs):  # type: ignore[no-untyped-def]
        super().put_object(key, data, **kwargs)
        self.visible.append(key.rsplit("/", 1)[-1])

    def complete_multipart(self, key, upload_id, parts):  # type: ignore[no-untyped-def]
        super().complete_multipart(key, upload_id, parts)
        self.visible.append(key.rsplit("/", 1)[-1])


@pytest.fixture
def library(tmp_path: Path):
    lib = ClipLibrary.open(f"sqlite:///{tmp_path / 'lib.db'}")
    yield lib
    lib.close()


def config(**kw) -> UploadConfig:  # type: ignore[no-untyped-def]
    kw.setdefault("part_size_bytes", 5 * MiB)
    kw.setdefault("concurrency", 1)
    return UploadConfig(target=UploadTarget(bucket="hs-test", prefix="clips"), **kw)


def test_a_clip_arrives_whole_with_types_hashes_and_the_manifest_last(
    library: ClipLibrary, tmp_path: Path
) -> None:
    folder = make_bundle(tmp_path / "clips", video_bytes=12 * MiB + 123)
    clip = library.register(folder)
    transport = RecordingTransport("hs-test")
    report = ClipUploader(
        library, transport, config(concurrency=3), metadata={"contributor": "c-1"}
    ).upload(clip)
    prefix = f"clips/valve.counter-strike-2/{clip.id}"
    assert report.key_prefix == prefix
    assert sorted(transport.list_keys(prefix + "/")) == sorted(
        f"{prefix}/{n}" for n in (VIDEO_FILE, ACTIONS_FILE, ACTION_MAP_FILE, MANIFEST_FILE)
    )
    for name in (VIDEO_FILE, ACTIONS_FILE, ACTION_MAP_FILE, MANIFEST_FILE):
        assert transport.get_object(f"{prefix}/{name}") == (folder / name).read_bytes(), name
        head = transport.head_object(f"{prefix}/{name}")
        assert head.metadata["sha256"] == hashlib.sha256((folder / name).read_bytes()).hexdigest()
        assert head.metadata["contributor"] == "c-1" and head.metadata["clip-id"] == clip.id
    assert transport.head_object(f"{prefix}/{VIDEO_FILE}").content_type == "video/mp4"
    assert (
        transport.head_object(f"{prefix}/{ACTIONS_FILE}").content_type
        == "application/vnd.apache.parquet"
    )
    assert transport.head_object(f"{prefix}/{MANIFEST_FILE}").content_type == "application/json"
    assert transport.visible[-1] == MANIFEST_FILE  # its presence means the clip is complete
    assert transport.visible[0] == VIDEO_FILE
    assert sorted(n for f, n in transport.parts_sent) == [1, 2, 3]
    assert transport.list_multipart_uploads("") == []


def test_events_are_sent_only_on_their_own_opt_in(library: ClipLibrary, tmp_path: Path) -> None:
    clip = library.register(make_bundle(tmp_path / "clips", video_bytes=1000))
    without = MemoryTransport("hs-test")
    ClipUploader(library, without, config()).upload(clip)
    assert not any(k.endswith(EVENTS_FILE) for k in without.list_keys(""))
    other = library.register(make_bundle(tmp_path / "clips2", video_bytes=1000))
    opted = MemoryTransport("hs-test")
    ClipUploader(library, opted, config(include_events=True)).upload(other)
    assert any(k.endswith(EVENTS_FILE) for k in opted.list_keys(""))


def killed_mid_upload(
    library: ClipLibrary, tmp_path: Path, *, video_mib: int, die_at_part: int
) -> tuple[Path, ClipRecord, RecordingTransport]:
    """A clip whose upload died before sending part ``die_at_part``; the same server,
    ready to resume.
    """
    folder = make_bundle(tmp_path / "clips", video_bytes=video_mib * MiB)
    clip = library.register(folder)
    transport = RecordingTransport("hs-test")
    transport.die_at_part = die_at_part
    with pytest.raises(CrashAt):
        ClipUploader(library, transport, config()).upload(clip)
    transport.die_at_part = None
    return folder, library.get(clip.id), transport


def test_a_killed_upload_resumes_without_resending_finished_parts(
    library: ClipLibrary, tmp_path: Path
) -> None:
    folder, clip, transport = killed_mid_upload(library, tmp_path, video_mib=23, die_at_part=4)
    before = list(transport.parts_sent)
    assert before == [(VIDEO_FILE, 1), (VIDEO_FILE, 2), (VIDEO_FILE, 3)]
    report = ClipUploader(library, transport, config()).upload(clip)
    video = report.files[0]
    assert video.parts_reused == [1, 2, 3] and video.parts_sent == [4, 5]
    assert transport.parts_sent[3:] == [(VIDEO_FILE, 4), (VIDEO_FILE, 5)]
    key = f"{report.key_prefix}/{VIDEO_FILE}"
    assert transport.get_object(key) == (folder / VIDEO_FILE).read_bytes()
    assert transport.list_keys(report.key_prefix + "/").count(key) == 1


def test_a_part_the_server_took_but_we_never_recorded_is_not_sent_again(
    library: ClipLibrary, tmp_path: Path
) -> None:
    folder, clip, transport = killed_mid_upload(library, tmp_path, video_mib=11, die_at_part=2)
    # The server confirms part 2, then the process dies before writing it down.
    from hindsight.uploader.progress import UploadProgress
    from hindsight.uploader.transport import sha256_b64

    video = UploadProgress(library).files(clip.id)[0]
    data = (folder / VIDEO_FILE).read_bytes()[5 * MiB : 10 * MiB]
    MemoryTransport.upload_part(
        transport, video.spec.key, video.upload_id, 2, data, sha256_b64=sha256_b64(data)
    )
    report = ClipUploader(library, transport, config()).upload(clip)
    assert report.files[0].parts_reused == [1, 2] and report.files[0].parts_sent == [3]
    assert transport.get_object(video.spec.key) == (folder / VIDEO_FILE).read_bytes()


def test_killed_after_completing_but_before_recording_it(
    library: ClipLibrary, tmp_path: Path
) -> None:
    folder = make_bundle(tmp_path / "clips", video_bytes=11 * MiB)
    clip = library.register(folder)

    class DiesAfterComplete(RecordingTransport):
        def complete_multipart(self, key, upload_id, parts):  # type: ignore[no-untyped-def]
            super().complete_multipart(key, upload_id, parts)
            raise CrashAt("killed right after the complete request")

    transport = DiesAfterComplete("hs-test")
    with pytest.raises(CrashAt):
        ClipUploader(library, transport, config()).upload(clip)
    sent = len(transport.parts_sent)
    transport.__class__ = RecordingTransport  # the same server, seen by the next process
    report = ClipUploader(library, transport, config()).upload(library.get(clip.id))
    assert report.files[0].skipped and len(transport.parts_sent) == sent
    assert (
        transport.get_object(f"{report.key_prefix}/{VIDEO_FILE}")
        == (folder / VIDEO_FILE).read_bytes()
    )


def test_an_upload_the_server_forgot_starts_over(library: ClipLibrary, tmp_path: Path) -> None:
    folder, clip, transport = killed_mid_upload(library, tmp_path, video_mib=11, die_at_part=2)
    for key, upload_id in transport.list_multipart_uploads(""):
        transport.abort_multipart(key, upload_id)  # expired by a bucket lifecycle rule
    report = ClipUploader(library, transport, config()).upload(clip)
    assert report.files[0].parts_sent == [1, 2, 3]
    assert (
        transport.get_object(f"{report.key_prefix}/{VIDEO_FILE}")
        == (folder / VIDEO_FILE).read_bytes()
    )


def test_a_video_changed_after_saving_is_never_published(
    library: ClipLibrary, tmp_path: Path
) -> None:
    folder = make_bundle(tmp_path / "clips", video_bytes=11 * MiB)
    clip = library.register(folder)
    video = folder / VIDEO_FILE
    data = bytearray(video.read_bytes())
    data[7 * MiB] ^= 0xFF  # same size, one byte different
    video.write_bytes(bytes(data))
    transport = MemoryTransport("hs-test")
    with pytest.raises(ClipChanged, match="changed since it was saved"):
        ClipUploader(library, transport, config()).upload(clip)
    assert transport.list_keys("") == [] and transport.list_multipart_uploads("") == []


def test_a_missing_folder_or_file_is_named(library: ClipLibrary, tmp_path: Path) -> None:
    folder = make_bundle(tmp_path / "clips", video_bytes=1000)
    clip = library.register(folder)
    (folder / ACTIONS_FILE).unlink()
    with pytest.raises(ClipFolderMissing, match=f"{ACTIONS_FILE} is gone"):
        ClipUploader(library, MemoryTransport("hs-test"), config()).upload(clip)
    import shutil

    shutil.rmtree(folder)
    with pytest.raises(ClipFolderMissing, match="is gone"):
        ClipUploader(library, MemoryTransport("hs-test"), config()).upload(clip)


def test_a_rebuilt_library_recognises_what_is_already_uploaded(tmp_path: Path) -> None:
    folder = make_bundle(tmp_path / "clips", video_bytes=6 * MiB)
    transport = RecordingTransport("hs-test")
    first = ClipLibrary.open(f"sqlite:///{tmp_path / 'a.db'}")
    ClipUploader(first, transport, config()).upload(first.register(folder))
    first.close()
    sent = (list(transport.parts_sent), list(transport.visible))
    rebuilt = ClipLibrary.open(f"sqlite:///{tmp_path / 'b.db'}")
    report = ClipUploader(rebuilt, transport, config()).upload(rebuilt.register(folder))
    rebuilt.close()
    assert all(f.skipped for f in report.files) and report.bytes_sent == 0
    assert (transport.parts_sent, transport.visible) == sent


def test_stray_multipart_uploads_under_the_clip_are_aborted(
    library: ClipLibrary, tmp_path: Path
) -> None:
    clip = library.register(make_bundle(tmp_path / "clips", video_bytes=1000))
    transport = MemoryTransport("hs-test")
    stray = f"clips/valve.counter-strike-2/{clip.id}/{VIDEO_FILE}"
    # An earlier attempt created it and died before the id was written down.
    library.set_remote(clip.id, RemotePlace(None, "hs-test", stray.rsplit("/", 1)[0]))
    transport.create_multipart(stray, content_type="video/mp4", metadata={})
    ClipUploader(library, transport, config()).upload(library.get(clip.id))
    assert transport.list_multipart_uploads("") == []


def test_the_bandwidth_cap_holds_across_parallel_parts(
    library: ClipLibrary, tmp_path: Path
) -> None:
    clip = library.register(make_bundle(tmp_path / "clips", video_bytes=12 * MiB))
    limiter = RateLimiter(8 * MiB)
    started = time.monotonic()
    ClipUploader(
        library, MemoryTransport("hs-test"), config(concurrency=4), limiter=limiter
    ).upload(clip)
    elapsed = time.monotonic() - started
    assert elapsed >= 12 / 8 * 0.85, elapsed


def test_a_transport_failure_leaves_progress_to_resume(
    library: ClipLibrary, tmp_path: Path
) -> None:
    folder = make_bundle(tmp_path / "clips", video_bytes=11 * MiB)
    clip = library.register(folder)
    transport = RecordingTransport("hs-test")
    transport.fail_next("upload_part", ServerUnreachable("down"), times=1)
    with pytest.raises(ServerUnreachable):
        ClipUploader(library, transport, config()).upload(clip)
    report = ClipUploader(library, transport, config()).upload(library.get(clip.id))
    assert (
        transport.get_object(f"{report.key_prefix}/{VIDEO_FILE}")
        == (folder / VIDEO_FILE).read_bytes()
    )
    manifest = Manifest.from_json(transport.get_object(f"{report.key_prefix}/{MANIFEST_FILE}"))
    assert manifest.clip_id == clip.id
