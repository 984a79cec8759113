"""What a running recorder answers to a ``clip`` request, typed, with one JSON form.

Apart from :mod:`hindsight.recorder.status` so that ``hindsight clip`` reads its reply
without building every status class.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from hindsight.recorder.errors import ControlError
from hindsight.recorder.reply_fields import from_known

if TYPE_CHECKING:  # `hindsight clip` reads the reply without the clip format
    from hindsight.bundle import SavedClip

__all__ = ["ClipReply"]


@dataclass(frozen=True)
class ClipReply:
    """What ``hindsight clip`` hears back: where the clip is and what it holds."""

    path: str
    clip_id: str
    frames: int
    dup_frames: int
    duration_s: float
    encoder: str
    width: int
    height: int
    fps: int
    merged: int  # presses that joined this save while it was in flight

    @classmethod
    def from_clip(cls, clip: SavedClip, merged: int) -> ClipReply:
        video = clip.manifest.video
        return cls(
            path=str(clip.path),
            clip_id=clip.clip_id,
            frames=video.frames,
            dup_frames=video.dup_frames,
            duration_s=video.duration_s,
            encoder=video.encoder,
            width=video.width,
            height=video.height,
            fps=video.fps,
            merged=merged,
        )

    def to_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ClipReply:
        try:
            return from_known(cls, data)
        except (TypeError, AttributeError) as err:
            raise ControlError(f"the recorder's clip reply could not be read: {err}") from None
