"""The types a saved clip is made of: its frame span, what contributors add, the finished bundle.

These are the seam between the recorder (which writes a clip), the outputs attached
to it (library, uploader, overlays) and every reader; they import nothing heavy.
"""

from __future__ import annotations

import types
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Protocol

from hindsight.bundle.manifest import (
    ActionMapPin,
    CaptureFacts,
    Consent,
    GameInfo,
    Manifest,
    Redaction,
    TrackFacts,
)

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
    """Files (name -> bytes) and manifest facts a contributor adds; ``None`` adds nothing."""

    files: Mapping[str, bytes] = field(default_factory=lambda: types.MappingProxyType({}))
    game: GameInfo | None = None
    action_map: ActionMapPin | None = None
    track: TrackFacts | None = None
    redaction: Redaction | None = None
    consent: Consent | None = None
    capture: CaptureFacts | None = None

    def applied_to(self, manifest: Manifest) -> Manifest:
        """``manifest`` with these facts added (the writer lists the files, hashing them)."""
        privacy = manifest.privacy
        if self.redaction is not None:
            privacy = privacy.with_redaction(self.redaction)
        if self.consent is not None:
            privacy = privacy.with_consent(self.consent)
        return replace(
            manifest,
            game=self.game or manifest.game,
            action_map=self.action_map or manifest.action_map,
            track=self.track or manifest.track,
            capture=self.capture or manifest.capture,
            privacy=privacy,
        )


class BundleContributor(Protocol):
    def contribute(self, span: ClipSpan) -> Contribution: ...


@dataclass(frozen=True)
class SavedClip:
    """A finished bundle: where it is and what its manifest says."""

    path: Path
    clip_id: str
    manifest: Manifest

    @property
    def video_path(self) -> Path:
        return self.path / self.manifest.video.file
