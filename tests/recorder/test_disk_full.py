"""A full disk during a save, through the real CLI, with the test game and its action track.

One ``hindsight record`` of the test game writes into a clips folder on a small tmpfs,
and its clip library lives on a second one. Each case makes ENOSPC land in one chosen
write of a save: the video, the action track, the manifest, or the library database.
Every time, ``hindsight clip`` (or the recorder's one warning, for the library) says
so in one line, recording goes on, no half clip appears under a final name, earlier
clips stay whole, and the next save works once there is space again.

The failing write is chosen exactly, not by guessing sizes: a clip's video varies in
size from save to save (its frame count depends on where the keyframes fall), so
"room for the video but not the track" cannot be arranged by bytes. A tmpfs also runs
out of *inodes*, with the same ENOSPC, and a save creates its files in a fixed order
(the hidden folder, the video, the track files, the manifest), so leaving exactly *k*
free inodes makes file *k* + 1 fail. The video case fills the data blocks instead, so
the disk runs out in the middle of the mux. The error names the file it stopped in,
which is how each case checks that it hit the write it meant to.
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from hindsight.bundle import (
    ACTION_MAP_FILE,
    ACTIONS_FILE,
    EVENTS_FILE,
    MANIFEST_FILE,
    VIDEO_FILE,
    open_bundle,
)
from tests.recorder.actions.game_env import game_env
from tests.recorder.cli_proc import clip_folders, run_cli
from tests.recorder.mounts import mount_ext4, mount_tmpfs, unmount

pytestmark = pytest.mark.x11

CLIP_SECONDS = "2"
GAME_ID = "test.hs-testgame"


class Filler:
    """Takes up a tmpfs's data blocks or its inodes from a folder of its own on it."""

    def __init__(self, mount: Path) -> None:
        self.mount = mount
        self.folder = mount / ".filler"

    def blocks(self, leave: int = 0, exact: bool = True) -> None:
        """Fill every data block, then give back ``leave`` bytes (whole pages).

        ``exact``: the free space is then ``leave`` to the byte (a tmpfs); an ext4 frees a
        few blocks more (its extent tree, the blocks it had kept for delayed allocation).
        """
        self.folder.mkdir(exist_ok=True)
        fd = os.open(self.folder / "blocks", os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
        try:
            chunk = bytes(1 << 16)
            while True:
                try:
                    os.write(fd, chunk)  # nearly full: a short write, then ENOSPC
                except OSError as err:
                    assert err.errno == errno.ENOSPC, err
                    break
            os.ftruncate(fd, os.fstat(fd).st_size - leave)
        finally:
            os.close(fd)
        st = os.statvfs(self.mount)
        free = st.f_bavail * st.f_frsize
        assert free == leave if exact else leave <= free <= leave + (64 << 10), free

    def inodes(self, leave: int) -> None:
        """Use up every inode, then give ``leave`` back: the file created after them fails."""
        self.folder.mkdir(exist_ok=True)
        made: list[Path] = []
        while True:
            path = self.folder / f"i{len(made)}"
            try:
                os.close(os.open(path, os.O_WRONLY | os.O_CREAT))
            except OSError as err:
                assert err.errno == errno.ENOSPC, err
                break
            made.append(path)
        for path in made[len(made) - leave :]:
            path.unlink()
        assert os.statvfs(self.mount).f_favail == leave

    def clear(self) -> None:
        shutil.rmtree(self.folder)


def status() -> dict:
    done = run_cli("status", "--json")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def wait_for(check: Callable[[], bool], timeout_s: float = 10, what: str = "") -> None:
    deadline = time.monotonic() + timeout_s
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


def save_ok(clips: Path) -> Path:
    done = run_cli("clip", "--seconds", CLIP_SECONDS)
    assert done.returncode == 0, done.stderr
    path = Path(done.stdout.strip())
    assert path.parent.resolve() == clips.resolve()
    bundle = open_bundle(path)
    assert bundle.verify() == []
    assert bundle.manifest.game_id == GAME_ID
    assert set(bundle.manifest.files) == {VIDEO_FILE, ACTIONS_FILE, EVENTS_FILE, ACTION_MAP_FILE}
    return path


def save_fails_full(target: str) -> None:
    """``hindsight clip`` fails with one line: the clips folder is full, in ``target``."""
    done = run_cli("clip", "--seconds", CLIP_SECONDS)
    assert done.returncode != 0, f"{target}: the save did not fail"
    assert done.stdout == ""
    lines = done.stderr.splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("hindsight: error: the clips folder "), lines[0]
    assert "is full" in lines[0] and f"(while writing {target})" in lines[0]


def stopped_with_warnings_only(rec, code: int, failed_saves: int) -> None:
    """The recorder stopped cleanly (``code``) and said nothing but warnings (no traceback),
    one per failed save."""
    assert code == 0, "".join(rec.stderr)
    problems = [line for line in rec.stderr if not line.startswith("hindsight: WARNING: ")]
    assert problems == [], "".join(rec.stderr)
    assert sum("save failed: the clips folder" in line for line in rec.stderr) == failed_saves


def hidden_partials(clips: Path) -> list[str]:
    return [p.name for p in clips.iterdir() if p.name.startswith(".")]


@pytest.fixture
def disks(tmp_path: Path, isolated_user_dirs, monkeypatch) -> Iterator[tuple[Path, Path]]:
    """(clips folder, data folder), each on its own small tmpfs; unmounted afterwards."""
    clips_disk, data = tmp_path / "clips-disk", isolated_user_dirs["data"]
    # Inodes are few on purpose: filling them is how a case picks the file that fails.
    mount_tmpfs(clips_disk, "size=16m,nr_inodes=200")
    try:
        mount_tmpfs(data, "size=4m")
    except BaseException:
        unmount(clips_disk)
        raise
    clips = clips_disk / "clips"
    monkeypatch.setenv("HINDSIGHT_CLIPS_DIR", str(clips))
    try:
        yield clips, data
    finally:
        unmount(data)
        unmount(clips_disk)


def test_a_full_disk_fails_one_write_at_a_time_and_recording_goes_on(disks) -> None:
    clips, data = disks
    clip_filler, data_filler = Filler(clips.parent), Filler(data)
    with game_env(None) as env:
        rec = env.record("--fps", "15", "--buffer-seconds", "4", "--bitrate", "1M")
        try:
            wait_for(lambda: status()["buffer"]["seconds"] >= 2.5, what="a full buffer")
            saved = [save_ok(clips)]

            # (how the disk is filled, the file the save stops in)
            # Half the first clip's video fits: the save stops in the middle of writing it.
            half = (saved[0] / VIDEO_FILE).stat().st_size // 2 // 4096 * 4096
            cases = [
                (lambda: clip_filler.blocks(leave=half), VIDEO_FILE),  # mid-write
                (lambda: clip_filler.inodes(leave=2), ACTIONS_FILE),  # folder + video made
                (lambda: clip_filler.inodes(leave=5), MANIFEST_FILE),  # all but the manifest
            ]
            for failures, (fill, target) in enumerate(cases, start=1):
                fill()
                frames = status()["capture"]["frames"]
                save_fails_full(target)
                # Recording goes on: the recorder answers and its frames keep coming.
                wait_for(
                    lambda frames=frames: status()["capture"]["frames"] > frames + 15,
                    what="frames after the failed save",
                )
                after = status()
                assert after["state"] == "recording"
                assert after["saves"]["failed"] == failures
                assert f"(while writing {target})" in after["saves"]["last_error"]
                # Nothing half-written under a final name, the hidden folder cleaned up,
                # and the clips saved before are whole.
                assert [p.name for p in clip_folders(clips)] == sorted(p.name for p in saved)
                assert hidden_partials(clips) == []
                assert all(open_bundle(p).verify() == [] for p in saved)
                clip_filler.clear()
                saved.append(save_ok(clips))

            # The library's disk is full: the clip is saved, the library misses it (one
            # warning), and catches up once there is space.
            data_filler.blocks()
            lines_before = len(rec.stderr)
            missed = save_ok(clips)
            wait_for(lambda: len(rec.stderr) > lines_before, what="the recorder's warning")
            time.sleep(0.5)  # room for a second line, which must not come
            warning = rec.stderr[lines_before:]
            assert len(warning) == 1, warning
            assert warning[0].startswith(f"hindsight: WARNING: clip {missed} saved but not added")
            assert "full" in warning[0]
            library = status()["outputs"]["library"]
            assert "full" in library["error"] and library["registered"] == len(saved)
            data_filler.clear()

            # Clips the library missed are picked up from the clips folder.
            listed = run_cli("clips", "list", "--json")
            assert listed.returncode == 0, listed.stderr
            ids = {c["id"] for c in json.loads(listed.stdout)}
            assert ids == {open_bundle(p).manifest.clip_id for p in [*saved, missed]}
            # And the recorder's own library works again.
            last = save_ok(clips)
            library = status()["outputs"]["library"]
            assert library["error"] is None and library["registered"] == len(saved) + 1
            listed = run_cli("clips", "list", "--json")
            assert open_bundle(last).manifest.clip_id in {
                c["id"] for c in json.loads(listed.stdout)
            }
        finally:
            code = rec.stop()
    # One warning per failed save and one for the library, nothing else.
    stopped_with_warnings_only(rec, code, failed_saves=3)


@pytest.fixture
def ext4_clips(tmp_path: Path, isolated_user_dirs, monkeypatch) -> Iterator[Path]:
    """A clips folder on a small ext4 on a loop device: direct writes go to a block device
    (a tmpfs takes them too since Linux 6.6, as copies into its pages)."""
    disk = tmp_path / "ext4-disk"
    mount_ext4(disk, 32)
    clips = disk / "clips"
    monkeypatch.setenv("HINDSIGHT_CLIPS_DIR", str(clips))
    try:
        yield clips
    finally:
        unmount(disk)


def test_a_disk_full_in_the_middle_of_a_direct_write_is_one_line(ext4_clips: Path) -> None:
    clips = ext4_clips
    filler = Filler(clips.parent)
    with game_env(None) as env:
        # The fake source changes every frame: a video of some 180 KB (the game's is 10 KB,
        # less than the blocks an ext4 frees beside the ones given back).
        rec = env.record(
            "--fps", "15", "--buffer-seconds", "4", "--bitrate", "4M", "--capture-source", "fake"
        )
        try:
            wait_for(lambda: status()["buffer"]["seconds"] >= 2.5, what="a full buffer")
            saved = [save_ok(clips)]
            assert status()["saves"]["clip_write"] == "direct"
            half = (saved[0] / VIDEO_FILE).stat().st_size // 2 // 4096 * 4096
            filler.blocks(leave=half, exact=False)
            save_fails_full(VIDEO_FILE)
            assert status()["state"] == "recording"
            assert [p.name for p in clip_folders(clips)] == [saved[0].name]
            assert hidden_partials(clips) == []
            assert open_bundle(saved[0]).verify() == []
            filler.clear()
            saved.append(save_ok(clips))
            assert all(open_bundle(p).verify() == [] for p in saved)
        finally:
            code = rec.stop()
    stopped_with_warnings_only(rec, code, failed_saves=1)
