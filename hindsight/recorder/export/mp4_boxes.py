"""The boxes of a clip's MP4 (ISO BMFF): the file type, the index (moov) of one video
and some sound tracks, their sample entries.

What FFmpeg's MP4 muxer writes for the same streams, box for box where a reader could
tell: the same time scales, durations rounded as it rounds them, an edit list on every
track, AAC's roll group, the first track of each kind enabled, titles in the handler
and the track's user data. Every sample is its own chunk, so a sample's place in the
file is all the index needs to say about the order the writer chose.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import Any

import numpy as np

from hindsight.recorder.packet import StreamParams, nal_units

__all__ = [
    "TrackIndex",
    "avc1_entry",
    "avcc_body",
    "file_type",
    "mdat_header",
    "moov",
    "mp4a_entry",
    "stts",
    "video_timescale",
]

_MOVIE_TIMESCALE = 1000  # mvhd and tkhd durations in milliseconds, as FFmpeg writes them
_MATRIX = struct.pack(">9I", 0x10000, 0, 0, 0, 0x10000, 0, 0, 0, 0x40000000)


@dataclass
class TrackIndex:
    """One track's part of the index, but for its samples' sizes and places."""

    handler: bytes  # b"vide" | b"soun"
    timescale: int
    stts: bytes  # the samples' durations (in timescale), as the box
    sample_entry: bytes  # the stsd's one entry
    start: int  # first sample's time in the file, in timescale (negative: pre-roll)
    title: str
    sync: list[int] | None = None  # 1-based keyframe numbers (video)
    width: int = 0
    height: int = 0
    media: int = 0  # the samples' total duration, in timescale


def _box(kind: bytes, *parts: bytes) -> bytes:
    body = b"".join(parts)
    return struct.pack(">I4s", 8 + len(body), kind) + body


def _full(kind: bytes, version: int, flags: int, *parts: bytes) -> bytes:
    return _box(kind, struct.pack(">I", (version << 24) | flags), *parts)


def file_type() -> bytes:
    return _box(b"ftyp", b"isom", struct.pack(">I", 0x200), b"isomiso2avc1mp41")


def mdat_header(payload: int) -> bytes:
    """The media box's header for ``payload`` bytes (64-bit size past 4 GiB)."""
    if payload + 8 >= 2**32:
        return struct.pack(">I4sQ", 1, b"mdat", payload + 16)
    return struct.pack(">I4s", payload + 8, b"mdat")


def avcc_body(params: StreamParams) -> bytes | None:
    """The avcC box body from Annex B parameter sets (None: they are not there)."""
    units = nal_units(params.extradata or b"")
    if not units:
        return None
    sps = [bytes(u) for u in units if u and u[0] & 0x1F == 7]
    pps = [bytes(u) for u in units if u and u[0] & 0x1F == 8]
    if not sps or not pps:
        return None
    profile = sps[0][1]
    out = bytes([1, profile, sps[0][2], sps[0][3], 0xFF, 0xE0 | len(sps)])
    out += b"".join(struct.pack(">H", len(s)) + s for s in sps)
    out += bytes([len(pps)]) + b"".join(struct.pack(">H", len(p)) + p for p in pps)
    if profile not in (66, 77, 88):  # high profiles: chroma 4:2:0, 8-bit luma and chroma
        out += bytes([0xFC | 1, 0xF8, 0xF8, 0])
    return out


def _descriptor(tag: int, body: bytes) -> bytes:
    n = len(body)  # the 4-byte form of the size, as FFmpeg writes it
    return bytes(
        [tag, 0x80 | (n >> 21 & 0x7F), 0x80 | (n >> 14 & 0x7F), 0x80 | (n >> 7 & 0x7F)]
    ) + (bytes([n & 0x7F]) + body)


def mp4a_entry(params: StreamParams, track_id: int) -> bytes:
    config = _descriptor(
        4,
        bytes([0x40, 0x15])
        + (0).to_bytes(3, "big")
        + struct.pack(">II", params.bit_rate, params.bit_rate)
        + _descriptor(5, params.extradata or b""),
    )
    esds = _full(
        b"esds",
        0,
        0,
        _descriptor(3, struct.pack(">HB", track_id, 0) + config + _descriptor(6, b"\x02")),
    )
    entry = bytes(6) + struct.pack(
        ">HHH4sHHHHI", 1, 0, 0, bytes(4), params.channels or 2, 16, 0, 0, 0
    )
    return _box(b"mp4a", entry[:-4] + struct.pack(">I", params.sample_rate << 16), esds)


def avc1_entry(params: StreamParams, avcc: bytes) -> bytes:
    entry = bytes(6) + struct.pack(">H", 1) + bytes(16)
    entry += struct.pack(">HHIII", params.width, params.height, 0x480000, 0x480000, 0)
    entry += struct.pack(">H", 1) + bytes(32) + struct.pack(">Hh", 0x18, -1)
    return _box(b"avc1", entry, _box(b"avcC", avcc))


def video_timescale(fps: int) -> int:
    scale = fps  # FFmpeg's rule, so clips keep the time base they always had
    while scale < 10_000:
        scale *= 2
    return scale


