"""Measuring audio/video sync in a saved clip: flash frames against beep onsets.

The stimulus (:mod:`tests.av.stimulus`) makes the screen flash and a beep sound at the
same clock moments. Here both are found again in a file read with PyAV:

* a **flash** is the first frame whose mean luma (over the middle of the picture)
  rises past a threshold after a dark spell. The flash is drawn as a :class:`Flash`:
  a step to ``step`` then a linear ramp to white over ``ramp_ms``, redrawn every
  millisecond, so the level of the first flash frame says how long the flash had
  been on when that frame was grabbed. Subtracting that moves the flash's onset
  from the frame grid (1/fps) to a fraction of a millisecond. Without the ramp the
  onset is the frame's time, good to one frame.
* a **beep** onset is the first sample whose magnitude passes a fraction of the
  beeps' peak after a quiet spell (a beep starts at its peak, a cosine, so the
  crossing is sample-accurate).

Each flash is paired with the nearest beep; the offset is audio minus video in ms
(positive: the sound comes late). :func:`summarize` gives median, spread (p90 - p10)
and drift (the offset's slope over the clip, ms per minute, robust to a stray pair).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from pathlib import Path

import av
import numpy as np
import numpy.typing as npt

__all__ = [
    "Flash",
    "FLASH",
    "BeepShape",
    "BEEP",
    "SyncSummary",
    "flash_onsets",
    "beep_onsets",
    "beep_lengths",
    "decode_audio",
    "pair",
    "summarize",
    "measure_clip",
]


@dataclass(frozen=True)
class Flash:
    """How a flash is drawn: grey ``base`` normally; at the onset a step to ``step``, then a
    linear rise to 255 over ``ramp_ms``, held white until ``length_ms`` after the onset."""

    base: int = 0
    step: int = 96
    ramp_ms: float = 60.0
    length_ms: float = 150.0

    def value_at(self, elapsed_ms: float) -> int:
        """The grey level drawn ``elapsed_ms`` after the onset (``base`` outside the flash)."""
        if elapsed_ms < 0 or elapsed_ms >= self.length_ms:
            return self.base
        if elapsed_ms >= self.ramp_ms:
            return 255
        return round(self.step + (255 - self.step) * elapsed_ms / self.ramp_ms)

    def elapsed_ms(self, fraction: float) -> float | None:
        """How long the flash had been on for a frame at ``fraction`` of the way from base to
        white; None when the frame is already white (the ramp says nothing)."""
        value = self.base + fraction * (255 - self.base)
        if value >= 255 - 0.02 * (255 - self.step):
            return None
        return max(0.0, (value - self.step) / (255 - self.step) * self.ramp_ms)


@dataclass(frozen=True)
class BeepShape:
    """A beep: a cosine of ``hz`` starting at its peak, ``length_ms`` long, ``amplitude``."""

    hz: float = 1000.0
    length_ms: float = 40.0
    amplitude: float = 0.5
    fade_ms: float = 2.0

    def samples(self, rate: int) -> npt.NDArray[np.float32]:
        n = round(self.length_ms * rate / 1000)
        t = np.arange(n) / rate
        wave = self.amplitude * np.cos(2 * math.pi * self.hz * t)
        fade = max(1, round(self.fade_ms * rate / 1000))
        wave[-fade:] *= np.linspace(1.0, 0.0, fade)
        return wave.astype(np.float32)


FLASH = Flash()
BEEP = BeepShape()


# ---- video -------------------------------------------------------------------------------


def _levels(path: Path, stream_index: int = 0) -> tuple[npt.NDArray[np.float64], list[float]]:
    """Mean luma of the middle half of each frame, and each frame's time (s) in the file."""
    means: list[float] = []
    times: list[float] = []
    with av.open(str(path)) as container:
        stream = container.streams.video[stream_index]
        stream.thread_type = "AUTO"
        for frame in container.decode(stream):
            plane = frame.planes[0]
            y = np.frombuffer(plane, np.uint8).reshape(plane.height, plane.line_size)
            h, w = frame.height, frame.width
            region = y[h // 4 : h - h // 4, w // 4 : w - w // 4]
            means.append(float(region.mean()))
            times.append(float(frame.time if frame.time is not None else 0.0))
    return np.asarray(means), times


def flash_onsets(
    path: Path, flash: Flash | None = FLASH, min_gap_s: float = 0.3
) -> tuple[list[float], list[float]]:
    """Flash onsets in ``path`` (seconds in the file): (refined by the ramp, frame times).

    With ``flash=None`` (or a frame already white) the refined onset is the frame time.
    """
    means, times = _levels(path)
    if len(means) < 2:
        return [], []
    dark = float(np.percentile(means, 5))
    white = float(means.max())
    if white - dark < 20:  # no flash at all
        return [], []
    threshold = dark + 0.15 * (white - dark)
    refined: list[float] = []
    frames: list[float] = []
    last_lit = -math.inf
    for i in range(1, len(means)):
        lit = means[i] > threshold
        if lit and means[i - 1] <= threshold and times[i] - last_lit >= min_gap_s:
            t = times[i]
            frames.append(t)
            elapsed = None
            if flash is not None:
                elapsed = flash.elapsed_ms((means[i] - dark) / (white - dark))
            refined.append(t - (elapsed or 0.0) / 1000)
        if lit:
            last_lit = times[i]
    return refined, frames


# ---- audio -------------------------------------------------------------------------------


def decode_audio(path: Path, track: int = 0) -> tuple[npt.NDArray[np.float32], float, int]:
    """Audio track ``track`` (0 = the first audio stream) as mono float32, the time (s) of its
    first sample in the file, and the sample rate."""
    chunks: list[tuple[float, npt.NDArray[np.float32]]] = []
    with av.open(str(path)) as container:
        stream = container.streams.audio[track]
        rate = int(stream.codec_context.sample_rate or stream.rate or 48_000)
        for frame in container.decode(stream):
            pcm = frame.to_ndarray()
            if pcm.ndim == 2 and frame.format.is_planar:
                mono = pcm[0]
            else:
                mono = pcm.reshape(-1, len(frame.layout.channels))[:, 0]
            chunks.append((float(frame.time or 0.0), mono.astype(np.float32)))
    if not chunks:
        return np.zeros(0, np.float32), 0.0, rate
    # Frames follow each other sample by sample (a container's time base may be coarser
    # than a sample, e.g. Matroska's millisecond): the first frame's time anchors them all.
    start = chunks[0][0]
    out = np.concatenate([mono for _, mono in chunks])
    return out, start, rate


def _bursts(
    samples: npt.NDArray[np.float32], rate: int, fraction: float, min_gap_s: float
) -> list[tuple[int, int]]:
    """(first, last) sample index of each loud burst preceded by ``min_gap_s`` of quiet."""
    peak = float(np.max(np.abs(samples))) if len(samples) else 0.0
    if peak < 1e-3:
        return []
    loud = np.flatnonzero(np.abs(samples) > fraction * peak)
    if not len(loud):
        return []
    gap = round(min_gap_s * rate)
    splits = np.flatnonzero(np.diff(loud) >= gap) + 1
    starts = np.concatenate(([0], splits))
    ends = np.concatenate((splits - 1, [len(loud) - 1]))
    edge = rate // 1000  # a burst loud from the track's first millisecond was cut: no onset
    return [
        (int(loud[s]), int(loud[e])) for s, e in zip(starts, ends, strict=True) if loud[s] >= edge
    ]


def beep_onsets(
    path: Path, track: int = 0, fraction: float = 0.4, min_gap_s: float = 0.3
) -> list[float]:
    """Beep onsets (seconds in the file) on audio track ``track``, sample-accurate."""
    samples, start, rate = decode_audio(path, track)
    return [start + first / rate for first, _ in _bursts(samples, rate, fraction, min_gap_s)]


def beep_lengths(
    path: Path, track: int = 0, fraction: float = 0.4, min_gap_s: float = 0.3
) -> list[tuple[float, float]]:
    """(onset s, length ms) of each beep: from its first to its last loud sample, plus the
    quarter period a cosine spends below the threshold at its end."""
    samples, start, rate = decode_audio(path, track)
    return [
        (start + first / rate, (last - first + 1) / rate * 1000)
        for first, last in _bursts(samples, rate, fraction, min_gap_s)
    ]


# ---- pairing and summary -----------------------------------------------------------------


def pair(
    video_s: list[float], audio_s: list[float], max_ms: float = 250.0
) -> list[tuple[float, float]]:
    """(video, audio) onsets paired nearest-first; each onset is used at most once."""
    pairs: list[tuple[float, float]] = []
    if not audio_s:
        return pairs
    audio = np.asarray(sorted(audio_s))
    used: set[int] = set()
    for v in sorted(video_s):
        i = int(np.argmin(np.abs(audio - v)))
        if i in used or abs(audio[i] - v) * 1000 > max_ms:
            continue
        used.add(i)
        pairs.append((v, float(audio[i])))
    return pairs


@dataclass(frozen=True)
class SyncSummary:
    pairs: int
    median_ms: float
    spread_ms: float  # p90 - p10
    p10_ms: float
    p90_ms: float
    min_ms: float
    max_ms: float
    drift_ms_per_min: float  # slope of the offset over the clip (Theil-Sen)
    offsets_ms: tuple[float, ...]

    def as_dict(self, with_offsets: bool = False) -> dict:
        out = asdict(self)
        if not with_offsets:
            out.pop("offsets_ms")
        return out


def summarize(pairs: list[tuple[float, float]]) -> SyncSummary:
    if not pairs:
        raise ValueError("no flash/beep pairs to summarize")
    t = np.asarray([v for v, _ in pairs])
    off = np.asarray([(a - v) * 1000 for v, a in pairs])
    p10, p50, p90 = (float(np.percentile(off, q)) for q in (10, 50, 90))
    drift = 0.0
    if len(pairs) >= 3 and float(np.ptp(t)) > 1.0:
        # Theil-Sen: the median of the slopes between every two pairs, so one stray pair
        # (a frame grabbed late) does not tilt the whole line
        i, j = np.triu_indices(len(t), k=1)
        far = np.abs(t[j] - t[i]) > 0.5
        drift = float(np.median((off[j] - off[i])[far] / (t[j] - t[i])[far])) * 60
    return SyncSummary(
        pairs=len(pairs),
        median_ms=round(p50, 3),
        spread_ms=round(p90 - p10, 3),
        p10_ms=round(p10, 3),
        p90_ms=round(p90, 3),
        min_ms=round(float(off.min()), 3),
        max_ms=round(float(off.max()), 3),
        drift_ms_per_min=round(drift, 3),
        offsets_ms=tuple(round(float(o), 3) for o in off),
    )


def measure_clip(
    path: Path, flash: Flash | None = FLASH, track: int = 0
) -> tuple[SyncSummary, SyncSummary]:
    """(sub-frame summary using the flash ramp, frame-grid summary) for a clip."""
    refined, frames = flash_onsets(path, flash)
    beeps = beep_onsets(path, track)
    by_ramp = summarize(pair(refined, beeps))
    by_frame = summarize(pair(frames, beeps))
    return by_ramp, by_frame
