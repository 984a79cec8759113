"""Picture quality from a few sampled frames: how dark a clip is and whether it is letterboxed.

Cheap by design: it seeks to ``samples`` evenly spread points of the video and
decodes only the keyframe at each (the decoder skips every other frame), so a clip
of any length costs a handful of decodes. Luma is the Y plane as the file stores it
(limited range: black is 16).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["PictureSample", "sample_picture"]


@dataclass(frozen=True)
class PictureSample:
    """What the sampled frames showed: mean luma (0-255) and how many were letterboxed."""

    frames: int
    mean_luma: float
    letterboxed_frames: int

    @property
    def letterboxed_fraction(self) -> float:
        return self.letterboxed_frames / self.frames if self.frames else 0.0


def sample_picture(
    video: Path, *, samples: int, bar_luma: float, bar_min_fraction: float
) -> PictureSample:
    """Decode up to ``samples`` keyframes of ``video`` and measure them.

    A frame is letterboxed when both its top and bottom (or both its left and right)
    edges have bars at least ``bar_min_fraction`` of its height (width) deep whose
    rows (columns) average below ``bar_luma``, and something brighter lies between them
    (an all-black frame is dark, not letterboxed).
    """
    import av  # the media library only where pictures are read

    lumas: list[float] = []
    boxed = 0
    with av.open(str(video)) as container:
        stream = container.streams.video[0]
        stream.codec_context.skip_frame = "NONKEY"
        duration = _duration_pts(container, stream)
        seen: set[int] = set()
        for k in range(samples):
            target = stream.start_time or 0
            if duration:
                target += duration * k // samples
            container.seek(target, stream=stream, backward=True, any_frame=False)
            frame = next(container.decode(stream), None)
            if frame is None or frame.pts is None or frame.pts in seen:
                continue  # fewer keyframes than samples: each is measured once
            seen.add(frame.pts)
            luma = frame.to_ndarray(format="gray")
            lumas.append(float(luma.mean()))
            boxed += _letterboxed(luma, bar_luma, bar_min_fraction)
    mean = float(np.mean(lumas)) if lumas else 0.0
    return PictureSample(frames=len(lumas), mean_luma=mean, letterboxed_frames=boxed)


def _duration_pts(container: Any, stream: Any) -> int:
    """The video's length in its stream's time base (the container's length if it has none)."""
    if stream.duration:
        return int(stream.duration)
    total_us = container.duration or 0
    return int(total_us / 1_000_000 / stream.time_base) if stream.time_base else 0


def _letterboxed(luma: np.ndarray, bar_luma: float, bar_min_fraction: float) -> bool:
    rows = luma.mean(axis=1)
    cols = luma.mean(axis=0)
    return _bars(rows, bar_luma, bar_min_fraction) or _bars(cols, bar_luma, bar_min_fraction)


def _bars(profile: np.ndarray, bar_luma: float, bar_min_fraction: float) -> bool:
    """Dark runs at both ends of ``profile``, each deep enough, with light between them."""
    dark = profile < bar_luma
    if dark.all() or not (dark[0] and dark[-1]):
        return False
    lead = int(np.argmin(dark))  # first light line
    trail = int(np.argmin(dark[::-1]))
    need = max(1, int(len(profile) * bar_min_fraction))
    return lead >= need and trail >= need
