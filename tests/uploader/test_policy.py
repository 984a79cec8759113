"""What a command or the tray asks for, called directly: withdraw, choose, upload,
delete, repair.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from hindsight.uploader import policy
from hindsight.uploader.config import UploadConfig, UploadTarget
from hindsight.uploader.deletion import PlaceTransports
from hindsight.uploader.errors import (
    ClipNotFound,
    ConsentRequired,
    ServerUnreachable,
    UploaderError,
)
from hindsight.uploader.library import ClipLibrary, RemotePlace
from hindsight.uploader.progress import UploadProgress
from hindsight.uploader.states import ClipState
from hindsight.uploader.transport import (
    MemoryTransport,
    forget_memory_buckets,
    memory_bucket,
    sha256_b64,
)
from hindsight.uploader.worker import UploadRunner, make_owner
from tests.uploader.bundles import make_bundle
from tests.uploader.s3server import SeaweedServer

MiB = 2**20


@pytest.fixture
def library(tmp_path: Path):
    lib = ClipLibrary.open(f"sqlite:///{tmp_path / 'lib.db'}")
    lib.record_consent("clips", True)
    yield lib
    lib.close()


def settings_for(tmp_path: Path, target: UploadTarget | None = None) -> Path:
    """A settings file naming this test's library, clips folder and (optionally) bucket."""
    path = tmp_path / "settings.toml"
    text = (
        f'[library]\nurl = "sqlite:///{tmp_path / "lib.db"}"\n'
        f'[record]\nclips_dir = "{tmp_path / "clips"}"\n'
    )
    if target is not None:
        text += (
            f'[upload]\nbucket = "{target.bucket}"\nendpoint_url = "{target.endpoint_url}"\n'
            f'prefix = "{target.prefix}"\n'
        )
    path.write_text(text)
    return path


def put(transport: MemoryTransport, key: str, data: bytes = b"partial") -> None:
    transport.put_object(
        key, data, content_type="video/mp4", metadata={}, sha256_b64=sha256_b64(data)
    )


def stopped_after_first_part(library: ClipLibrary, config: UploadConfig, clip_id: str) -> None:
    """Start uploading ``clip_id`` and stop after its first part, the way a closed recorder does."""
    runner: UploadRunner

    def stop_after_first_part(n: int) -> None:
        runner.stop()

    runner = UploadRunner(library, config, on_bytes=stop_after_first_part)
    [outcome] = runner.run_until_idle([clip_id])
    assert outcome.error == "uploader stopped"


def test_withdrawing_stops_a_queued_upload_and_removes_its_partial_data(
    seaweed: SeaweedServer, s3_target: UploadTarget, tmp_path: Path, library: ClipLibrary
) -> None:
    settings = settings_for(tmp_path, s3_target)
    clip = library.register(make_bundle(tmp_path / "clips", video_bytes=12 * MiB))
    config = UploadConfig(target=s3_target, part_size_bytes=5 * MiB, concurrency=1)
    library.queue(clip.id)
    stopped_after_first_part(library, config, clip.id)
    library.queue(clip.id)  # queued again, waiting to resume: partial data in the bucket
    client = seaweed.client()
    assert client.list_multipart_uploads(Bucket=s3_target.bucket).get("Uploads")

    withdrawal = policy.withdraw_consent(library, "clips", settings_file=settings)

    assert (withdrawal.stopped, withdrawal.cleaned, withdrawal.left_behind) == (1, 1, ())
    assert not withdrawal.consent.granted and not library.consent("clips").current
    after = library.get(clip.id)
    assert (after.state, after.reason, after.remote) == (ClipState.LOCAL, "consent withdrawn", None)
    assert UploadProgress(library).files(clip.id) == []
    assert client.list_multipart_uploads(Bucket=s3_target.bucket).get("Uploads", []) == []
    assert client.list_objects_v2(Bucket=s3_target.bucket).get("KeyCount") == 0
    with pytest.raises(ConsentRequired):
        policy.choose_upload(library, [clip.id])
    assert library.get(clip.id).state == ClipState.LOCAL


def test_withdrawing_leaves_an_upload_running_elsewhere_to_its_uploader(
    library: ClipLibrary, tmp_path: Path
) -> None:
    clip = library.register(make_bundle(tmp_path / "clips", video_bytes=1000))
    library.queue(clip.id)
    assert library.claim(make_owner(), 30, clip_ids=[clip.id]) is not None  # a live uploader: us
    place = RemotePlace(None, "hs-test", f"clips/x/{clip.id}")
    library.set_remote(clip.id, place)
    transport = MemoryTransport("hs-test")
    put(transport, f"{place.key_prefix}/video.mp4")

    withdrawal = policy.withdraw_consent(library, "clips", transport_for=lambda p: transport)

    assert (withdrawal.stopped, withdrawal.cleaned) == (1, 0)
    assert library.get(clip.id).state == ClipState.LOCAL  # its uploader sees this and stops
    # Removing the objects is that uploader's job: it may still be sending them.
    assert transport.list_keys("") == [f"{place.key_prefix}/video.mp4"]


