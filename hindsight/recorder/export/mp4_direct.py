"""Writing a clip's MP4 straight from ring packets, without a muxer in between.

A save's two big costs are putting some 45 MB into the file and hashing the file for
the manifest. Through a muxer the bytes are copied into its buffer packet by packet
and the hash can only start once the file is closed, because the index (moov) is
written last, at the front. Here the index is built first, from the packets' sizes
and times, so the whole file is known before a byte of it is written: the packets'
own bytes go to the kernel in large ``writev`` batches (no copy in this process)
while a second thread hashes the same bytes from memory. On a machine whose cores the
game and the encoder keep busy, the two threads together get twice the share one gets.

The file is what FFmpeg's muxer makes of the same packets: the index first, one
sample per chunk in time order, the same time scales, an edit list on every track
(the sound's cut-off pre-roll and encoder priming), AAC's roll group, track titles.
It covers what the recorder encodes, H.264 without B-frames in 4:2:0 and AAC;
:func:`direct_picture` and :func:`sound_supported` say when it cannot, and the muxer writes
those.
"""

from __future__ import annotations

import hashlib
import operator
import os
import struct
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from hindsight.recorder.packet import EncodedPacket, StreamParams, annexb_units

__all__ = [
    "AudioTrackIn",
    "DirectPicture",
    "Mp4Plan",
    "direct_picture",
    "lay_out",
    "sound_supported",
    "write_planned",
]

_IOV_BATCH = 1024  # Linux's IOV_MAX: a writev takes at most this many buffers
_WRITEV = getattr(os, "writev", None)  # POSIX only
_MOVIE_TIMESCALE = 1000  # mvhd and tkhd durations in milliseconds, as FFmpeg writes them
_ORDER = operator.itemgetter(0, 1)  # by time, video before sound at the same time
_YUV420 = ("yuv420p", "nv12")  # 8-bit 4:2:0, what the avcC's high-profile fields below say

Piece = bytes | memoryview


@dataclass(frozen=True)
class AudioTrackIn:
    """One sound track: its title, packets, and the pts (its time base) of the first frame."""

    title: str
    packets: Sequence[EncodedPacket]
    base_pts: int  # the track's sample that lines up with the first video frame


@dataclass
class _Track:
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


@dataclass
class Mp4Plan:
    """Everything the file will hold, in order: the header (ftyp + moov + mdat's header) and the
    samples' bytes."""

    header: bytes
    pieces: list[Piece]
    size: int


def _box(kind: bytes, *parts: bytes) -> bytes:
    body = b"".join(parts)
    return struct.pack(">I4s", 8 + len(body), kind) + body


def _full(kind: bytes, version: int, flags: int, *parts: bytes) -> bytes:
    return _box(kind, struct.pack(">I", (version << 24) | flags), *parts)


def _units(data: bytes, known: tuple[int, ...] | None) -> list[memoryview] | None:
    """The NAL units of an Annex B access unit (None: not Annex B)."""
    bounds = known if known is not None else annexb_units(data)
    if bounds is None:
        return None
    view = memoryview(data)
    return [view[bounds[i] : bounds[i + 1]] for i in range(0, len(bounds), 2)]


def _avcc(params: StreamParams) -> bytes | None:
    """The avcC box body from Annex B parameter sets (None: they are not there)."""
    units = _units(params.extradata or b"", None)
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


def _mp4a(params: StreamParams, track_id: int) -> bytes:
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


def _avc1(params: StreamParams, avcc: bytes) -> bytes:
    entry = bytes(6) + struct.pack(">H", 1) + bytes(16)
    entry += struct.pack(">HHIII", params.width, params.height, 0x480000, 0x480000, 0)
    entry += struct.pack(">H", 1) + bytes(32) + struct.pack(">Hh", 0x18, -1)
    return _box(b"avc1", entry, _box(b"avcC", avcc))


def _video_timescale(fps: int) -> int:
    scale = fps  # FFmpeg's rule, so clips keep the time base they always had
    while scale < 10_000:
        scale *= 2
    return scale


_Sample = tuple[float, int, list[Piece], int]  # time in the file (s), track, pieces, size


@dataclass
class DirectPicture:
    """The video's part of the file: its track and its samples in order, laid out while the
    sound's tail is still on its way."""

    track: _Track
    samples: list[_Sample]


