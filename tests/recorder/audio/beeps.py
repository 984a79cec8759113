"""Finding the tone backend's beeps in decoded sound (shared by the audio tests)."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import numpy.typing as npt

from hindsight.clock import NS_PER_S
from hindsight.recorder.packet import EncodedPacket, StreamParams

__all__ = ["decode_track", "encode_video", "onsets", "track_titles"]

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


def encode_video(
    frames: list[npt.NDArray[np.uint8]], start_ns: int, fps: int
) -> list[EncodedPacket]:
    """``frames`` (yuv420p planes as PyAV's ``to_ndarray`` gives them) encoded as the recorder
    does (Annex B H.264, a keyframe every second, no B-frames), stamped on the clock from
    ``start_ns`` on the frame grid."""
    height, width = frames[0].shape[0] * 2 // 3, frames[0].shape[1]
    ctx = av.codec.CodecContext.create("libx264", "w")
    ctx.width, ctx.height, ctx.pix_fmt = width, height, "yuv420p"
    ctx.time_base = Fraction(1, fps)
    ctx.gop_size = fps
    ctx.max_b_frames = 0
    ctx.flags = int(ctx.flags) | int(av.codec.context.Flags.global_header)
    ctx.options = {"x264-params": f"keyint={fps}:min-keyint={fps}:scenecut=0:bframes=0"}
    ctx.open()
    params = StreamParams(
        kind="video",
        codec="h264",
        encoder="libx264",
        time_base=Fraction(1, fps),
        width=width,
        height=height,
        pix_fmt="yuv420p",
        extradata=bytes(ctx.extradata),
        fps=fps,
    )
    encoded = []
    for i, pixels in enumerate(frames):
        frame = av.VideoFrame.from_ndarray(pixels, format="yuv420p")
        frame.pts = i
        encoded += ctx.encode(frame)
    encoded += ctx.encode(None)
    return [
        EncodedPacket(
            bytes(p), p.pts, p.dts, p.is_keyframe, start_ns + p.pts * NS_PER_S // fps, params
        )
        for p in encoded
    ]
