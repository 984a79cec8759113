"""Writing a clip's MP4 straight from ring packets, without a muxer in between.

A save's two big costs are putting some 45 MB into the file and hashing the file for
the manifest. Through a muxer the bytes are copied into its buffer packet by packet
and the hash can only start once the file is closed, because the index (moov) is
written last, at the front. Here the index is built first, from the packets' sizes
and times, so the whole file is known before a byte of it is written: the packets'
own bytes go to the disk (:mod:`~hindsight.recorder.export.disk`: straight to the
device where the filesystem takes it), hashed on the way. The sha256 for the manifest
is ready when the file is written, with no second pass over it.

The file is what FFmpeg's muxer makes of the same packets: the index first, one
sample per chunk in time order, the same time scales, an edit list on every track
(the sound's cut-off pre-roll and encoder priming), AAC's roll group, track titles.
It covers what the recorder encodes, H.264 without B-frames in 4:2:0 and AAC;
:func:`direct_picture` and :func:`sound_supported` say when it cannot, and the muxer writes
those.
"""

from __future__ import annotations

import operator
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from hindsight.recorder.export.disk import Piece, write_new_file
from hindsight.recorder.export.mp4_boxes import (
    TrackIndex,
    avc1_entry,
    avcc_body,
    file_type,
    mdat_header,
    moov,
    mp4a_entry,
    stts,
    video_timescale,
)
from hindsight.recorder.packet import EncodedPacket, nal_units

__all__ = [
    "AudioTrackIn",
    "DirectPicture",
    "Mp4Plan",
    "direct_picture",
    "lay_out",
    "sound_supported",
    "write_planned",
]

_ORDER = operator.itemgetter(0, 1)  # by time, video before sound at the same time
_YUV420 = ("yuv420p", "nv12")  # 8-bit 4:2:0: what avcc_body writes for high profiles


@dataclass(frozen=True)
class AudioTrackIn:
    """One sound track: its title, packets, and the pts (its time base) of the first frame."""

    title: str
    packets: Sequence[EncodedPacket]
    base_pts: int  # the track's sample that lines up with the first video frame


@dataclass
class Mp4Plan:
    """Everything the file will hold, in order: the header (ftyp + moov + mdat's header) and the
    samples' bytes."""

    header: bytes
    pieces: list[Piece]
    size: int


_Sample = tuple[float, int, list[Piece], int]  # time in the file (s), track, pieces, size


@dataclass
class DirectPicture:
    """The video's part of the file: its track and its samples in order, laid out while the
    sound's tail is still on its way."""

    track: TrackIndex
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
    avcc = avcc_body(params)
    if avcc is None:
        return None
    scale = video_timescale(params.fps)
    tick = scale // params.fps  # one frame in the track's time scale
    track = TrackIndex(
        b"vide",
        scale,
        stts([p.duration * tick for p in packets]),
        avc1_entry(params, avcc),
        0,
        "",
        sync=[i for i, p in enumerate(packets, 1) if p.keyframe],
        width=params.width,
        height=params.height,
        media=sum(p.duration for p in packets) * tick,
    )
    samples: list[_Sample] = []
    base = packets[0].pts
    tb = float(params.time_base)
    for p in packets:
        units = nal_units(p.data, p.units)
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
            TrackIndex(
                b"soun",
                ap.sample_rate,
                stts([p.duration for p in t.packets]),
                mp4a_entry(ap, n + 1),
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
    ftyp = file_type()
    mdat = mdat_header(payload)
    wide = payload + 2**24 >= 2**32  # the index is far smaller than 16 MB
    starts = np.concatenate(([0], np.cumsum(sizes)[:-1]))
    mine = [which == k for k in range(len(tracks))]
    track_sizes, track_starts = [sizes[m] for m in mine], [starts[m] for m in mine]
    # The index's size does not depend on the offsets' values: lay it out with zeros first.
    first = len(ftyp) + len(moov(tracks, track_sizes, track_starts, 0, wide)) + len(mdat)
    index = moov(tracks, track_sizes, track_starts, first, wide)
    header = ftyp + index + mdat
    return Mp4Plan(header, pieces, len(header) + payload)


def write_planned(plan: Mp4Plan, path: Path, clip_write: str) -> str:
    """Write ``plan`` to a new file at ``path`` and fsync it; returns the file's sha256.

    ``clip_write`` is how (:func:`~hindsight.recorder.export.disk.write_new_file`, which
    hashes the bytes as they go). An OSError (a full disk) is raised as it is.
    """
    return write_new_file(path, [plan.header, *plan.pieces], clip_write)[1]
