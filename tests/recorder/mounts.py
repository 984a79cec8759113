"""Small real filesystems for the tests: a tmpfs, a ramfs, or an ext4 on a loop device.

CI runs as root, so a mount that fails fails the test that asked for it. An ext4 and
(since Linux 6.6) a tmpfs take direct (O_DIRECT) writes and a ramfs takes none, which is
how the tests reach both ways a clip goes to disk (:mod:`hindsight.recorder.export.disk`).
"""

from __future__ import annotations

import subprocess
from pathlib import Path

__all__ = ["mount_ext4", "mount_ramfs", "mount_tmpfs", "unmount"]


def _run(args: list[str], what: str) -> None:
    done = subprocess.run(args, capture_output=True, text=True)
    assert done.returncode == 0, f"cannot {what} (needs root): {' '.join(args)}: {done.stderr}"


def mount_tmpfs(path: Path, options: str) -> None:
    """A small tmpfs at ``path`` (``options``: e.g. ``size=16m,nr_inodes=200``)."""
    path.mkdir(parents=True, exist_ok=True)
    _run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(path)], f"mount a tmpfs at {path}")


def mount_ramfs(path: Path) -> None:
    """A ramfs at ``path``: no size limit, and it refuses O_DIRECT."""
    path.mkdir(parents=True, exist_ok=True)
    _run(["mount", "-t", "ramfs", "ramfs", str(path)], f"mount a ramfs at {path}")


def mount_ext4(path: Path, size_mb: int) -> None:
    """An ext4 of ``size_mb`` MB at ``path``, its image beside it; no blocks kept for root,
    so the space a test sees free is the space the recorder (root on CI) can use."""
    image = path.with_name(path.name + ".img")
    with open(image, "wb") as fh:
        fh.truncate(size_mb << 20)
    _run(["mkfs.ext4", "-q", "-F", "-m", "0", "-b", "4096", str(image)], f"make an ext4 in {image}")
    path.mkdir(parents=True, exist_ok=True)
    _run(["mount", "-o", "loop", str(image), str(path)], f"mount {image} at {path}")


def unmount(path: Path) -> None:
    _run(["umount", str(path)], f"unmount {path}")
