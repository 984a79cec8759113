"""Encoded packets and the stream facts needed to remux them.

A packet holds its bytes, its pts/dts in the stream's time base, the keyframe flag
and ``t_ns``, the clock time at which the frame it encodes was observed. Every
packet points at the :class:`StreamParams` of the encoder that made it, so a ring
can hold packets from before and after an encoder fallback and export still knows
how to write each.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

__all__ = ["StreamParams", "EncodedPacket"]


@dataclass(frozen=True, eq=False)
class StreamParams:
    """What a muxer needs to write packets of one encoder run (identity-compared)."""

    kind: str  # "video" | "audio"
    codec: str  # codec name for the container, e.g. "h264"
    encoder: str  # the encoder that made the packets, e.g. "libx264"
    time_base: Fraction
    width: int = 0
    height: int = 0
    pix_fmt: str = ""
    extradata: bytes | None = None
    bit_rate: int = 0
    fps: int = 0
    sample_rate: int = 0
    channels: int = 0


@dataclass(frozen=True, slots=True)
class EncodedPacket:
    """One encoded packet; ``pts``/``dts``/``duration`` are in ``params.time_base``."""

    data: bytes
    pts: int
    dts: int
    keyframe: bool
    t_ns: int
    params: StreamParams
    duration: int = 1
    dup_frame: bool = False

    @property
    def size(self) -> int:
        return len(self.data)
