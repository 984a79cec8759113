"""The upload queue runner: consent, backoff and retries, target errors, withdrawal, the
background loop.
"""

from __future__ import annotations

import random
import shutil
import threading
import time
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hindsight.uploader.config import UploadConfig, UploadTarget
from hindsight.uploader.errors import ConsentRequired, CredentialsRejected, ServerUnreachable
from hindsight.uploader.library import ClipLibrary, now_ms
from hindsight.uploader.transport import MemoryTransport
from hindsight.uploader.worker import UploadRunner, backoff_delay_s
from tests.uploader.bundles import make_bundle

MiB = 2**20


@pytest.fixture
def library(tmp_path: Path):
    lib = ClipLibrary.open(f"sqlite:///{tmp_path / 'lib.db'}")
    lib.record_consent("clips", True)
    yield lib
    lib.close()


def config(**kw) -> UploadConfig:  # type: ignore[no-untyped-def]
    kw.setdefault("part_size_bytes", 5 * MiB)
    return UploadConfig(target=UploadTarget(bucket="hs-test", prefix="clips"), **kw)


def queued(library: ClipLibrary, folder: Path) -> str:
    clip = library.register(folder)
    library.queue(clip.id)
    return clip.id


@given(
    attempts=st.integers(0, 100),
    base=st.floats(0.01, 100),
    extra=st.floats(0, 10_000),
    seed=st.integers(),
)
def test_backoff_grows_exponentially_within_jitter_and_the_cap(
    attempts: int, base: float, extra: float, seed: int
) -> None:
    cap_s = base + extra
    delay = backoff_delay_s(attempts, base, cap_s, random.Random(seed))
    expected_cap = min(cap_s, base * 2**attempts)
    assert expected_cap / 2 <= delay <= expected_cap


def test_without_consent_nothing_leaves(library: ClipLibrary, tmp_path: Path) -> None:
    library.record_consent("clips", False)
    queued(library, make_bundle(tmp_path / "clips", video_bytes=1000))
    transport = MemoryTransport("hs-test")
    with pytest.raises(ConsentRequired, match="hindsight consent grant clips"):
        UploadRunner(library, config(), transport=transport).run_until_idle()
    assert sum(transport.requests.values()) == 0 and transport.bytes_received == 0


def test_a_failure_is_recorded_with_its_reason_and_retried_after_backoff(
    library: ClipLibrary, tmp_path: Path
) -> None:
    clip_id = queued(library, make_bundle(tmp_path / "clips", video_bytes=1000))
    transport = MemoryTransport("hs-test")
    transport.fail_next("put_object", ServerUnreachable("the server did not answer"), times=1)
    runner = UploadRunner(library, config(retry_base_s=0.2, retry_max_s=1), transport=transport)
    outcomes = runner.run_until_idle()
    clip = library.get(clip_id)
    assert [o.ok for o in outcomes] == [False]
    assert clip.state == "failed" and "did not answer" in clip.reason and clip.attempts == 1
    assert now_ms() < clip.next_retry_ms <= now_ms() + 200
    outcomes = runner.run_until_idle(retry_for_s=5)  # waits out the backoff, then succeeds
    assert [o.ok for o in outcomes] == [True] and library.get(clip_id).state == "uploaded"


def test_a_missing_folder_fails_that_clip_and_the_queue_goes_on(
    library: ClipLibrary, tmp_path: Path
) -> None:
    gone = make_bundle(tmp_path / "clips", video_bytes=1000)
    ids = [queued(library, make_bundle(tmp_path / "clips", video_bytes=1000)) for _ in range(2)]
    gone_id = queued(library, gone)
    shutil.rmtree(gone)
    transport = MemoryTransport("hs-test")
    outcomes = {
        o.clip.id: o for o in UploadRunner(library, config(), transport=transport).run_until_idle()
    }
    assert all(outcomes[i].ok for i in ids)
    assert not outcomes[gone_id].ok and "is gone" in outcomes[gone_id].error
    assert library.get(gone_id).next_retry_ms is None  # retrying cannot bring it back


def test_rejected_credentials_end_the_pass_with_one_clear_error(
    library: ClipLibrary, tmp_path: Path
) -> None:
    for _ in range(3):
        queued(library, make_bundle(tmp_path / "clips", video_bytes=1000))
    transport = MemoryTransport("hs-test")
    transport.fail_next(
        "put_object", CredentialsRejected("the endpoint refused the access key"), times=5
    )
    with pytest.raises(CredentialsRejected):
        UploadRunner(library, config(), transport=transport).run_until_idle()
    states = sorted(c.state for c in library.clips())
    assert states == [
        "failed",
        "queued",
        "queued",
    ]  # the others were not tried against a known-bad target


