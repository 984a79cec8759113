"""Encoded packets and the stream facts needed to remux them.

A packet holds its bytes, its pts/dts in the stream's time base, the keyframe flag
and ``t_ns``, the clock time at which the frame it encodes was observed. Every
packet points at the :class:`StreamParams` of the encoder that made it, so a ring
can hold packets from before and after an encoder fallback and export still knows
how to write each.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

from hindsight.clock import NS_PER_S

__all__ = ["StreamParams", "EncodedPacket", "annexb_units", "nal_units", "grid_start_ns"]


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
    # Where each NAL unit of an H.264 packet in Annex B form starts and ends, flat:
    # (start0, end0, start1, end1, ...). Found by the encoder thread as the packet is made
    # (a scan of the bytes), so a save does not scan a whole clip at once.
    units: tuple[int, ...] | None = None

    @property
    def size(self) -> int:
        return len(self.data)


def annexb_units(data: bytes) -> tuple[int, ...] | None:
    """The NAL units of an Annex B access unit as flat (start, end) offsets; None: not Annex B.

    A unit ends where the next start code begins; a four-byte start code's leading zero
    belongs to the start code (as FFmpeg reads it). Emulation prevention keeps
    ``00 00 01`` out of every unit, so the scan cannot cut one short.
    """
    if data.startswith(b"\x00\x00\x00\x01"):
        start = 4
    elif data.startswith(b"\x00\x00\x01"):
        start = 3
    else:
        return None
    bounds: list[int] = []
    while True:
        nxt = data.find(b"\x00\x00\x01", start)
        if nxt < 0:
            bounds += (start, len(data))
            return tuple(bounds)
        bounds += (start, nxt - 1 if nxt > start and data[nxt - 1] == 0 else nxt)
        start = nxt + 3


def nal_units(data: bytes, known: tuple[int, ...] | None = None) -> list[memoryview] | None:
    """The NAL units of an Annex B access unit as views of ``data`` (None: not Annex B);
    ``known`` is :func:`annexb_units`' answer when it was found before."""
    bounds = known if known is not None else annexb_units(data)
    if bounds is None:
        return None
    view = memoryview(data)
    return [view[bounds[i] : bounds[i + 1]] for i in range(0, len(bounds), 2)]


def grid_start_ns(packets: Sequence[EncodedPacket]) -> int:
    """The clock time of the first packet's frame, read off the whole clip's frame grid.

    In the file every frame sits on the fixed grid its pts gives, but each packet's
    ``t_ns`` is its own grab's time, and a busy machine makes single grabs late by tens
    of milliseconds. Anchoring the sound on the first frame alone would shift the whole
    clip's sound by that one grab's lateness. The median over the clip of ``t_ns`` minus
    the frame's place on the grid is the delay most grabs had, which one late grab
    cannot move. Repeated frames (``dup_frame``) carry no grab of their own and are left
    out.
    """
    if not packets:
        raise ValueError("no packets")
    base = packets[0].pts
    offsets = sorted(
        p.t_ns
        - (p.pts - base) * p.params.time_base.numerator * NS_PER_S // p.params.time_base.denominator
        for p in packets
        if not p.dup_frame
    )
    return offsets[len(offsets) // 2] if offsets else packets[0].t_ns
