"""Video for a LeRobot export: one clip's segment, then many segments in one file.

Per clip (:func:`stage_segment`) the picture is stream-copied when it already fits
(H.264, the target fps and size, no reordered frames, the span starting on a keyframe,
every frame within lerobot's 1e-4 s of k/fps) and transcoded with libx264 otherwise
or when asked. Either way the segment is video only (no sound: the clip's audio is not
part of a LeRobot export) and frame *k* is stamped exactly k/fps, in a 1/fps time base.

Per output file (:func:`concatenate_segments`) segments are remuxed one after another,
each shifted by the frames before it, so an episode's frame *k* sits at exactly
``from_timestamp + k/fps``. Segments are joined only when their codec parameters are
identical (one ``avcC`` per mp4 track); :func:`same_stream` says when.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

__all__ = [
    "SegmentFacts",
    "stage_segment",
    "concatenate_segments",
    "picture_stats",
    "TOLERANCE_S",
]

TOLERANCE_S = 1e-4  # lerobot's default: a frame further than this from its timestamp fails
_STATS_FRAMES = 8  # keyframes sampled for a segment's colour statistics
_STATS_SIDE = 150  # ... each shrunk to about this many pixels on its long side, as lerobot does


@dataclass(frozen=True)
class SegmentFacts:
    """A staged segment: its frames, picture size, whether it was copied, its stream's identity."""

    path: str
    frames: int
    width: int
    height: int
    fps: int
    copied: bool
    stream_key: str  # equal keys: the segments can share one mp4 track
    pix_fmt: str


def stage_segment(
    src: Path,
    dst: Path,
    rows: Sequence[int],
    fps: int,
    size: tuple[int, int] | None,
    force_transcode: bool,
) -> tuple[SegmentFacts, np.ndarray]:
    """Write the frames ``rows`` (source frame numbers, one per output frame) of ``src`` to ``dst``.

    Stream-copies when ``rows`` is a run of consecutive frames and the stream fits;
    otherwise transcodes. Returns the segment's facts and its :func:`picture_stats` sample.
    """
    with av.open(str(src)) as container:
        stream = container.streams.video[0]
        src_size = (stream.codec_context.width, stream.codec_context.height)
        consecutive = len(rows) > 0 and rows[-1] - rows[0] == len(rows) - 1
        fits = (
            not force_transcode
            and consecutive
            and stream.codec_context.name == "h264"
            and (size is None or size == src_size)
        )
        if fits:
            packets = [p for p in container.demux(stream) if p.size]
            first, count = rows[0], len(rows)
            time_base = stream.time_base or Fraction(1, fps)
            if _copyable(packets, time_base, fps, first, count):
                span = packets[first : first + count]
                # Before muxing: the muxer takes the packets' data.
                pictures = _keyframe_pictures(stream.codec_context, span)
                return _write_copy(stream, span, dst, fps), pictures
    segment = _transcode(src, dst, rows, fps, size or src_size)
    return segment, picture_stats(dst)


def _copyable(packets: list, time_base: Fraction, fps: int, first: int, count: int) -> bool:
    if len(packets) < first + count or not packets[first].is_keyframe:
        return False
    pts = [p.pts for p in packets]
    if any(t is None for t in pts) or any(b <= a for a, b in zip(pts, pts[1:], strict=False)):
        return False  # reordered (B-)frames or missing stamps: frame k is not packet k
    if any(p.dts != p.pts for p in packets[first : first + count]):
        return False
    t0 = pts[0] * time_base
    return all(abs(float(t * time_base - t0) - k / fps) <= TOLERANCE_S for k, t in enumerate(pts))


def _stream_key(stream: av.video.stream.VideoStream) -> str:
    ctx = stream.codec_context
    extradata = _parameter_sets(bytes(ctx.extradata or b""))
    digest = hashlib.sha256(extradata).hexdigest()[:16]
    return f"{ctx.name}/{ctx.width}x{ctx.height}/{ctx.pix_fmt}/{digest}"


def _parameter_sets(avcc: bytes) -> bytes:
    """An H.264 ``avcC`` record with the trailing zero bytes of each SPS and PPS dropped.

    Clips of one recorder run carry the same parameter sets, but the muxer copies them
    from the clip's first keyframe, and the run's very first one ends its PPS without
    the zero byte the later ones carry: the same PPS, so the same track. Anything that
    is not an avcC record is compared as it is.
    """
    if len(avcc) < 7 or avcc[0] != 1:
        return avcc
    out, at = bytearray(avcc[:5]), 5
    try:
        for count_mask in (0x1F, 0xFF):  # the SPS count's low 5 bits, then the PPS count
            count = avcc[at] & count_mask
            out.append(avcc[at])
            at += 1
            for _ in range(count):
                size = int.from_bytes(avcc[at : at + 2], "big")
                unit = avcc[at + 2 : at + 2 + size].rstrip(b"\0")
                if len(unit) == 0 or at + 2 + size > len(avcc):
                    return avcc
                out += len(unit).to_bytes(2, "big") + unit
                at += 2 + size
    except IndexError:
        return avcc
    return bytes(out) + avcc[at:]


