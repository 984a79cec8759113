"""Putting a new clip file on disk, durably: straight to the device where the filesystem takes it.

A save writes some 45 MB that nothing in this process reads again, then fsyncs it. Through
the page cache, the kernel first allocates and fills a page for every 4 KB and only then
writes them out; on a busy machine (and on a virtual one whose free memory the host has
taken back) that allocation is most of the save. Opened ``O_DIRECT``, the bytes are
copied into a few page-aligned staging buffers instead; each full buffer is hashed on one
thread and goes to the device on another while the next one is filled: no page cache,
and the data is on the device when the last write returns, so the fsync only commits
the file's metadata. A clip written this way also leaves the game's own cached files
where they were.

Where the filesystem refuses ``O_DIRECT`` (ramfs, some network and FUSE filesystems) or
the system has none (Windows, macOS), the bytes go through the page cache with ``writev``
in large batches (no copy in this process), and ``sync_file_range`` starts their
write-out after every batch so the fsync waits little.

:func:`choose_clip_write` decides once per recorder start, for the clips folder, which of
the two is used: the ``HINDSIGHT_CLIP_WRITE`` override (``direct``|``buffered``), else
``direct`` when a probe write into the folder succeeds, else ``buffered``.
"""

from __future__ import annotations

import ctypes
import errno
import hashlib
import logging
import mmap
import os
import queue
import sys
import threading
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import cast

from hindsight.recorder.errors import ConfigError

__all__ = [
    "CAN_START_WRITEOUT",
    "CLIP_WRITES",
    "ENV_OVERRIDE",
    "Piece",
    "choose_clip_write",
    "start_writeout",
    "write_new_file",
]

log = logging.getLogger(__name__)

ENV_OVERRIDE = "HINDSIGHT_CLIP_WRITE"
CLIP_WRITES = ("auto", "direct", "buffered")

Piece = bytes | memoryview

_O_DIRECT = getattr(os, "O_DIRECT", 0)  # Linux (and some BSDs); 0 where there is none
_ALIGN = 4096  # O_DIRECT's offsets, lengths and addresses: a multiple of the logical block
_STAGE_BYTES = 1 << 20  # per device write: large enough that the device streams
_STAGES = 4  # one being filled, one hashed, one written, one spare so none waits
# Staging buffers: page-aligned anonymous maps, their pages made in one call rather than
# one fault each (POSIX names; only used where O_DIRECT is).
_STAGE_MAP = sum(
    getattr(mmap, name, 0) for name in ("MAP_PRIVATE", "MAP_ANONYMOUS", "MAP_POPULATE")
)
_IOV_BATCH = 1024  # Linux's IOV_MAX: a writev takes at most this many buffers
_WRITEV = getattr(os, "writev", None)  # POSIX only
# O_BINARY: Windows would otherwise turn every 0x0A byte into two.
_NEW_FILE = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_BINARY", 0)


def choose_clip_write(folder: Path, environ: Mapping[str, str] = os.environ) -> str:
    """How clips in ``folder`` are written: ``direct`` or ``buffered``.

    Raises :class:`ConfigError` for an override that is not one of :data:`CLIP_WRITES`, or
    a forced ``direct`` that the folder's filesystem refuses.
    """
    wanted = environ.get(ENV_OVERRIDE, "").strip().lower() or "auto"
    if wanted not in CLIP_WRITES:
        raise ConfigError(
            f"{ENV_OVERRIDE}={environ[ENV_OVERRIDE]!r}: must be one of {', '.join(CLIP_WRITES)}"
        )
    if wanted == "buffered":
        return "buffered"
    refused = _direct_refused(folder)
    if refused is None:
        return "direct"
    if wanted == "direct":
        raise ConfigError(
            f"the clips folder {folder} does not take direct writes ({refused}); unset "
            f"{ENV_OVERRIDE} or set it to buffered"
        )
    log.info("clips are written through the page cache: %s", refused)
    return "buffered"


