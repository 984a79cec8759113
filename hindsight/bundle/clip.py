"""The types a saved clip is made of: its frame span, what contributors add, the finished bundle.

These are the seam between the recorder (which writes a clip), the outputs attached
to it (library, uploader, overlays) and every reader; they import nothing heavy.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

__all__ = ["ClipSpan", "Contribution", "BundleContributor", "SavedClip"]


@dataclass(frozen=True)
class ClipSpan:
    """The exact frames of a clip on the clock: frame ``i`` was observed at ``frame_t_ns[i]``."""

    clip_id: str
    fps: int
    frame_t_ns: tuple[int, ...]
    dup_frames: tuple[bool, ...]

    @property
    def start_t_ns(self) -> int:
        return self.frame_t_ns[0]

    @property
    def end_t_ns(self) -> int:
        """End of the last frame's interval (its start plus one frame period)."""
        return self.frame_t_ns[-1] + 1_000_000_000 // self.fps


@dataclass(frozen=True)
class Contribution:
    """Files (name -> bytes) and manifest sections a contributor adds to a bundle."""

    files: Mapping[str, bytes] = field(default_factory=dict)
    manifest: Mapping[str, Any] = field(default_factory=dict)


class BundleContributor(Protocol):
    def contribute(self, span: ClipSpan) -> Contribution: ...


@dataclass(frozen=True)
class SavedClip:
    """A finished bundle: where it is and what its manifest says."""

    path: Path
    clip_id: str
    manifest: dict[str, Any]

    @property
    def video_path(self) -> Path:
        return self.path / "video.mp4"
