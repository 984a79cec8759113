"""``hindsight dataset export --format webdataset``: clips as WebDataset tar shards.

One sample per clip, its key the clip id (a UUID: no dots, so ``webdataset`` splits
key and extension where we mean): ``<clip_id>.mp4``, ``<clip_id>.actions.parquet``,
``<clip_id>.json`` (what may leave in them: :mod:`~hindsight.dataset.webdataset_sample`).
Samples fill shards ``shard-000000.tar`` ... in the source's order, each shard up to
about ``shard_bytes`` (a sample is never split; one larger than a shard gets a shard of
its own) with its members sorted by key. Each shard has ``shard-000000.index.parquet``:
the index columns (:data:`~hindsight.dataset.index.INDEX_SCHEMA`, overlap groups over
the whole export) plus the shard's name, so curators filter without opening a tar.

The per-clip step (staging a sample) runs through the engine; the parent writes each
shard with :mod:`tarfile` as soon as it is full, while the engine stages the next
samples, and drops the shard's staged files (so staging never holds more than a shard
of copies from a remote source). Overlap groups need every clip, so the shard indexes
are written last. Each file is a ``.part`` renamed when whole; an export that fails
removes what it wrote. The output folder must be new or empty; a source clip is never
modified.
"""

from __future__ import annotations

import shutil
import tarfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from hindsight.dataset.engine import ClipFailed, Engine
from hindsight.dataset.errors import DatasetError
from hindsight.dataset.index import INDEX_SCHEMA, IndexOptions, group_rows
from hindsight.dataset.source import ClipRef
from hindsight.dataset.webdataset_sample import StageOptions, stage_sample

__all__ = [
    "SHARD_SCHEMA",
    "WebDatasetOptions",
    "WebDatasetSummary",
    "export_webdataset",
    "shard_name",
]

GB = 1_000_000_000
_BLOCK = 512  # tar's record unit: every member has a header block and is padded to blocks
SHARD_SCHEMA = INDEX_SCHEMA.append(pa.field("shard", pa.string()))
_STAGING = ".staging"
_COPY = 1 << 20  # bytes per read while copying a member: fewer calls than the 16 KiB default


@dataclass(frozen=True)
class WebDatasetOptions:
    """What a WebDataset export writes. Every ``include_*`` is off by default and, when on,
    applies only to clips whose recorded facts allow it."""

    shard_bytes: int = GB  # a shard is closed before it would grow past this
    include_events: bool = False  # the sub-frame events.parquet, where the player shared it
    include_mic: bool = False  # microphone audio, where the clip has a dataset consent
    include_contributor: bool = False  # the pseudonym in the .json, where consented
    index: IndexOptions = field(default_factory=IndexOptions)

    def __post_init__(self) -> None:
        if self.shard_bytes < 1:
            raise DatasetError(f"shard size {self.shard_bytes}: must be at least one byte")


@dataclass(frozen=True)
class WebDatasetSummary:
    """What an export wrote: its shards (with their index files), samples, bytes and failures."""

    out_dir: Path
    shards: list[Path]
    samples: int
    bytes: int
    failed: list[ClipFailed]


def shard_name(n: int) -> str:
    return f"shard-{n:06d}"


