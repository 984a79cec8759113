"""Finding the tone backend's beeps in decoded sound (shared by the audio tests)."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np
import numpy.typing as npt

__all__ = ["decode_track", "onsets", "track_titles"]

RATE = 48_000


def decode_track(path: Path, index: int) -> npt.NDArray[np.float32]:
    """Audio track ``index`` (0 = the first audio stream) as mono float32, from the file's 0."""
    with av.open(str(path)) as container:
        stream = container.streams.audio[index]
        frames = [f.to_ndarray() for f in container.decode(stream)]
    return np.concatenate(frames, axis=1)[0].astype(np.float32)


def track_titles(path: Path) -> list[str]:
    with av.open(str(path)) as container:
        # MP4 keeps a track's title as its handler name and a udta "name" box.
        return [
            s.metadata.get("title") or s.metadata.get("name") or s.metadata.get("handler_name", "")
            for s in container.streams.audio
        ]


def onsets(
    samples: npt.NDArray[np.float32], threshold: float = 0.05, min_gap: int = RATE // 4
) -> list[int]:
    """Sample indexes where the signal first rises past ``threshold`` after a quiet spell."""
    loud = np.abs(samples) > threshold
    rises = np.flatnonzero(loud[1:] & ~loud[:-1]) + 1
    out: list[int] = []
    last_loud = -min_gap
    loud_idx = np.flatnonzero(loud)
    for r in rises:
        # quiet for min_gap before this rise
        prev = loud_idx[loud_idx < r]
        if len(prev) == 0 or r - prev[-1] >= min_gap:
            out.append(int(r))
        last_loud = r
    del last_loud
    return out