class SlowTransport(MemoryTransport):
    def __init__(self, *a, delay_s: float = 0.3, **kw) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*a, **kw)
        self.delay_s = delay_s

    def upload_part(self, *a, **kw):  # type: ignore[no-untyped-def]
        time.sleep(self.delay_s)
        return super().upload_part(*a, **kw)


def test_withdrawing_consent_stops_an_upload_under_way_and_removes_its_parts(
    library: ClipLibrary, tmp_path: Path
) -> None:
    clip_id = queued(library, make_bundle(tmp_path / "clips", video_bytes=40 * MiB))
    other = ClipLibrary.open(library.url)  # the `hindsight consent withdraw` process
    transport = SlowTransport("hs-test", delay_s=0.4)
    runner = UploadRunner(library, config(concurrency=1), transport=transport)

    def withdraw() -> None:
        time.sleep(1.2)
        other.record_consent("clips", False)
        other.unqueue_all("consent withdrawn")

    threading.Thread(target=withdraw).start()
    outcomes = runner.run_until_idle()
    assert [o.error for o in outcomes] == ["consent withdrawn"]
    assert library.get(clip_id).state == "local"
    assert transport.list_keys("") == [] and transport.list_multipart_uploads("") == []
    assert transport.requests["upload_part"] < 8  # stopped early, not after all parts


def test_a_clip_deleted_during_its_upload_leaves_nothing_behind(
    library: ClipLibrary, tmp_path: Path
) -> None:
    clip_id = queued(library, make_bundle(tmp_path / "clips", video_bytes=30 * MiB))
    transport = SlowTransport("hs-test", delay_s=0.4)
    runner = UploadRunner(library, config(concurrency=1), transport=transport)

    def delete() -> None:
        time.sleep(1.2)
        library.mark_deleted(clip_id, remote_pending=True)

    threading.Thread(target=delete).start()
    outcomes = runner.run_until_idle()
    assert [o.error for o in outcomes] == ["clip deleted"]
    assert transport.list_keys("") == [] and transport.list_multipart_uploads("") == []


def test_the_background_runner_uploads_what_is_queued_when_woken(
    library: ClipLibrary, tmp_path: Path
) -> None:
    transport = MemoryTransport("hs-test")
    runner = UploadRunner(library, config(), transport=transport)
    runner.start()
    try:
        clip_id = queued(library, make_bundle(tmp_path / "clips", video_bytes=6 * MiB))
        runner.wake()
        deadline = time.monotonic() + 10
        while library.get(clip_id).state != "uploaded" and time.monotonic() < deadline:
            time.sleep(0.05)
        assert library.get(clip_id).state == "uploaded"
    finally:
        runner.stop()
    assert len(transport.list_keys("")) == 4


def test_stopping_the_runner_mid_upload_leaves_it_resumable(
    library: ClipLibrary, tmp_path: Path
) -> None:
    clip_id = queued(library, make_bundle(tmp_path / "clips", video_bytes=30 * MiB))
    transport = SlowTransport("hs-test", delay_s=0.3)
    runner = UploadRunner(library, config(concurrency=1), transport=transport)
    runner.start()
    time.sleep(1.5)
    runner.stop()
    clip = library.get(clip_id)
    assert clip.state == "failed" and "resumes" in clip.reason
    assert len(transport.list_multipart_uploads("")) == 1  # kept for the resume
    sent = transport.requests["upload_part"]
    outcomes = UploadRunner(library, config(), transport=transport).run_until_idle()
    assert outcomes[0].ok
    assert transport.requests["upload_part"] == 6  # 30 MiB in 5 MiB parts, each sent once
    assert outcomes[0].report.files[0].parts_reused and sent < 6


def test_the_background_runner_finishes_deletes_an_outage_left_behind(
    library: ClipLibrary, tmp_path: Path
) -> None:
    transport = MemoryTransport("hs-test")
    clip_id = queued(library, make_bundle(tmp_path / "clips", video_bytes=1000))
    assert UploadRunner(library, config(), transport=transport).run_until_idle()[0].ok
    assert len(transport.list_keys("")) == 4
    library.mark_deleted(clip_id, remote_pending=True)  # `clips delete` while the server was down
    runner = UploadRunner(library, config(), transport=transport)
    runner.start()
    try:
        deadline = time.monotonic() + 10
        while transport.list_keys("") and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        runner.stop()
    assert transport.list_keys("") == [] and not library.get(clip_id).remote_delete_pending


def test_objects_name_the_contributor_only_with_dataset_consent(library: ClipLibrary) -> None:
    from hindsight.uploader.worker import upload_metadata

    assert upload_metadata(library) == {"consent-clips": "clips-1", "consent-dataset": "none"}
    library.record_consent("dataset", True)
    meta = upload_metadata(library)
    assert (
        meta["consent-dataset"] == "dataset-1" and meta["contributor"] == library.contributor_id()
    )