class DownTransport(MemoryTransport):
    def list_multipart_uploads(self, prefix: str) -> list[tuple[str, str]]:
        raise ServerUnreachable("the server did not answer")


def test_a_server_that_is_down_leaves_partial_data_for_the_next_withdrawal(
    library: ClipLibrary, tmp_path: Path
) -> None:
    clip = library.register(make_bundle(tmp_path / "clips", video_bytes=1000))
    library.queue(clip.id)
    place = RemotePlace(None, "hs-test", f"clips/x/{clip.id}")
    library.set_remote(clip.id, place)
    up = MemoryTransport("hs-test")
    put(up, f"{place.key_prefix}/video.mp4")

    first = policy.withdraw_consent(
        library, "clips", transport_for=lambda p: DownTransport("hs-test")
    )
    assert first.stopped == 1 and first.cleaned == 0
    assert len(first.left_behind) == 1 and "did not answer" in first.left_behind[0]
    assert library.get(clip.id).remote == place  # still known, so it can be removed later

    second = policy.withdraw_consent(library, "clips", transport_for=lambda p: up)
    assert (second.stopped, second.cleaned, second.left_behind) == (0, 1, ())
    assert up.list_keys("") == [] and library.get(clip.id).remote is None


def test_withdrawing_dataset_consent_leaves_uploads_alone(
    library: ClipLibrary, tmp_path: Path
) -> None:
    library.record_consent("dataset", True)
    clip = library.register(make_bundle(tmp_path / "clips", video_bytes=1000))
    library.queue(clip.id)
    withdrawal = policy.withdraw_consent(
        library, "dataset", transport_for=lambda p: pytest.fail("no")
    )
    assert withdrawal.stopped == 0 and not library.consent("dataset").granted
    assert library.get(clip.id).state == ClipState.QUEUED and library.consent("clips").current
    assert policy.grant_consent(library, "dataset").granted and library.consent("dataset").current


def test_choose_upload_queues_the_clips_named_and_reports_finished_ones(
    library: ClipLibrary, tmp_path: Path
) -> None:
    local, failed, done, other = (
        library.register(make_bundle(tmp_path / "clips", video_bytes=1000 + i)) for i in range(4)
    )
    library.queue(failed.id)
    library.claim("someone", 30, clip_ids=[failed.id])
    library.mark_failed(failed.id, "someone", "server down", None)
    library.mark_uploaded(done.id)

    with pytest.raises(ClipNotFound):
        policy.choose_upload(library, [local.id[:8], "zzzzzzzz"])
    assert library.get(local.id).state == ClipState.LOCAL  # nothing queued by a refused request

    choice = policy.choose_upload(
        library, [local.id[:8], str(tmp_path / "clips" / done.path.name), failed.id]
    )
    assert set(choice.clip_ids or ()) == {local.id, failed.id}
    assert [c.id for c in choice.finished] == [done.id]
    assert {c.id for c in choice.pending} == {local.id, failed.id}
    assert choice.bytes == local.bytes + failed.bytes
    assert library.get(local.id).state == library.get(failed.id).state == ClipState.QUEUED
    assert library.get(other.id).state == ClipState.LOCAL  # not named, not taken

    only_done = policy.choose_upload(library, [done.id])
    assert only_done.nothing_named_to_do and only_done.pending == ()

    everything = policy.choose_upload(library, all_clips=True)
    assert set(everything.clip_ids or ()) == {local.id, failed.id, other.id}
    assert everything.finished == ()

    queued_only = policy.choose_upload(library)
    assert queued_only.clip_ids is None and {c.id for c in queued_only.pending} == set(
        everything.clip_ids or ()
    )


def test_choose_upload_without_consent_queues_nothing(library: ClipLibrary, tmp_path: Path) -> None:
    library.record_consent("clips", False)
    clip = library.register(make_bundle(tmp_path / "clips", video_bytes=1000))
    with pytest.raises(ConsentRequired):
        policy.choose_upload(library, all_clips=True)
    assert library.get(clip.id).state == ClipState.LOCAL