def moov(
    tracks: list[TrackIndex], sizes: list[Any], starts: list[Any], first: int, wide: bool
) -> bytes:
    traks, longest_ms = [], 0
    for n, track in enumerate(tracks):
        offsets = starts[n] + first
        trak, ms = _trak(track, n + 1, sizes[n], offsets, wide, enabled=n <= 1)
        traks.append(trak)
        longest_ms = max(longest_ms, ms)
    mvhd = _full(
        b"mvhd",
        0,
        0,
        struct.pack(">IIII", 0, 0, _MOVIE_TIMESCALE, longest_ms),
        struct.pack(">IH", 0x10000, 0x100) + bytes(10) + _MATRIX + bytes(24),
        struct.pack(">I", len(tracks) + 1),
    )
    return _box(b"moov", mvhd, *traks)


def _trak(
    t: TrackIndex, track_id: int, sizes: Any, offsets: Any, wide: bool, enabled: bool
) -> tuple[bytes, int]:
    n = len(sizes)
    skip = max(0, -t.start)  # pre-roll before the first frame: in the file, not played
    delay = max(0, t.start)  # sound that starts after the first frame waits in an empty edit
    # FFmpeg's rounding, so a reader sees the durations it always saw: the played part
    # rounded up; the edit, the whole media rounded up less the skipped part rounded up.
    shown_ms = _ms_up(t.media - skip, t.timescale)
    edit_ms = _ms_up(t.media, t.timescale) - _ms_up(skip, t.timescale)
    delay_ms = round(delay * _MOVIE_TIMESCALE / t.timescale)
    edits = [(delay_ms, -1)] if delay_ms else []
    edits.append((edit_ms, skip))
    elst = _full(
        b"elst",
        0,
        0,
        struct.pack(">I", len(edits)),
        *(struct.pack(">Iii", d, m, 0x10000) for d, m in edits),
    )
    total_ms = delay_ms + shown_ms
    sound = t.handler == b"soun"
    tkhd = _full(
        b"tkhd",
        0,
        3 if enabled else 2,  # FFmpeg enables the first track of each kind, as players expect
        struct.pack(">IIIII", 0, 0, track_id, 0, total_ms),
        bytes(8),
        struct.pack(">hhhH", 0, 1 if sound else 0, 0x100 if sound else 0, 0),
        _MATRIX,
        struct.pack(">II", t.width << 16, t.height << 16),
    )
    mdhd = _full(b"mdhd", 0, 0, struct.pack(">IIIIHH", 0, 0, t.timescale, t.media, 0x55C4, 0))
    name = (t.title or ("SoundHandler" if sound else "VideoHandler")).encode()
    hdlr = _full(b"hdlr", 0, 0, bytes(4), t.handler, bytes(12), name + b"\x00")
    head = _full(b"smhd", 0, 0, bytes(4)) if sound else _full(b"vmhd", 0, 1, bytes(8))
    dinf = _box(b"dinf", _full(b"dref", 0, 0, struct.pack(">I", 1), _full(b"url ", 0, 1)))
    stbl = [_full(b"stsd", 0, 0, struct.pack(">I", 1), t.sample_entry), t.stts]
    if t.sync is not None and len(t.sync) < n:
        keys = struct.pack(">I", len(t.sync)) + np.asarray(t.sync, dtype=">u4").tobytes()
        stbl.append(_full(b"stss", 0, 0, keys))
    stbl += [
        _full(b"stsc", 0, 0, struct.pack(">IIII", 1, 1, 1, 1)),  # one sample per chunk
        _full(b"stsz", 0, 0, struct.pack(">II", 0, n), np.asarray(sizes, dtype=">u4").tobytes()),
        _full(
            b"co64" if wide else b"stco",
            0,
            0,
            struct.pack(">I", n),
            np.asarray(offsets, dtype=">u8" if wide else ">u4").tobytes(),
        ),
    ]
    if sound:  # AAC decodes a frame only with the one before it: the roll group says so
        stbl.append(_full(b"sgpd", 1, 0, b"roll", struct.pack(">IIh", 2, 1, -1)))
        stbl.append(_full(b"sbgp", 0, 0, b"roll", struct.pack(">III", 1, n, 1)))
    minf = _box(b"minf", head, dinf, _box(b"stbl", *stbl))
    parts = [tkhd, _box(b"edts", elst), _box(b"mdia", mdhd, hdlr, minf)]
    if t.title:
        parts.append(_box(b"udta", _box(b"name", t.title.encode())))
    return _box(b"trak", *parts), total_ms


def _ms_up(ticks: int, timescale: int) -> int:
    return -(-ticks * _MOVIE_TIMESCALE // timescale)


def stts(durations: list[int]) -> bytes:
    """The stts box: (count, duration) for each run of equal durations."""
    runs: list[list[int]] = []
    for d in durations:
        if runs and runs[-1][1] == d:
            runs[-1][0] += 1
        else:
            runs.append([1, d])
    body = b"".join(struct.pack(">II", c, d) for c, d in runs)
    return _full(b"stts", 0, 0, struct.pack(">I", len(runs)), body)
