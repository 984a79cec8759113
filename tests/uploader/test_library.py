"""The clip library repository: registering, finding, claiming under leases, consent, game waits."""

from __future__ import annotations

import multiprocessing
import subprocess
import sys
import time
from pathlib import Path

import pytest

from hindsight.bundle import MANIFEST_FILE, read_manifest
from hindsight.uploader.errors import ClipNotFound, UploaderError
from hindsight.uploader.library import ClipLibrary
from hindsight.uploader.worker import process_alive
from tests.uploader.bundles import make_bundle


@pytest.fixture
def library(tmp_path: Path):
    lib = ClipLibrary.open(f"sqlite:///{tmp_path / 'lib.db'}")
    yield lib
    lib.close()


def test_register_reads_the_manifest_and_is_idempotent(
    library: ClipLibrary, tmp_path: Path
) -> None:
    folder = make_bundle(tmp_path / "clips", video_bytes=1000)
    clip = library.register(folder)
    assert clip.id == read_manifest(folder).clip_id
    assert (clip.game_id, clip.game_title, clip.state) == (
        "valve.counter-strike-2",
        "Counter-Strike 2",
        "local",
    )
    assert clip.duration_ms == 30000 and clip.frames == 1800
    assert clip.bytes == sum(p.stat().st_size for p in folder.iterdir())
    moved = folder.rename(folder.with_name("renamed by the user"))
    again = library.register(moved)
    assert again.id == clip.id and again.path == moved.resolve()
    assert len(library.clips()) == 1


def test_a_folder_that_is_not_a_clip_is_one_clear_error(
    library: ClipLibrary, tmp_path: Path
) -> None:
    with pytest.raises(UploaderError, match="not a Hindsight clip"):
        library.register(tmp_path)
    (tmp_path / MANIFEST_FILE).write_text("{broken")
    with pytest.raises(UploaderError, match="cannot be read"):
        library.register(tmp_path)


def test_scan_adds_only_new_bundles_and_skips_partial_ones(
    library: ClipLibrary, tmp_path: Path
) -> None:
    clips = tmp_path / "clips"
    first = make_bundle(clips, video_bytes=10)
    library.register(first)
    make_bundle(clips, video_bytes=10)
    (clips / ".1234.partial").mkdir()
    (clips / "not a clip").mkdir()
    added = library.scan(clips)
    assert len(added) == 1 and len(library.clips()) == 2
    assert library.scan(clips) == []
    # Known folders are not read again (500 known clips: 500 directory entries, no parsing).
    import hindsight.uploader.library as library_module

    read: list[str] = []
    real = library_module.read_manifest
    (clips / "not a clip" / "manifest.json").write_text("{ not json")
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(library_module, "read_manifest", lambda f: read.append(f.name) or real(f))
        assert library.scan(clips) == [] and len(library.clips()) == 2
    assert read == ["not a clip"]


def test_get_by_id_prefix_and_folder(library: ClipLibrary, tmp_path: Path) -> None:
    clip = library.register(make_bundle(tmp_path / "clips", video_bytes=10))
    assert library.get(clip.id).id == clip.id
    assert library.get(clip.id[:6]).id == clip.id
    assert library.get(str(clip.path)).id == clip.id
    with pytest.raises(ClipNotFound, match="too short"):
        library.get(clip.id[:2])
    with pytest.raises(ClipNotFound, match="no clip"):
        library.get("ffffffff-dead")


def test_an_ambiguous_prefix_asks_for_more(library: ClipLibrary, tmp_path: Path) -> None:
    library.register(
        make_bundle(
            tmp_path / "clips", video_bytes=10, clip_id="abcd1234-0000-4000-8000-000000000001"
        )
    )
    library.register(
        make_bundle(
            tmp_path / "clips", video_bytes=10, clip_id="abcd5678-0000-4000-8000-000000000002"
        )
    )
    with pytest.raises(ClipNotFound, match="matches 2 clips"):
        library.get("abcd")
    assert library.get("abcd5").id.startswith("abcd5678")


def test_claims_follow_the_states_and_leases(library: ClipLibrary, tmp_path: Path) -> None:
    a = library.register(make_bundle(tmp_path / "clips", video_bytes=10))
    assert library.claim("p1", 30) is None  # local clips are not due
    assert library.queue(a.id)
    taken = library.claim("p1", 30)
    assert taken.id == a.id and taken.state == "uploading"
    assert library.claim("p2", 30) is None  # leased
    assert library.renew(a.id, "p1", 30) and not library.renew(a.id, "p2", 30)
    assert library.mark_failed(a.id, "p1", "server down", next_retry_ms=0)
    failed = library.get(a.id)
    assert (failed.state, failed.reason, failed.attempts) == ("failed", "server down", 1)
    assert library.claim("p2", 0.001).id == a.id  # due for a retry
    time.sleep(0.01)
    assert library.claim("p3", 30).id == a.id  # p2's lease ran out: p2 died
    assert not library.mark_uploaded(a.id, "p2")  # the dead owner cannot finish it
    assert library.mark_uploaded(a.id, "p3")
    assert library.get(a.id).state == "uploaded" and library.claim("p4", 30) is None
    assert library.state_counts() == {"uploaded": 1}