def _direct_refused(folder: Path) -> str | None:
    """Why ``folder`` cannot take an O_DIRECT write, or None if it can (one block is tried)."""
    if not _O_DIRECT:
        return f"{sys.platform} has no O_DIRECT"
    probe = folder / f".hindsight-direct-probe-{os.getpid()}"
    try:
        fd = os.open(probe, _NEW_FILE | _O_DIRECT, 0o600)
    except OSError as err:
        return err.strerror or str(err)
    try:
        with mmap.mmap(-1, _ALIGN) as block:
            os.write(fd, block)
    except OSError as err:
        return err.strerror or str(err)
    finally:
        os.close(fd)
        probe.unlink(missing_ok=True)
    return None


def write_new_file(path: Path, pieces: Sequence[Piece], mode: str) -> tuple[str, str]:
    """Write ``pieces`` in order to a new file at ``path`` and fsync it; returns the mode used
    and the file's sha256.

    ``mode`` is what :func:`choose_clip_write` said. The hash is taken from the same bytes
    as they are written: a direct write hashes each staging buffer on a thread of its own
    just after it is filled (while the device takes the one before), a buffered one
    hashes the pieces on a second thread (hashing and writing both release the GIL). A
    direct write the filesystem refuses after all (EINVAL: the folder was remounted, or
    wants larger blocks) is done again through the page cache. An OSError (a full disk)
    is raised as it is.
    """
    if mode == "direct" and _O_DIRECT:
        try:
            fd = os.open(path, _NEW_FILE | _O_DIRECT, 0o644)
        except OSError as err:
            if err.errno != errno.EINVAL:
                raise
        else:
            try:
                digest = _write_direct(fd, pieces)
                os.fsync(fd)
                return "direct", digest
            except OSError as err:
                if err.errno != errno.EINVAL:
                    raise
                log.warning("a direct write was refused (%s); writing through the page cache", err)
            finally:
                os.close(fd)
    return "buffered", _write_buffered(path, pieces)


def _write_buffered(path: Path, pieces: Sequence[Piece]) -> str:
    h = hashlib.sha256()

    def digest() -> None:
        for piece in pieces:
            h.update(piece)

    hasher = threading.Thread(target=digest, name="hindsight-hash")
    hasher.start()
    try:
        fd = os.open(path, _NEW_FILE, 0o644)
        try:
            for i in range(0, len(pieces), _IOV_BATCH):
                _write_all(fd, pieces[i : i + _IOV_BATCH])
                start_writeout(fd)
            os.fsync(fd)
        finally:
            os.close(fd)
    finally:
        hasher.join()
    return h.hexdigest()


# A staging buffer, the bytes of it to hash, the bytes of it to write (None: no more).
_Item = tuple[memoryview, int, int] | None


class _StagePipeline:
    """Filled staging buffers, hashed in order on one thread and written in order on another.

    The caller copies pieces into one buffer while the hasher thread hashes the one
    before (still in the CPU's cache; ``update`` releases the GIL) and the writer thread
    waits on the device for the one before that (``os.write`` releases it too), so on a
    busy machine the save's work is spread over three threads. A failed write stops the
    writing; the error is raised to the caller at its next :meth:`take` or at
    :meth:`finish`. :attr:`sha256` holds the bytes given, in order.
    """

    def __init__(self, fd: int) -> None:
        self._fd = fd
        self.sha256 = hashlib.sha256()
        stages = [mmap.mmap(-1, _STAGE_BYTES, flags=_STAGE_MAP) for _ in range(_STAGES)]
        self._empty: queue.Queue[memoryview] = queue.Queue()
        for stage in stages:
            self._empty.put(memoryview(stage))
        self._to_hash: queue.Queue[_Item] = queue.Queue()
        self._to_write: queue.Queue[_Item] = queue.Queue()
        self._error: OSError | None = None
        self._threads = [
            threading.Thread(target=self._hash, name="hindsight-hash", daemon=True),
            threading.Thread(target=self._write, name="hindsight-disk", daemon=True),
        ]
        for thread in self._threads:
            thread.start()

    def take(self) -> memoryview:
        """An empty staging buffer (waits while all are on their way to the device)."""
        stage = self._empty.get()
        if self._error is not None:
            raise self._error
        return stage

    def put(self, stage: memoryview, length: int, padded: int) -> None:
        """Hash ``stage[:length]``, then write ``stage[:padded]`` (a multiple of the block)."""
        self._to_hash.put((stage, length, padded))

    def finish(self) -> None:
        """Wait until every buffer given is hashed and written; raises the first error."""
        self._to_hash.put(None)
        for thread in self._threads:
            thread.join()
        # The buffers are unmapped when the last view of them goes (closing them here
        # would fail while the caller still holds one).
        if self._error is not None:
            raise self._error

    def _hash(self) -> None:
        while (item := self._to_hash.get()) is not None:
            self.sha256.update(item[0][: item[1]])
            self._to_write.put(item)
        self._to_write.put(None)

    def _write(self) -> None:
        while (item := self._to_write.get()) is not None:
            stage, _, padded = item
            if self._error is None:
                try:
                    _write_all_direct(self._fd, stage[:padded])
                except OSError as err:
                    self._error = err
            self._empty.put(stage)  # even after an error, so take() never waits forever