def export_webdataset(
    clips: Sequence[ClipRef],
    out_dir: Path,
    options: WebDatasetOptions,
    engine: Engine,
) -> WebDatasetSummary:
    """Export ``clips`` to WebDataset shards in ``out_dir`` (made if missing, must be empty).

    Each clip is staged by :func:`~hindsight.dataset.webdataset_sample.stage_sample`
    through ``engine``; a clip that cannot be read is skipped and listed in ``failed``. Raises
    :class:`DatasetError` when ``out_dir`` cannot be used or two clips claim one id.
    """
    out_dir = Path(out_dir)
    _prepare(out_dir)
    staging = out_dir / _STAGING
    stage = StageOptions(
        staging=str(staging),
        include_events=options.include_events,
        include_mic=options.include_mic,
        include_contributor=options.include_contributor,
        index=options.index,
    )
    shards: list[list[dict[str, Any]]] = []
    written: list[Path] = []
    try:
        failed: list[ClipFailed] = []
        seen: dict[str, str] = {}
        pending: list[dict[str, Any]] = []
        size = total = 0
        for clip, result in zip(clips, engine.map(stage_sample, clips, stage), strict=True):
            if isinstance(result, ClipFailed):
                failed.append(result)
                continue
            result["row"]["where"] = clip.where
            _check_unique(seen, result)
            need = _sample_bytes(result)
            if pending and _tar_bytes(size + need) > options.shard_bytes:
                total += _flush(out_dir, len(shards), pending, written)
                shards.append(pending)
                pending, size = [], 0
            pending.append(result)
            size += need
        if pending:
            total += _flush(out_dir, len(shards), pending, written)
            shards.append(pending)
        group_rows([sample["row"] for shard in shards for sample in shard])
        for n, shard in enumerate(shards):
            index = out_dir / f"{shard_name(n)}.index.parquet"
            _write_shard_index(index, shard, f"{shard_name(n)}.tar")
            written.append(index)
    except BaseException:
        for path in written:
            path.unlink(missing_ok=True)
        raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    tars = [p for p in written if p.suffix == ".tar"]
    return WebDatasetSummary(out_dir, tars, sum(len(s) for s in shards), total, failed)


def _flush(out_dir: Path, n: int, samples: list[dict[str, Any]], written: list[Path]) -> int:
    """Write shard ``n`` of ``samples``, then drop their staged files; the shard's size."""
    path = out_dir / f"{shard_name(n)}.tar"
    size = _write_shard(path, samples)
    written.append(path)
    for sample in samples:
        shutil.rmtree(sample["folder"], ignore_errors=True)
    return size


def _prepare(out_dir: Path) -> None:
    if out_dir.exists() and not out_dir.is_dir():
        raise DatasetError(f"{out_dir}: is a file, not a folder for shards")
    if out_dir.is_dir() and any(out_dir.iterdir()):
        raise DatasetError(f"{out_dir}: is not empty (an export never overwrites one)")
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise DatasetError(f"{out_dir}: cannot be made ({err.strerror or err})") from None


def _check_unique(seen: dict[str, str], sample: dict[str, Any]) -> None:
    where = sample["row"]["where"]
    if sample["key"] in seen:
        raise DatasetError(f"clip id {sample['key']} is in both {seen[sample['key']]} and {where}")
    seen[sample["key"]] = where


def _member_bytes(size: int) -> int:
    return _BLOCK + -(-size // _BLOCK) * _BLOCK


def _tar_bytes(members: int) -> int:
    """A tar's size around members of these bytes: two zero blocks end it, and the whole is
    padded to tar's record size."""
    return -(-(members + 2 * _BLOCK) // tarfile.RECORDSIZE) * tarfile.RECORDSIZE


def _sample_bytes(sample: dict[str, Any]) -> int:
    return sum(_member_bytes(Path(p).stat().st_size) for p in sample["files"].values())


def _write_shard(path: Path, samples: list[dict[str, Any]]) -> int:
    """Write one tar (members sorted by name, so by key) whole or not at all; its size."""
    part = path.with_name(path.name + ".part")
    members = sorted(
        (f"{s['key']}.{ext}", Path(p)) for s in samples for ext, p in s["files"].items()
    )
    try:
        with tarfile.TarFile(part, "w", format=tarfile.USTAR_FORMAT, copybufsize=_COPY) as tar:
            for name, file in members:
                info = tarfile.TarInfo(name)
                info.size = file.stat().st_size
                info.mode = 0o644
                info.mtime = 0  # the same clips give the same bytes
                with open(file, "rb") as fh:
                    tar.addfile(info, fh)
        part.replace(path)
    except OSError as err:
        part.unlink(missing_ok=True)
        raise DatasetError(f"{path}: cannot be written ({err.strerror or err})") from None
    return path.stat().st_size


def _write_shard_index(path: Path, samples: list[dict[str, Any]], shard: str) -> None:
    rows = [{**s["row"], "shard": shard} for s in samples]
    pq.write_table(pa.Table.from_pylist(rows, schema=SHARD_SCHEMA), path)