def test_failed_without_a_retry_time_waits_for_the_user(
    library: ClipLibrary, tmp_path: Path
) -> None:
    a = library.register(make_bundle(tmp_path / "clips", video_bytes=10))
    library.queue(a.id)
    library.claim("p", 30)
    library.mark_failed(a.id, "p", "folder gone", None)
    assert library.claim("p", 30) is None
    assert library.claim("p", 30, include_failed=True).id == a.id  # `hindsight upload` asks for it


def _claim_all(url: str, owner: str, out: multiprocessing.Queue) -> None:
    lib = ClipLibrary.open(url)
    got = []
    while (clip := lib.claim(owner, 60)) is not None:
        got.append(clip.id)
    lib.close()
    out.put(got)


def test_two_processes_never_claim_the_same_clip(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'lib.db'}"
    lib = ClipLibrary.open(url)
    ids = []
    for n in range(40):
        clip = lib.register(make_bundle(tmp_path / "clips", video_bytes=10, seed=n))
        lib.queue(clip.id)
        ids.append(clip.id)
    lib.close()
    ctx = multiprocessing.get_context("spawn")
    out = ctx.Queue()
    procs = [ctx.Process(target=_claim_all, args=(url, f"p{n}", out)) for n in range(3)]
    for p in procs:
        p.start()
    results = [out.get(timeout=60) for _ in procs]
    for p in procs:
        p.join(30)
    claimed = [c for r in results for c in r]
    assert sorted(claimed) == sorted(ids)  # every clip once, none twice


def test_consent_is_recorded_per_purpose_with_its_text_version(library: ClipLibrary) -> None:
    assert not library.consent("clips").granted and not library.consent("dataset").granted
    library.record_consent("clips", True)
    state = library.consent("clips")
    assert state.granted and state.current and state.version == "clips-1" and state.t_ms
    assert not library.consent("dataset").current
    library.record_consent("clips", False)
    assert not library.consent("clips").current
    assert [(s.purpose, s.granted) for s in library.consent_history()] == [
        ("clips", True),
        ("clips", False),
    ]
    with pytest.raises(UploaderError, match="expected one of clips, dataset"):
        library.consent("marketing")


def test_withdrawing_returns_waiting_clips_to_local(library: ClipLibrary, tmp_path: Path) -> None:
    clips = [
        library.register(make_bundle(tmp_path / "clips", video_bytes=10, seed=n)) for n in range(3)
    ]
    for c in clips:
        library.queue(c.id)
    library.claim("p", 30)
    assert library.unqueue_all("consent withdrawn") == 3
    assert {c.state for c in library.clips()} == {"local"}
    assert {c.reason for c in library.clips()} == {"consent withdrawn"}


def test_clips_waiting_for_the_game_are_released_when_its_process_exits(
    library: ClipLibrary, tmp_path: Path
) -> None:
    import psutil

    game = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        started_ms = int(psutil.Process(game.pid).create_time() * 1000)
        clip = library.register(make_bundle(tmp_path / "clips", video_bytes=10))
        library.queue(clip.id, wait_pid=game.pid, wait_pid_started_ms=started_ms)
        assert library.release_waits(process_alive) == 0
        assert library.claim("p", 30) is None  # held while the game runs
        game.terminate()
        game.wait(10)
        assert library.release_waits(process_alive) == 1
        assert library.claim("p", 30).id == clip.id
    finally:
        game.kill()


def test_a_reused_pid_does_not_hold_a_clip(tmp_path: Path) -> None:
    import os

    assert process_alive(os.getpid(), None)
    assert not process_alive(os.getpid(), started_ms=1000)  # same pid, another start time
    assert not process_alive(2**22 + 12345, None)


def test_the_contributor_pseudonym_is_stable_and_random(
    library: ClipLibrary, tmp_path: Path
) -> None:
    first = library.contributor_id()
    assert first == library.contributor_id()
    other = ClipLibrary.open(f"sqlite:///{tmp_path / 'other.db'}")
    try:
        assert other.contributor_id() != first
    finally:
        other.close()


def test_the_same_clip_registered_from_two_threads_at_once_is_one_row(tmp_path) -> None:
    """The recorder's output and a library window can both see a new clip at the same moment."""
    import threading

    from hindsight.uploader.library import ClipLibrary
    from tests.uploader.bundles import make_bundle

    folder = make_bundle(tmp_path / "clips")
    library = ClipLibrary.open(f"sqlite:///{tmp_path / 'library.db'}")
    errors: list[BaseException] = []
    start = threading.Barrier(8)

    def register() -> None:
        start.wait()
        try:
            library.register(folder)
        except BaseException as err:  # noqa: BLE001 - collected for the assertion
            errors.append(err)

    threads = [threading.Thread(target=register) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(library.clips()) == 1
    library.close()
