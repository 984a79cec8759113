"""The library attached to a running recorder: clips registered on save, uploaded by
policy, never in the way.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from hindsight.bundle import (
    ACTION_MAP_FILE,
    ACTIONS_FILE,
    EVENTS_FILE,
    MANIFEST_FILE,
    VIDEO_FILE,
    ClipSpan,
    Consent,
    Contribution,
    SavedClip,
    read_manifest,
)
from hindsight.recorder.outputs import RecorderOutput
from hindsight.uploader.config import UploadConfig, UploadPolicy, UploadTarget
from hindsight.uploader.library import ClipLibrary
from hindsight.uploader.recorder_output import LibraryOutput
from hindsight.uploader.transport import forget_memory_buckets, memory_bucket
from tests.recorder.cli_proc import RecorderProcess, run_cli
from tests.uploader.bundles import make_bundle
from tests.x11 import moving_scene, xvfb  # noqa: F401

UPLOADED = (VIDEO_FILE, ACTIONS_FILE, ACTION_MAP_FILE, MANIFEST_FILE)


def wait_state(clip_id: str, state: str, timeout_s: float = 60) -> dict:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        listing = {c["id"]: c for c in json.loads(run_cli("clips", "list", "--json").stdout)}
        if listing.get(clip_id, {}).get("state") == state:
            return listing[clip_id]
        time.sleep(0.3)
    raise AssertionError(f"clip {clip_id} not {state} within {timeout_s} s: {listing.get(clip_id)}")


@pytest.mark.x11
def test_a_saved_clip_is_uploaded_in_the_background_by_the_instant_policy(
    xvfb, moving_scene, seaweed, s3_target, isolated_user_dirs
) -> None:  # noqa: F811
    dirs = isolated_user_dirs
    dirs["config"].mkdir(parents=True, exist_ok=True)
    (dirs["config"] / "settings.toml").write_text(
        f'[upload]\nbucket = "{s3_target.bucket}"\nendpoint_url = "{s3_target.endpoint_url}"\n'
        'prefix = "live"\npolicy = "instant"\n'
    )
    assert run_cli("consent", "grant", "clips", "--yes").returncode == 0
    rec = RecorderProcess(
        "--display",
        xvfb.name,
        "--fps",
        "30",
        "--buffer-seconds",
        "8",
        "--bitrate",
        "4M",
        "--no-hotkey",
    )
    try:
        rec.wait_line("recording ")
        time.sleep(3)
        saved = run_cli("clip", "--seconds", "2", "--json")
        assert saved.returncode == 0, saved.stderr
        clip = json.loads(saved.stdout)
        row = wait_state(clip["clip_id"], "uploaded")
        status = json.loads(run_cli("status", "--json").stdout)
        human = run_cli("status").stdout
        assert "library    1 uploaded; uploads instant to s3://" in human, human
        assert "overlay    OBS browser source (transparent): http://127.0.0.1:" in human
    finally:
        rec.stop()
    library = status["outputs"]["library"]
    assert library["states"]["uploaded"] == 1 and library["policy"] == "instant"
    folder = Path(clip["path"])
    manifest = read_manifest(folder)
    assert manifest.privacy.consent_version == {"clips": "clips-1", "dataset": None}
    assert manifest.privacy.contributor is None  # no pseudonym without dataset consent
    client = seaweed.client()
    prefix = f"live/{row['game_id']}/{clip['clip_id']}"
    for name in manifest.files:
        if name == EVENTS_FILE:
            continue
        body = client.get_object(Bucket=s3_target.bucket, Key=f"{prefix}/{name}")["Body"].read()
        assert body == (folder / name).read_bytes(), name
    remote_manifest = client.get_object(Bucket=s3_target.bucket, Key=f"{prefix}/{MANIFEST_FILE}")[
        "Body"
    ].read()
    assert remote_manifest == (folder / MANIFEST_FILE).read_bytes()


@pytest.mark.x11
def test_a_damaged_library_never_stops_recording(xvfb, moving_scene, isolated_user_dirs) -> None:  # noqa: F811
    dirs = isolated_user_dirs
    dirs["data"].mkdir(parents=True, exist_ok=True)
    (dirs["data"] / "library.db").write_bytes(b"\x00not sqlite" * 500)
    rec = RecorderProcess(
        "--display",
        xvfb.name,
        "--fps",
        "30",
        "--buffer-seconds",
        "6",
        "--bitrate",
        "2M",
        "--no-hotkey",
    )
    try:
        rec.wait_line("recording ")
        time.sleep(2)
        saved = run_cli("clip", "--seconds", "1")
        assert saved.returncode == 0, saved.stderr
        assert Path(saved.stdout.strip()).is_dir()
        status = json.loads(run_cli("status", "--json").stdout)
    finally:
        rec.stop()
    assert "damaged" in status["outputs"]["library"]["error"]
    assert sum("clip library off for this run" in line for line in rec.stderr) == 1


@dataclass(frozen=True)
class Focus:
    game_id: str
    pid: int | None


class FakeRecorder:
    """What LibraryOutput uses of a running recorder: the focused game."""

    def __init__(self, game_id: str, pid: int) -> None:
        self.game = Focus(game_id, pid)

    def focused_game(self) -> Focus | None:
        return self.game


def saved(folder: Path) -> SavedClip:
    manifest = read_manifest(folder)  # typed, as the recorder hands it to its outputs
    return SavedClip(path=folder, clip_id=manifest.clip_id, manifest=manifest)


def test_game_exit_policy_waits_for_the_game_process_to_end(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("HINDSIGHT_TRANSPORT", "memory")
    forget_memory_buckets()
    library = ClipLibrary.open(f"sqlite:///{tmp_path / 'lib.db'}")
    library.record_consent("clips", True)
    config = UploadConfig(target=UploadTarget(bucket="hs-game-exit"), policy=UploadPolicy.GAME_EXIT)
    output = LibraryOutput(library=library, config=config)
    conforms: RecorderOutput = output  # noqa: F841  (mypy checks the structural match)
    # Count the runner's loops: each checks for exited games, then claims what is due.
    loops: list[int] = []
    release_waits = library.release_waits

    def counted(alive):  # type: ignore[no-untyped-def]
        loops.append(1)
        return release_waits(alive)

    monkeypatch.setattr(library, "release_waits", counted)
    game = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        output.start(FakeRecorder("valve.counter-strike-2", game.pid))
        output.clip_saved(saved(make_bundle(tmp_path / "clips", video_bytes=1000)))
        clip = library.clips()[0]
        assert clip.state == "queued" and clip.wait_pid == game.pid
        # Two more loops: a whole one (check, claim) ran with the clip queued, so a runner
        # that ignored the game would have claimed it by now.
        seen = len(loops)
        deadline = time.monotonic() + 15
        while len(loops) < seen + 2 and time.monotonic() < deadline:
            assert output.runner is not None
            output.runner.wake()
            time.sleep(0.05)
        assert len(loops) >= seen + 2, "the runner did not look at the queue"
        assert library.get(clip.id).state == "queued"
        game.terminate()
        game.wait(10)
        deadline = time.monotonic() + 15
        while library.get(clip.id).state != "uploaded" and time.monotonic() < deadline:
            time.sleep(0.2)
        assert library.get(clip.id).state == "uploaded"
        assert len(memory_bucket("hs-game-exit").list_keys("")) == len(UPLOADED)
        assert (
            output.summary()
            == "1 uploaded; uploads game_exit to s3://hs-game-exit/hindsight/ at AWS S3"
        )
    finally:
        game.kill()
        output.stop()


def test_a_clip_of_another_game_than_the_focused_one_is_not_held(
    tmp_path: Path, monkeypatch
) -> None:
    monkeypatch.setenv("HINDSIGHT_TRANSPORT", "memory")
    forget_memory_buckets()
    library = ClipLibrary.open(f"sqlite:///{tmp_path / 'lib.db'}")
    library.record_consent("clips", True)
    config = UploadConfig(
        target=UploadTarget(bucket="hs-other-game"), policy=UploadPolicy.GAME_EXIT
    )
    output = LibraryOutput(library=library, config=config)
    output.start(FakeRecorder("some.other-game", 1))
    try:
        output.clip_saved(saved(make_bundle(tmp_path / "clips", video_bytes=1000)))
        clip = library.clips()[0]
        assert clip.wait_pid is None  # nothing to wait for: the clip's game is not the one running
        deadline = time.monotonic() + 15
        while library.get(clip.id).state != "uploaded" and time.monotonic() < deadline:
            time.sleep(0.2)
        assert library.get(clip.id).state == "uploaded"
    finally:
        output.stop()


def test_manual_policy_only_registers(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("HINDSIGHT_TRANSPORT", "memory")
    forget_memory_buckets()
    library = ClipLibrary.open(f"sqlite:///{tmp_path / 'lib.db'}")
    library.record_consent("clips", True)
    output = LibraryOutput(
        library=library, config=UploadConfig(target=UploadTarget(bucket="hs-manual"))
    )
    output.start(FakeRecorder("valve.counter-strike-2", 1))
    try:
        output.clip_saved(saved(make_bundle(tmp_path / "clips", video_bytes=1000)))
        assert [c.state for c in library.clips()] == ["local"] and output.runner is None
        assert output.status()["registered"] == 1
        assert output.summary() == "1 local; uploads manual to s3://hs-manual/hindsight/ at AWS S3"
    finally:
        output.stop()
    assert memory_bucket("hs-manual").list_keys("") == []


def test_privacy_facts_are_a_contribution_naming_consent_and_the_pseudonym(tmp_path: Path) -> None:
    library = ClipLibrary.open(f"sqlite:///{tmp_path / 'lib.db'}")
    output = LibraryOutput(library=library, config=UploadConfig())
    span = ClipSpan(clip_id="c", fps=30, frame_t_ns=(0, 33_333_333), dup_frames=(False, False))
    try:
        [contributor] = output.contributors()
        before = contributor.contribute(span)
        assert isinstance(before, Contribution) and before.files == {}
        assert before.consent == Consent(
            contributor=None, versions={"clips": None, "dataset": None}
        )
        library.record_consent("clips", True)
        library.record_consent("dataset", True)
        after = contributor.contribute(span).consent
        assert after == Consent(
            contributor=library.contributor_id(),
            versions={"clips": "clips-1", "dataset": "dataset-1"},
        )
        assert output.summary().endswith("uploads manual to no upload target")
    finally:
        output.stop()


def test_without_a_library_the_output_says_why_in_one_line(tmp_path: Path) -> None:
    settings = tmp_path / "settings.toml"
    settings.write_text('[library]\nurl = "nosuchdb://x"\n')
    output = LibraryOutput(settings)
    assert output.contributors() == []
    output.start(FakeRecorder("valve.counter-strike-2", 1))
    output.clip_saved(saved(make_bundle(tmp_path / "clips", video_bytes=1000)))  # ignored, no error
    output.stop()
    assert output.summary().startswith("off (") and "\n" not in output.summary()
