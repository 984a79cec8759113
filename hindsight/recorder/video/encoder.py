"""One video encoder run: a PyAV codec context set up so clips are cheap to cut.

Every encoder gets the same promises whatever the codec: a fixed keyframe interval
(no scene-cut keyframes), no B-frames (so pts == dts), a global header (MP4 wants
the parameter sets out of band), and packets that come back stamped with the clock
time of the frame they encode. Per-encoder option tables live here; which encoder
to use is the chooser's job.
"""

from __future__ import annotations

import logging
from fractions import Fraction
from typing import cast

import av
from av.codec.context import Flags
from av.video.codeccontext import VideoCodecContext

from hindsight.recorder.config import EncoderConfig
from hindsight.recorder.errors import EncoderError
from hindsight.recorder.packet import EncodedPacket, StreamParams, annexb_units

__all__ = ["VideoEncoder", "encoder_options"]

log = logging.getLogger(__name__)

# Hardware encoders take NV12; libx264 takes planar 4:2:0.
_PIX_FMT = {"libx264": "yuv420p"}
_DEFAULT_HW_PIX_FMT = "nv12"


def encoder_options(name: str, config: EncoderConfig, gop_frames: int) -> dict[str, str]:
    """Private codec options that make ``name`` low-latency with a fixed GOP."""
    if name == "libx264":
        return {
            "preset": config.preset,
            "tune": "zerolatency",
            "sc_threshold": "0",
            "x264-params": f"keyint={gop_frames}:min-keyint={gop_frames}:scenecut=0:bframes=0",
        }
    if name.endswith("_nvenc"):
        return {"preset": "p1", "tune": "ll", "zerolatency": "1", "no-scenecut": "1", "rc": "cbr"}
    if name.endswith("_qsv"):
        return {"preset": "veryfast", "look_ahead": "0", "async_depth": "1"}
    if name.endswith("_amf"):
        return {"usage": "lowlatency", "quality": "speed"}
    if name.endswith("_videotoolbox"):
        return {"realtime": "1", "allow_sw": "0"}
    if name.endswith("_vaapi"):
        return {"low_power": "0"}
    return {}


class VideoEncoder:
    """Encodes frames with pts = frame index in time base 1/fps; yields :class:`EncodedPacket`."""

    def __init__(self, name: str, width: int, height: int, fps: int, config: EncoderConfig) -> None:
        if width % 2 or height % 2:
            raise EncoderError(f"encoder {name}: frame size {width}x{height} must be even")
        self.name = name
        # The codec PyAV opens; `name` is what status and manifests show (the same, except in
        # tests).
        self.codec_name = name
        self.width = width
        self.height = height
        self.fps = fps
        self.config = config
        self.gop_frames = max(1, round(fps * config.keyframe_interval_ms / 1000))
        self.pix_fmt = _PIX_FMT.get(self.codec_name, _DEFAULT_HW_PIX_FMT)
        self._ctx: VideoCodecContext | None = None
        self._params: StreamParams | None = None
        # pts -> (t_ns, dup) for frames sent but not yet returned: hardware encoders may hold a few.
        self._pending: dict[int, tuple[int, bool]] = {}

    @property
    def params(self) -> StreamParams:
        if self._params is None:
            raise EncoderError(f"encoder {self.name} is not open")
        return self._params

    def open(self) -> None:
        """Open the codec; raises :class:`EncoderError` with the library's reason."""
        try:
            ctx = cast(VideoCodecContext, av.codec.CodecContext.create(self.codec_name, "w"))
        except Exception as err:  # unknown codec names raise several types across PyAV versions
            raise EncoderError(
                f"encoder {self.name} is not available in this build of PyAV: {err}"
            ) from None
        ctx.width = self.width
        ctx.height = self.height
        ctx.pix_fmt = self.pix_fmt
        ctx.time_base = Fraction(1, self.fps)
        ctx.framerate = Fraction(self.fps, 1)
        ctx.bit_rate = self.config.bitrate_bps
        ctx.gop_size = self.gop_frames
        ctx.max_b_frames = 0
        ctx.flags = int(ctx.flags) | int(Flags.global_header)
        ctx.thread_type = "SLICE"
        ctx.thread_count = 0
        ctx.options = encoder_options(self.codec_name, self.config, self.gop_frames)
        try:
            ctx.open()
        except Exception as err:
            raise EncoderError(
                f"encoder {self.name} failed to open: {getattr(err, 'strerror', None) or err}"
            ) from None
        self._ctx = ctx
        self._params = StreamParams(
            kind="video",
            codec=ctx.codec.canonical_name,
            encoder=self.name,
            time_base=Fraction(1, self.fps),
            width=self.width,
            height=self.height,
            pix_fmt=self.pix_fmt,
            extradata=bytes(ctx.extradata) if ctx.extradata else None,
            bit_rate=self.config.bitrate_bps,
            fps=self.fps,
        )

    def encode(
        self, frame: av.VideoFrame, pts: int, t_ns: int, dup: bool = False
    ) -> list[EncodedPacket]:
        """Encode ``frame`` as frame number ``pts``; returns the packets that came out."""
        ctx = self._ctx
        if ctx is None:
            raise EncoderError(f"encoder {self.name} is not open")
        frame.pts = pts
        frame.time_base = ctx.time_base
        # A keyframe exactly every gop_frames keeps the GOP fixed even for encoders that
        # ignore gop_size after a fallback or a dropped frame.
        frame.pict_type = (
            av.video.frame.PictureType.I
            if pts % self.gop_frames == 0
            else av.video.frame.PictureType.NONE
        )
        self._pending[pts] = (t_ns, dup)
        return self._collect(ctx.encode(frame))

    def flush(self) -> list[EncodedPacket]:
        """Drain packets the encoder still holds; the encoder cannot be used afterwards."""
        if self._ctx is None:
            return []
        try:
            return self._collect(self._ctx.encode(None))
        finally:
            self.close()

    def close(self) -> None:
        self._ctx = None
        self._pending.clear()

    def _collect(self, packets: list[av.Packet]) -> list[EncodedPacket]:
        params = self.params
        # H.264 packets carry their NAL units' places, for the save's direct MP4 writer.
        find_units = params.codec == "h264"
        out = []
        for pkt in packets:
            pts = pkt.pts
            assert pts is not None  # an encoder stamps every packet it returns
            t_ns, dup = self._pending.pop(pts, (0, False))
            data = bytes(pkt)
            out.append(
                EncodedPacket(
                    data=data,
                    pts=pts,
                    dts=pkt.dts if pkt.dts is not None else pts,
                    keyframe=bool(pkt.is_keyframe),
                    t_ns=t_ns,
                    params=params,
                    duration=1,
                    dup_frame=dup,
                    units=annexb_units(data) if find_units else None,
                )
            )
        return out