def _write_copy(stream, packets: list, dst: Path, fps: int) -> SegmentFacts:
    time_base = Fraction(1, fps)
    with av.open(str(dst), "w", format="mp4") as out:
        ostream = out.add_stream_from_template(stream)
        ostream.time_base = time_base
        for k, packet in enumerate(packets):
            packet.stream = ostream
            packet.time_base = time_base
            packet.pts = packet.dts = k
            packet.duration = 1
            out.mux(packet)
        key = _stream_key(stream)
    ctx = stream.codec_context
    return SegmentFacts(
        str(dst), len(packets), ctx.width, ctx.height, fps, True, key, ctx.pix_fmt or "yuv420p"
    )


def _transcode(
    src: Path, dst: Path, rows: Sequence[int], fps: int, size: tuple[int, int]
) -> SegmentFacts:
    width, height = size
    wanted = np.asarray(rows, dtype=np.int64)
    time_base = Fraction(1, fps)
    with av.open(str(src)) as container, av.open(str(dst), "w", format="mp4") as out:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        ostream = out.add_stream("libx264", rate=fps)
        ostream.width, ostream.height, ostream.pix_fmt = width, height, "yuv420p"
        ostream.time_base = time_base
        # No B-frames: segments are joined by shifting pts and dts alike, which needs dts == pts.
        ostream.options = {"crf": "20", "preset": "veryfast", "g": str(fps), "bf": "0"}
        j = 0
        for index, frame in enumerate(container.decode(stream)):
            while j < len(wanted) and wanted[j] == index:
                picture = frame.reformat(width=width, height=height, format="yuv420p")
                picture.pts, picture.time_base = j, time_base
                out.mux(ostream.encode(picture))
                j += 1
            if j == len(wanted):
                break
        out.mux(ostream.encode(None))
        key = _stream_key(ostream)
    if j != len(wanted):
        raise ValueError(f"{src.name}: {j} frames decoded, the track has {len(wanted)} rows")
    return SegmentFacts(str(dst), j, width, height, fps, False, key, "yuv420p")


def picture_stats(src: Path) -> np.ndarray:
    """RGB values in [0, 1] of a few keyframes of ``src``, shrunk: ``(n, 3, h, w)``."""
    with av.open(str(src)) as container:
        stream = container.streams.video[0]
        packets = [p for p in container.demux(stream) if p.size]
        return _keyframe_pictures(stream.codec_context, packets)


def _keyframe_pictures(ctx: av.VideoCodecContext, packets: Sequence[av.Packet]) -> np.ndarray:
    """A few keyframes of ``packets`` decoded with ``ctx``, shrunk as lerobot's stats shrink.

    Only the chosen keyframes go to the decoder (each decodes on its own), so colour
    statistics cost a handful of decodes, not the whole clip.
    """
    keyframes = [p for p in packets if p.is_keyframe]
    pick = np.unique(np.linspace(0, len(keyframes) - 1, _STATS_FRAMES).round().astype(int))
    ctx.thread_type = "NONE"  # each frame comes out for its own packet
    scale = max(1, max(ctx.width, ctx.height) // _STATS_SIDE)
    w, h = ctx.width // scale, ctx.height // scale
    pictures = []
    for i in pick:
        for frame in ctx.decode(keyframes[i]):
            pictures.append(
                frame.to_ndarray(width=w, height=h, format="rgb24", interpolation="AREA")
            )
    stack = np.stack(pictures).astype(np.float32) / 255.0
    return stack.transpose(0, 3, 1, 2)


def concatenate_segments(segments: Sequence[SegmentFacts], dst: Path) -> list[int]:
    """Remux ``segments`` into ``dst`` one after another; returns each one's first frame in it."""
    starts = []
    offset = 0
    fps = segments[0].fps
    time_base = Fraction(1, fps)
    dst.parent.mkdir(parents=True, exist_ok=True)
    with av.open(str(dst), "w", format="mp4") as out:
        ostream = None
        for segment in segments:
            starts.append(offset)
            with av.open(segment.path) as container:
                stream = container.streams.video[0]
                if ostream is None:
                    ostream = out.add_stream_from_template(stream)
                    ostream.time_base = time_base
                for packet in container.demux(stream):
                    if not packet.size or packet.pts is None or packet.dts is None:
                        continue  # the demuxer's end-of-stream packet
                    # Back to frame numbers (the muxer may have rescaled the 1/fps stamps), shifted.
                    pts = round(packet.pts * (packet.time_base or time_base) * fps)
                    dts = round(packet.dts * (packet.time_base or time_base) * fps)
                    packet.stream, packet.time_base = ostream, time_base
                    packet.pts, packet.dts, packet.duration = pts + offset, dts + offset, 1
                    out.mux(packet)
            offset += segment.frames
    return starts
