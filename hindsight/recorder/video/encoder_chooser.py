"""Choosing the video encoder: open each candidate with a test frame, keep the first that works.

The order is DESIGN's: NVENC, Quick Sync, AMF, VideoToolbox, VAAPI, then libx264.
A codec listed by PyAV may still fail on this machine (no GPU, no driver), so a
candidate only counts once it has really encoded a frame. The same chooser serves a
runtime fallback: :meth:`EncoderChooser.open_next` moves past an encoder that died.
``HINDSIGHT_ENCODER`` overrides ``--encoder`` for tests and troubleshooting.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable

import av

from hindsight.recorder.config import EncoderConfig
from hindsight.recorder.errors import EncoderError
from hindsight.recorder.video.encoder import VideoEncoder

__all__ = ["CANDIDATES", "EncoderChooser", "EncoderFactory", "probe_encoder"]

log = logging.getLogger(__name__)

CANDIDATES: tuple[str, ...] = (
    "h264_nvenc",
    "hevc_nvenc",
    "av1_nvenc",
    "h264_qsv",
    "h264_amf",
    "h264_videotoolbox",
    "h264_vaapi",
    "libx264",
)

EncoderFactory = Callable[[str, int, int, int, EncoderConfig], VideoEncoder]


def probe_encoder(
    factory: EncoderFactory, name: str, width: int, height: int, fps: int, config: EncoderConfig
) -> None:
    """Open ``name`` and push one test frame through it; raises :class:`EncoderError` if it
    fails."""
    probe = factory(name, width, height, fps, config)
    probe.open()
    try:
        frame = av.VideoFrame(width, height, "yuv420p").reformat(format=probe.pix_fmt)
        packets = probe.encode(frame, 0, 0) + probe.flush()
    except EncoderError:
        raise
    except Exception as err:
        raise EncoderError(f"encoder {name} opened but failed on a test frame: {err}") from None
    if not packets or not packets[0].keyframe:
        raise EncoderError(f"encoder {name} gave no keyframe for its test frame")


class EncoderChooser:
    """Walks the candidate list; remembers why each rejected encoder failed."""

    def __init__(
        self,
        config: EncoderConfig,
        width: int,
        height: int,
        fps: int,
        factory: EncoderFactory = VideoEncoder,
        candidates: tuple[str, ...] = CANDIDATES,
    ) -> None:
        forced = os.environ.get("HINDSIGHT_ENCODER") or config.encoder
        self._forced = forced != "auto"
        self._order = (forced,) if self._forced else candidates
        self._config = config
        self._size = (width, height, fps)
        self._factory = factory
        self._next_index = 0
        self.rejected: dict[str, str] = {}

    def open_first(self) -> VideoEncoder:
        self._next_index = 0
        return self.open_next()

    def open_next(self, failed: str | None = None, reason: str = "") -> VideoEncoder:
        """Open the next working candidate after the current one (``failed`` died with
        ``reason``)."""
        if failed is not None:
            self.rejected[failed] = reason or "failed while running"
        width, height, fps = self._size
        while self._next_index < len(self._order):
            name = self._order[self._next_index]
            self._next_index += 1
            try:
                probe_encoder(self._factory, name, width, height, fps, self._config)
                encoder = self._factory(name, width, height, fps, self._config)
                encoder.open()
            except EncoderError as err:
                self.rejected[name] = str(err)
                log.debug("encoder %s rejected: %s", name, err)
                continue
            log.info("encoder %s chosen for %dx%d@%d", name, width, height, fps)
            return encoder
        raise EncoderError(self._nothing_works_message())

    def _nothing_works_message(self) -> str:
        if self._forced:
            name = self._order[0]
            reason = self.rejected.get(name, f"encoder {name} failed")
            return f"{reason}; try --encoder auto or --encoder libx264"
        tried = ", ".join(self._order)
        return (
            f"no video encoder works on this machine (tried {tried}); "
            "install a PyAV build with libx264"
        )