def _write_direct(fd: int, pieces: Sequence[Piece]) -> str:
    pipeline = _StagePipeline(fd)
    try:
        stage, fill = pipeline.take(), 0
        total = 0
        for piece in pieces:
            n = len(piece)
            if fill + n < _STAGE_BYTES:  # most pieces: whole into the buffer
                stage[fill : fill + n] = piece
                fill += n
                continue
            data = memoryview(piece)
            while data:
                n = min(len(data), _STAGE_BYTES - fill)
                stage[fill : fill + n] = data[:n]
                fill += n
                data = data[n:]
                if fill == _STAGE_BYTES:
                    pipeline.put(stage, fill, fill)
                    total += fill
                    stage, fill = pipeline.take(), 0
        total += fill
        if fill:
            # The last block is written whole (O_DIRECT writes blocks), then cut to size.
            padded = -(-fill // _ALIGN) * _ALIGN
            stage[fill:padded] = bytes(padded - fill)
            pipeline.put(stage, fill, padded)
    finally:
        pipeline.finish()
    os.ftruncate(fd, total)
    return pipeline.sha256.hexdigest()


def _write_all_direct(fd: int, data: memoryview) -> None:
    # A short write (a nearly full disk) leaves a rest that may not be block-aligned; its
    # write then fails with EINVAL or ENOSPC, and either way the caller hears of it.
    while data:
        data = data[os.write(fd, data) :]


def _write_all(fd: int, pieces: Sequence[Piece]) -> None:
    done = 0
    if _WRITEV is not None:
        done = _WRITEV(fd, pieces)
    if done < sum(len(p) for p in pieces):
        # No writev (Windows), or a short write (a signal, a nearly full disk): the rest in
        # one buffer, until it is all written or the disk says why not.
        rest = memoryview(b"".join(pieces))[done:]
        while rest:
            rest = rest[os.write(fd, rest) :]


def start_writeout(fd: int) -> None:
    """Start the disk write of ``fd``'s dirty pages without waiting for it (Linux)."""
    if _sync_file_range is not None:
        _sync_file_range(fd, 0, 0, _SYNC_FILE_RANGE_WRITE)


def _load_sync_file_range() -> Callable[[int, int, int, int], int] | None:
    if sys.platform != "linux":
        return None
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        fn = libc.sync_file_range
    except (OSError, AttributeError):
        return None
    fn.argtypes = [ctypes.c_int, ctypes.c_int64, ctypes.c_int64, ctypes.c_uint]
    fn.restype = ctypes.c_int
    return cast(Callable[[int, int, int, int], int], fn)


_SYNC_FILE_RANGE_WRITE = 2
_sync_file_range = _load_sync_file_range()
#: :func:`start_writeout` does something here (Linux); elsewhere it is a no-op.
CAN_START_WRITEOUT = _sync_file_range is not None