def direct_picture(packets: Sequence[EncodedPacket]) -> DirectPicture | None:
    """The video laid out for this writer, or None if it cannot write it (it writes one
    encoder run of H.264 in 4:2:0 without B-frames, in Annex B form)."""
    params = packets[-1].params
    if (
        params.codec != "h264"
        or params.pix_fmt not in _YUV420
        or any(p.params is not params or p.pts != p.dts for p in packets)
    ):
        return None
    avcc = _avcc(params)
    if avcc is None:
        return None
    scale = _video_timescale(params.fps)
    track = _Track(
        b"vide",
        scale,
        _stts([p.duration * (scale // params.fps) for p in packets]),
        _avc1(params, avcc),
        0,
        "",
        sync=[i for i, p in enumerate(packets, 1) if p.keyframe],
        width=params.width,
        height=params.height,
        media=sum(p.duration for p in packets) * (scale // params.fps),
    )
    samples: list[_Sample] = []
    base = packets[0].pts
    tb = float(params.time_base)
    for p in packets:
        units = _units(p.data, p.units)
        if units is None:
            return None
        pieces: list[Piece] = []
        size = 0
        for u in units:  # Annex B start codes become 4-byte sizes (the avcC says 4)
            pieces += (len(u).to_bytes(4, "big"), u)
            size += 4 + len(u)
        samples.append(((p.dts - base) * tb, 0, pieces, size))
    return DirectPicture(track, samples)


def sound_supported(audio: Sequence[AudioTrackIn]) -> bool:
    """True if every track is AAC from one encoder run."""
    return all(
        p.params.codec == "aac" and p.params is t.packets[0].params
        for t in audio
        for p in t.packets
    )


def lay_out(picture: DirectPicture, audio: Sequence[AudioTrackIn]) -> Mp4Plan:
    """Everything the file will hold; every track of ``audio`` is :func:`sound_supported`."""
    video = picture.track
    # Samples merged in time order as FFmpeg's muxer interleaves: video first at a tie.
    order = list(picture.samples)
    tracks = [video]
    for n, t in enumerate(audio, 1):
        ap = t.packets[0].params
        tracks.append(
            _Track(
                b"soun",
                ap.sample_rate,
                _stts([p.duration for p in t.packets]),
                _mp4a(ap, n + 1),
                t.packets[0].pts - t.base_pts,
                t.title,
                media=sum(p.duration for p in t.packets),
            )
        )
        atb = float(ap.time_base)
        order += [((p.pts - t.base_pts) * atb, n, [p.data], len(p.data)) for p in t.packets]
    order.sort(key=_ORDER)
    which = np.fromiter((item[1] for item in order), dtype=np.int64, count=len(order))
    sizes = np.fromiter((item[3] for item in order), dtype=np.int64, count=len(order))
    pieces = [piece for item in order for piece in item[2]]
    payload = int(sizes.sum())
    ftyp = _box(b"ftyp", b"isom", struct.pack(">I", 0x200), b"isomiso2avc1mp41")
    big = payload + 8 >= 2**32
    mdat_header = (
        struct.pack(">I4sQ", 1, b"mdat", payload + 16)
        if big
        else struct.pack(">I4s", payload + 8, b"mdat")
    )
    wide = payload + 2**24 >= 2**32  # the index is far smaller than 16 MB
    starts = np.concatenate(([0], np.cumsum(sizes)[:-1]))
    per_track = [(which == k) for k in range(len(tracks))]
    # The index's size does not depend on the offsets' values: lay it out with zeros first.
    moov_len = len(
        _moov(tracks, [sizes[m] for m in per_track], [starts[m] for m in per_track], 0, wide)
    )
    first = len(ftyp) + moov_len + len(mdat_header)
    moov = _moov(tracks, [sizes[m] for m in per_track], [starts[m] for m in per_track], first, wide)
    header = ftyp + moov + mdat_header
    return Mp4Plan(header, pieces, len(header) + payload)


def _moov(
    tracks: list[_Track], sizes: list[Any], starts: list[Any], first: int, wide: bool
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


_MATRIX = struct.pack(">9I", 0x10000, 0, 0, 0, 0x10000, 0, 0, 0, 0x40000000)


def _trak(
    t: _Track, track_id: int, sizes: Any, offsets: Any, wide: bool, enabled: bool
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


def _stts(durations: list[int]) -> bytes:
    """The stts box: (count, duration) for each run of equal durations."""
    runs: list[list[int]] = []
    for d in durations:
        if runs and runs[-1][1] == d:
            runs[-1][0] += 1
        else:
            runs.append([1, d])
    body = b"".join(struct.pack(">II", c, d) for c, d in runs)
    return _full(b"stts", 0, 0, struct.pack(">I", len(runs)), body)


def write_planned(
    plan: Mp4Plan, path: Path, start_writeout: Callable[[int], None] = lambda fd: None
) -> str:
    """Write ``plan`` to a new file at ``path`` and fsync it; returns the file's sha256.

    The hash is taken from the same bytes on a second thread while they are written
    (both release the GIL). ``start_writeout(fd)`` is called after every batch so the
    disk can start on the pages before the fsync. An OSError (a full disk) is raised as it is.
    """
    h = hashlib.sha256(plan.header)

    def digest() -> None:
        for piece in plan.pieces:
            h.update(piece)

    hasher = threading.Thread(target=digest, name="hindsight-hash")
    hasher.start()
    try:
        # O_BINARY: Windows would otherwise turn every 0x0A byte into two.
        flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_BINARY", 0)
        fd = os.open(path, flags, 0o644)
        try:
            _write_all(fd, [plan.header], start_writeout)
            for i in range(0, len(plan.pieces), _IOV_BATCH):
                _write_all(fd, plan.pieces[i : i + _IOV_BATCH], start_writeout)
            os.fsync(fd)
        finally:
            os.close(fd)
    finally:
        hasher.join()
    return h.hexdigest()


def _write_all(fd: int, pieces: Sequence[Piece], start_writeout: Callable[[int], None]) -> None:
    done = 0
    if _WRITEV is not None:
        done = _WRITEV(fd, pieces)
    if done < sum(len(p) for p in pieces):
        # No writev (Windows), or a short write (a signal, a nearly full disk): the rest in
        # one buffer, until it is all written or the disk says why not.
        rest = memoryview(b"".join(pieces))[done:]
        while rest:
            rest = rest[os.write(fd, rest) :]
    start_writeout(fd)
