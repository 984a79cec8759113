"""Reading a clip's video back: what a player or a data team will actually find in it."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av

__all__ = ["MediaFacts", "read_media_facts"]


@dataclass(frozen=True)
class MediaFacts:
    """Facts read from the file itself (not from the manifest)."""

    frames: int
    first_is_keyframe: bool
    keyframes: int
    fps: Fraction
    width: int
    height: int
    codec: str
    duration_s: float
    pts_s: tuple[float, ...]
    cfr: bool


def read_media_facts(path: Path, decode: bool = False) -> MediaFacts:
    """Demux (and optionally decode) the first video stream of ``path``."""
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        tb = stream.time_base or Fraction(1, 1000)  # MP4 streams always carry one
        pts: list[float] = []
        keyframes = 0
        first_key = None
        decoded = 0
        for packet in container.demux(stream):
            if packet.size == 0 or packet.pts is None:
                continue
            if first_key is None:
                first_key = bool(packet.is_keyframe)
            keyframes += bool(packet.is_keyframe)
            pts.append(float(packet.pts * tb))
            if decode:
                decoded += len(packet.decode())
        pts.sort()
        fps = stream.average_rate or stream.guessed_rate or Fraction(0)
        period = 1 / float(fps) if fps else 0.0
        cfr = bool(period) and all(
            abs((b - a) - period) < 1e-4 for a, b in zip(pts, pts[1:], strict=False)
        )
        duration = (
            float(stream.duration * tb)
            if stream.duration
            else (pts[-1] - pts[0] + period if pts else 0.0)
        )
        return MediaFacts(
            frames=decoded if decode else len(pts),
            first_is_keyframe=bool(first_key),
            keyframes=keyframes,
            fps=Fraction(fps),
            width=stream.codec_context.width,
            height=stream.codec_context.height,
            codec=stream.codec_context.name,
            duration_s=duration,
            pts_s=tuple(pts),
            cfr=cfr,
        )
