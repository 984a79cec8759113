"""Where the clips come from: a folder of bundles (an ``s3://bucket/prefix`` follows).

A :class:`ClipRef` is small and picklable, so it travels to a pool worker or a Ray
task; :meth:`ClipRef.local` gives the clip as a local folder for the length of one
per-clip call. For a folder that is the bundle itself, never copied.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from hindsight.bundle import MANIFEST_FILE

__all__ = ["ClipRef", "ClipSource", "FolderSource", "open_source"]


@dataclass(frozen=True)
class ClipRef:
    """One clip of a source: ``name`` is its folder's name, ``where`` where it is."""

    name: str
    where: str

    @contextlib.contextmanager
    def local(self) -> Iterator[Path]:
        yield Path(self.where)


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


def open_source(spec: str) -> ClipSource:
    """The source ``spec`` names: a folder path."""
    root = Path(spec)
    if not root.is_dir():
        raise FileNotFoundError(f"{spec}: no such folder")
    return FolderSource(root)
