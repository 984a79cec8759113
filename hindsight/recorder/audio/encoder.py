"""One audio track's encoder: grid-numbered PCM in, AAC-LC packets stamped on the clock out.

The encoder is fed samples in grid order (see :mod:`hindsight.recorder.audio.timeline`)
and numbers frames by their grid sample, so a packet's ``pts`` *is* its place on
the grid and its ``t_ns`` follows from the grid's origin, exactly. FFmpeg's AAC
encoder shifts packets back by its priming delay (1024 samples); the decoder removes
that again, so the shift is kept as FFmpeg reports it.
"""

from __future__ import annotations

from fractions import Fraction
from typing import cast

import av
import numpy as np
import numpy.typing as npt
from av.audio.codeccontext import AudioCodecContext
from av.codec.context import Flags

from hindsight.clock import NS_PER_S
from hindsight.recorder.audio.source import CHANNELS, SAMPLE_RATE
from hindsight.recorder.errors import EncoderError
from hindsight.recorder.packet import EncodedPacket, StreamParams

__all__ = ["AudioEncoder", "AAC_FRAME"]

#: samples per AAC-LC frame
AAC_FRAME = 1024


class AudioEncoder:
    """AAC-LC 48 kHz stereo; :meth:`encode` takes ``(frames, 2)`` float32 PCM in grid order."""

    def __init__(self, title: str, origin_t_ns: int, bitrate_bps: int, first_sample: int = 0):
        self.title = title
        self.origin_t_ns = origin_t_ns
        self.bitrate_bps = bitrate_bps
        self._next_pts = first_sample  # the grid sample of the next frame handed to FFmpeg
        self._pending = np.zeros((0, CHANNELS), dtype=np.float32)
        self._ctx: AudioCodecContext | None = None
        self._params: StreamParams | None = None

    @property
    def params(self) -> StreamParams:
        if self._params is None:
            raise EncoderError(f"audio encoder {self.title} is not open")
        return self._params

    @property
    def position(self) -> int:
        """The grid sample the next PCM handed to :meth:`encode` belongs at."""
        return self._next_pts + len(self._pending)

    def open(self) -> None:
        try:
            ctx = cast(AudioCodecContext, av.codec.CodecContext.create("aac", "w"))
            ctx.sample_rate = SAMPLE_RATE
            ctx.layout = "stereo"
            ctx.format = "fltp"
            ctx.bit_rate = self.bitrate_bps
            ctx.time_base = Fraction(1, SAMPLE_RATE)
            # MP4 wants the AudioSpecificConfig out of band, like the video's parameter sets.
            ctx.flags = int(ctx.flags) | int(Flags.global_header)
            ctx.open()
        except Exception as err:
            raise EncoderError(f"the AAC audio encoder failed to open: {err}") from None
        self._ctx = ctx
        self._params = StreamParams(
            kind="audio",
            codec="aac",
            encoder=ctx.codec.name,
            time_base=Fraction(1, SAMPLE_RATE),
            extradata=bytes(ctx.extradata) if ctx.extradata else None,
            bit_rate=self.bitrate_bps,
            sample_rate=SAMPLE_RATE,
            channels=CHANNELS,
        )

    def encode(self, pcm: npt.NDArray[np.float32]) -> list[EncodedPacket]:
        """Append ``pcm`` to the track; returns the packets that came out."""
        if self._ctx is None:
            raise EncoderError(f"audio encoder {self.title} is not open")
        pending = np.concatenate((self._pending, pcm)) if len(self._pending) else pcm
        out: list[EncodedPacket] = []
        whole = len(pending) - len(pending) % AAC_FRAME
        for start in range(0, whole, AAC_FRAME):
            out.extend(self._encode_frame(pending[start : start + AAC_FRAME]))
        self._pending = np.array(pending[whole:], dtype=np.float32)
        return out

    def flush(self) -> list[EncodedPacket]:
        """Drain the encoder; it cannot be used afterwards."""
        if self._ctx is None:
            return []
        try:
            return self._collect(self._ctx.encode(None))
        finally:
            self._ctx = None

    def _encode_frame(self, pcm: npt.NDArray[np.float32]) -> list[EncodedPacket]:
        assert self._ctx is not None
        planar = np.ascontiguousarray(np.clip(pcm, -1.0, 1.0).T)
        frame = av.AudioFrame.from_ndarray(planar, format="fltp", layout="stereo")
        frame.sample_rate = SAMPLE_RATE
        frame.pts = self._next_pts
        frame.time_base = Fraction(1, SAMPLE_RATE)
        self._next_pts += AAC_FRAME
        return self._collect(self._ctx.encode(frame))

    def _collect(self, packets: list[av.Packet]) -> list[EncodedPacket]:
        params = self.params
        out = []
        for pkt in packets:
            pts = int(pkt.pts or 0)
            out.append(
                EncodedPacket(
                    data=bytes(pkt),
                    pts=pts,
                    dts=int(pkt.dts) if pkt.dts is not None else pts,
                    keyframe=True,  # every AAC frame starts a decodable unit
                    t_ns=self.origin_t_ns + pts * NS_PER_S // SAMPLE_RATE,
                    params=params,
                    duration=int(pkt.duration or AAC_FRAME),
                )
            )
        return out