def test_run_upload_sends_the_choice_and_finishes_deletes_left_behind(
    library: ClipLibrary, tmp_path: Path, monkeypatch
) -> None:
    monkeypatch.setenv("HINDSIGHT_TRANSPORT", "memory")
    forget_memory_buckets()
    config = UploadConfig(target=UploadTarget(bucket="hs-run", prefix="clips"))
    gone = library.register(make_bundle(tmp_path / "clips", video_bytes=1000))
    assert policy.run_upload(library, config, policy.choose_upload(library, [gone.id]))[0].ok
    library.mark_deleted(gone.id, remote_pending=True)  # `clips delete` while the server was down
    keep, later = (
        library.register(make_bundle(tmp_path / "clips", video_bytes=2000)) for _ in range(2)
    )

    outcomes = policy.run_upload(library, config, policy.choose_upload(library, [keep.id]))

    assert [(o.clip.id, o.ok) for o in outcomes] == [(keep.id, True)]
    keys = memory_bucket("hs-run").list_keys("")
    assert keys and all(keep.id in k for k in keys)  # the deleted clip's copy is gone
    assert not library.get(gone.id).remote_delete_pending
    assert library.get(later.id).state == ClipState.LOCAL
    assert policy.run_upload(library, config, policy.choose_upload(library, [keep.id])) == []


def test_delete_clips_here_and_in_the_bucket(library: ClipLibrary, tmp_path: Path) -> None:
    transport = MemoryTransport("hs-del")
    config = UploadConfig(target=UploadTarget(bucket="hs-del", prefix="clips"))
    both, local_only = (
        library.register(make_bundle(tmp_path / "clips", video_bytes=1000)) for _ in range(2)
    )
    for clip in (both, local_only):
        library.queue(clip.id)
    UploadRunner(library, config, transport=transport).run_until_idle()
    transports = PlaceTransports(config.target, factory=lambda target: transport)

    [outcome] = policy.delete_clips(library, [library.get(both.id)], transport_for=transports)
    assert (
        outcome.local_deleted
        and outcome.remote_objects_deleted == 4
        and not outcome.already_deleted
    )
    assert not both.path.exists() and library.get(both.id).state == ClipState.DELETED
    [kept] = policy.delete_clips(
        library, [library.get(local_only.id)], local_only=True, transport_for=transports
    )
    assert kept.remote_objects_deleted == 0 and len(transport.list_keys("")) == 4
    [again] = policy.delete_clips(library, [library.get(both.id)], transport_for=transports)
    assert again.already_deleted and not again.local_deleted


def test_repair_sets_the_damaged_database_aside_and_rebuilds_from_the_clips_folder(
    tmp_path: Path,
) -> None:
    settings = settings_for(tmp_path)
    folders = [make_bundle(tmp_path / "clips", video_bytes=1000) for _ in range(2)]
    database = tmp_path / "lib.db"
    database.write_bytes(b"\x00not sqlite" * 500)
    (tmp_path / "lib.db-wal").write_bytes(b"junk")

    repair = policy.repair_library(settings)

    assert repair.database == database and repair.clips_dir == tmp_path / "clips"
    assert repair.set_aside is not None and repair.set_aside.read_bytes().startswith(
        b"\x00not sqlite"
    )
    assert repair.set_aside.with_name(repair.set_aside.name + "-wal").read_bytes() == b"junk"
    assert {c.path for c in repair.added} == {f.resolve() for f in folders}
    sqlite3.connect(database).execute(
        "select count(*) from clips"
    ).fetchone()  # a real database again
    library = policy.open_library(settings)
    try:
        assert {c.path for c in library.clips()} == {f.resolve() for f in folders}
        assert policy.sync_library(library, settings) == []  # nothing new in the folder
    finally:
        library.close()


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("postgresql://db.example/hindsight", "the clip library is a SQLite file"),
        ("sqlite://", "this library is in memory"),
    ],
)
def test_repair_refuses_a_library_that_is_not_a_file(tmp_path: Path, url: str, says: str) -> None:
    settings = tmp_path / "settings.toml"
    settings.write_text(f'[library]\nurl = "{url}"\n')
    with pytest.raises(UploaderError, match=says):
        policy.repair_library(settings)


def test_clip_folder_names_a_folder_that_is_gone(library: ClipLibrary, tmp_path: Path) -> None:
    folder = make_bundle(tmp_path / "clips", video_bytes=1000)
    clip = library.register(folder)
    assert policy.clip_folder(library, clip.id[:8]) == folder.resolve()
    for child in folder.iterdir():
        child.unlink()
    folder.rmdir()
    with pytest.raises(UploaderError, match="is gone"):
        policy.clip_folder(library, clip.id)
