"""Where the clips come from: a folder of bundles or an ``s3://bucket/prefix`` of uploaded ones.

A :class:`ClipRef` is small and picklable, so it travels to a pool worker or a Ray
task; :meth:`ClipRef.local` gives the clip as a local folder for the length of one
per-clip call. For a folder that is the bundle itself, never copied; for S3 it is a
private temp folder the clip's objects are streamed into, deleted after the call.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from hindsight.bundle import MANIFEST_FILE
from hindsight.dataset.errors import DatasetError

__all__ = ["ClipRef", "ClipSource", "FolderSource", "S3Source", "open_source"]


@dataclass(frozen=True)
class ClipRef:
    """One clip of a source: ``name`` says which to people (a folder's name, or
    ``<game-id>/<clip_id>`` in a bucket), ``where`` is a folder path or an ``s3://`` URL;
    ``endpoint_url`` names the S3 server of an ``s3://`` clip (None: the AWS chain's)."""

    name: str
    where: str
    endpoint_url: str | None = None

    @contextlib.contextmanager
    def local(self) -> Iterator[Path]:
        from hindsight.dataset import s3

        if not s3.is_s3_url(self.where):
            yield Path(self.where)
            return
        loc = s3.parse_s3_url(self.where, self.endpoint_url)
        with s3.local_clip(s3.S3Location(loc.bucket, "", loc.endpoint_url), loc.prefix) as folder:
            yield folder


class ClipSource:
    """The clips of one place, in a stable order (by where they are)."""

    spec: str

    def clips(self) -> list[ClipRef]:
        raise NotImplementedError


@dataclass(frozen=True)
class FolderSource(ClipSource):
    """Every bundle (a folder holding a manifest) at any depth under ``root``."""

    root: Path

    @property
    def spec(self) -> str:  # type: ignore[override]
        return str(self.root)

    def clips(self) -> list[ClipRef]:
        found = sorted(p.parent for p in self.root.rglob(MANIFEST_FILE))
        return [ClipRef(name=p.name, where=str(p)) for p in found]


@dataclass(frozen=True)
class S3Source(ClipSource):
    """Every uploaded clip (``<prefix>/<game-id>/<clip_id>/``) whose manifest is in."""

    url: str
    endpoint_url: str | None = None

    @property
    def spec(self) -> str:  # type: ignore[override]
        return self.url

    def clips(self) -> list[ClipRef]:
        from hindsight.dataset import s3

        loc = s3.parse_s3_url(self.url, self.endpoint_url)
        top = loc.key_prefix()
        return [
            ClipRef(
                name=key[len(top) :],
                where=f"s3://{loc.bucket}/{key}",
                endpoint_url=self.endpoint_url,
            )
            for key in s3.list_clip_prefixes(loc)
        ]


def open_source(spec: str, *, endpoint_url: str | None = None) -> ClipSource:
    """The source ``spec`` names: an ``s3://bucket/prefix`` or a folder path.

    ``endpoint_url`` names the S3 server (default: the AWS chain's). A
    :class:`DatasetError` says why ``spec`` is neither.
    """
    from hindsight.dataset import s3

    if s3.is_s3_url(spec):
        s3.parse_s3_url(spec)  # a malformed URL is refused here, before any work
        return S3Source(spec, endpoint_url)
    if "://" in spec:
        raise DatasetError(f"{spec}: not a folder, and only s3:// URLs are read")
    root = Path(spec)
    if not root.is_dir():
        raise DatasetError(f"{spec}: no such folder (give a folder of clips or s3://bucket/prefix)")
    return FolderSource(root)
