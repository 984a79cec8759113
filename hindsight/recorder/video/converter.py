"""The conversion seam: a captured frame (``bgr0``/``bgra``) into the encoder's pixel format.

Every captured frame is converted once, on the capture thread, before it waits in the
encoder's queue, so the converter's cost is paid 60 times a second and its output
buffers are most of what the queue holds. Two backends:

- ``libyuv`` (:mod:`hindsight.recorder.video.libyuv_converter`): libyuv's SIMD
  ``ARGBToI420``/``ARGBToNV12`` writing into a pool of buffers that are reused once
  nothing holds their frame. About a fifth of swscale's CPU for 1080p BGR0 -> I420
  (``python -m tests.bench.bench_convert``), and no new 3 MB frame each time.
- ``swscale``: PyAV's :class:`~av.video.reformatter.VideoReformatter`, which converts
  anything to anything; a new frame each call.

:func:`choose_converter` picks one: the HINDSIGHT_CONVERTER override
(``libyuv``|``swscale``), else libyuv when the system has it and it produces the
encoder's format, else swscale. Both write BT.601 limited range, the encoders'
untagged default.
"""

from __future__ import annotations

import logging
import os
from abc import ABC, abstractmethod
from typing import TYPE_CHECKING, ClassVar

from hindsight.recorder.errors import CaptureError, ConfigError

if TYPE_CHECKING:
    import av

__all__ = ["CONVERTERS", "ENV_OVERRIDE", "FrameConverter", "SwscaleConverter", "choose_converter"]

log = logging.getLogger(__name__)

ENV_OVERRIDE = "HINDSIGHT_CONVERTER"
CONVERTERS = ("auto", "libyuv", "swscale")


class FrameConverter(ABC):
    """Converts captured frames to one pixel format; used by one thread only."""

    name: ClassVar[str]

    def __init__(self, pix_fmt: str) -> None:
        self.pix_fmt = pix_fmt

    @abstractmethod
    def convert(self, raw: av.VideoFrame) -> av.VideoFrame:
        """``raw`` in :attr:`pix_fmt`; ``raw`` may be reused by its source after this returns."""

    @property
    def buffers(self) -> int:
        """Output buffers this converter keeps for reuse (0: a new one every frame)."""
        return 0


class SwscaleConverter(FrameConverter):
    """PyAV's reformatter (FFmpeg's swscale): any format to any, a new frame each call."""

    name = "swscale"

    def __init__(self, pix_fmt: str) -> None:
        super().__init__(pix_fmt)
        from av.video.reformatter import VideoReformatter

        self._reformatter = VideoReformatter()  # reused: it caches swscale's context

    def convert(self, raw: av.VideoFrame) -> av.VideoFrame:
        return self._reformatter.reformat(raw, format=self.pix_fmt)


def choose_converter(pix_fmt: str, width: int, height: int) -> FrameConverter:
    """The converter of ``width`` x ``height`` frames to ``pix_fmt``: HINDSIGHT_CONVERTER's
    choice, else the cheapest that works.

    A forced ``libyuv`` that cannot load, or cannot make these frames, is a one-line error
    that says what to install or set; ``auto`` then uses swscale and logs why.
    """
    name = os.environ.get(ENV_OVERRIDE, "").strip().lower() or "auto"
    if name not in CONVERTERS:
        raise ConfigError(f"{ENV_OVERRIDE}={name!r}: must be one of {', '.join(CONVERTERS)}")
    if name == "swscale":
        return SwscaleConverter(pix_fmt)
    # Imported here only: the module binds a system library when it loads.
    from hindsight.recorder.video import libyuv_converter

    try:
        return libyuv_converter.LibyuvConverter(pix_fmt, width, height)
    except libyuv_converter.LibyuvUnavailable as why:
        if name == "libyuv":
            raise CaptureError(
                f"{ENV_OVERRIDE}=libyuv: {why}; or set {ENV_OVERRIDE}=swscale"
            ) from None
        log.info("converting frames with swscale: %s", why)
        return SwscaleConverter(pix_fmt)
