"""How a clip file goes to disk: straight to the device, or through the page cache.

Every case writes real files on real filesystems mounted for the test: an ext4 on a
loop device (takes O_DIRECT), a ramfs (refuses it), and a small ext4 that fills up.
The bytes are read back and compared, and ``fincore`` shows whether the page cache was
used.
"""

from __future__ import annotations

import errno
import hashlib
import os
import random
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hindsight.errors import ConfigError
from hindsight.recorder.export import disk
from hindsight.recorder.export.disk import ENV_OVERRIDE, choose_clip_write, write_new_file
from tests.recorder.cli_proc import record_start_error
from tests.recorder.mounts import mount_ext4, mount_ramfs, unmount
from tests.x11 import xvfb  # noqa: F401

STAGE = 1 << 20


@pytest.fixture(scope="module")
def ext4(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    path = tmp_path_factory.mktemp("disk") / "ext4"
    mount_ext4(path, 64)
    try:
        yield path
    finally:
        unmount(path)


@pytest.fixture(scope="module")
def ramfs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    path = tmp_path_factory.mktemp("disk") / "ramfs"
    mount_ramfs(path)
    try:
        yield path
    finally:
        unmount(path)


def pieces_of(sizes: list[int], seed: int = 0) -> list[bytes]:
    """Pieces of the given sizes, of random bytes (a misplaced byte shows)."""
    rng = random.Random(seed)
    return [rng.randbytes(size) for size in sizes]


def resident_bytes(path: Path) -> int:
    done = subprocess.run(
        ["fincore", "--bytes", "--noheadings", "--output", "RES", str(path)],
        capture_output=True,
        text=True,
        check=True,
    )
    return int(done.stdout.strip())


def test_the_chooser_probes_the_folder(ext4: Path, ramfs: Path) -> None:
    assert choose_clip_write(ext4, {}) == "direct"
    assert choose_clip_write(ramfs, {}) == "buffered"
    assert choose_clip_write(ext4, {ENV_OVERRIDE: "buffered"}) == "buffered"
    assert choose_clip_write(ext4, {ENV_OVERRIDE: " Direct "}) == "direct"
    assert sorted(os.listdir(ext4)) == ["lost+found"]  # the probe leaves nothing
    with pytest.raises(ConfigError) as bad:
        choose_clip_write(ext4, {ENV_OVERRIDE: "fast"})
    assert str(bad.value) == f"{ENV_OVERRIDE}='fast': must be one of auto, direct, buffered"
    with pytest.raises(ConfigError) as refused:
        choose_clip_write(ramfs, {ENV_OVERRIDE: "direct"})
    assert str(refused.value) == (
        f"the clips folder {ramfs} does not take direct writes (Invalid argument); unset "
        f"{ENV_OVERRIDE} or set it to buffered"
    )


# Sizes around what the writer cuts at: a block (4096) and a staging buffer (1 MiB).
_EDGES = [0, 1, 4095, 4096, 4097, STAGE - 1, STAGE, STAGE + 1]


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    sizes=st.lists(
        st.one_of(st.sampled_from(_EDGES), st.integers(0, 70_000)), min_size=0, max_size=12
    ),
    seed=st.integers(0, 250),
)
def test_a_direct_write_holds_exactly_the_pieces(ext4: Path, sizes: list[int], seed: int) -> None:
    pieces = pieces_of(sizes, seed)
    path = ext4 / "clip.mp4"
    data = b"".join(pieces)
    assert write_new_file(path, pieces, "direct") == ("direct", hashlib.sha256(data).hexdigest())
    assert path.read_bytes() == data


def test_a_direct_write_leaves_the_page_cache_alone(ext4: Path) -> None:
    pieces = pieces_of([3 * STAGE + 12_345, 4, 777_777])
    size = sum(map(len, pieces))
    write_new_file(ext4 / "direct.mp4", pieces, "direct")
    write_new_file(ext4 / "buffered.mp4", pieces, "buffered")
    # Only the last, partly used block went through the cache (the file was cut to size).
    assert resident_bytes(ext4 / "direct.mp4") <= 4096
    assert resident_bytes(ext4 / "buffered.mp4") == -(-size // 4096) * 4096
    assert (ext4 / "direct.mp4").read_bytes() == (ext4 / "buffered.mp4").read_bytes()


def test_where_direct_writes_are_refused_the_page_cache_is_used(ramfs: Path) -> None:
    pieces = pieces_of([5000, STAGE, 3])
    path = ramfs / "clip.mp4"
    data = b"".join(pieces)
    assert write_new_file(path, pieces, "direct") == ("buffered", hashlib.sha256(data).hexdigest())
    assert path.read_bytes() == data


def test_a_full_disk_in_a_direct_write_is_raised(tmp_path: Path) -> None:
    small = tmp_path / "small"
    mount_ext4(small, 8)
    try:
        pieces = pieces_of([STAGE] * 12)  # 12 MiB on an 8 MB filesystem
        with pytest.raises(OSError) as full:
            write_new_file(small / "clip.mp4", pieces, "direct")
        assert full.value.errno == errno.ENOSPC
        # The writer thread is gone and the filesystem is whole: a small file still fits.
        (small / "clip.mp4").unlink()
        assert write_new_file(small / "next.mp4", pieces[:2], "direct")[0] == "direct"
        assert (small / "next.mp4").read_bytes() == b"".join(pieces[:2])
    finally:
        unmount(small)


@pytest.mark.parametrize("writev", ["absent", "short"], ids=["no-writev", "short-writes"])
def test_without_writev_or_with_short_writes_the_file_is_the_same(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, writev: str
) -> None:
    pieces = pieces_of([100, 5000, 0, 70_000, 3] * 300)

    def short(fd: int, batch: list[bytes | memoryview]) -> int:
        # What a signal or a nearly full disk does: part of the first buffer goes through.
        return os.write(fd, bytes(batch[0])[: max(1, len(batch[0]) // 2)])

    monkeypatch.setattr(disk, "_WRITEV", None if writev == "absent" else short)
    data = b"".join(pieces)
    written = write_new_file(tmp_path / "clip.mp4", pieces, "buffered")
    assert written == ("buffered", hashlib.sha256(data).hexdigest())
    assert (tmp_path / "clip.mp4").read_bytes() == data


@pytest.mark.parametrize("override", ["fast", "direct"])
def test_a_clip_write_override_that_cannot_work_is_one_line(
    xvfb,  # noqa: F811
    isolated_user_dirs,
    ramfs: Path,
    override: str,
) -> None:
    """Through ``hindsight record``: a value it does not know, or direct writes forced onto
    a clips folder whose filesystem refuses them (a ramfs)."""
    clips = ramfs / "clips"
    env = dict(
        os.environ,
        HINDSIGHT_CLIP_WRITE=override,
        HINDSIGHT_AUDIO_BACKEND="none",
        HINDSIGHT_CLIPS_DIR=str(clips),
    )
    line = record_start_error(xvfb.name, env)
    if override == "fast":
        assert line == (
            "hindsight: error: HINDSIGHT_CLIP_WRITE='fast': must be one of auto, direct, buffered"
        )
    else:
        assert line == (
            f"hindsight: error: the clips folder {clips} does not take direct writes (Invalid "
            "argument); unset HINDSIGHT_CLIP_WRITE or set it to buffered"
        )
