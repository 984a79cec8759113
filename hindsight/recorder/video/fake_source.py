"""A deterministic moving test pattern, so the pipeline can be tested without a display.

Frame *i* is a coloured scene scrolled ``step * i`` pixels to the left (so every
frame differs and motion is visible in an encoded clip), with *i* written into a
strip of black/white blocks along the top. :func:`read_counter` reads it back,
also after an encode/decode round trip, so tests can tell which grab ended up
where. A source that dies is simulated with ``fail_after``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import av
import numpy as np

from hindsight.recorder.errors import CaptureError
from hindsight.recorder.video.source import CaptureGeometry, CaptureSource, resolve_geometry

if TYPE_CHECKING:
    from hindsight.recorder.config import CaptureConfig

__all__ = ["COUNTER_BITS", "FakeSource", "read_counter"]

DEFAULT_SIZE = (320, 240)
COUNTER_BITS = 24


def _counter_layout(width: int) -> tuple[int, int]:
    """Block size and number of bits that fit: tiny frames carry the counter modulo 2**bits."""
    # Blocks this large survive 4:2:0 and a lossy encode at any sane bitrate.
    block = max(1, width // (COUNTER_BITS + 8))
    return block, min(COUNTER_BITS, width // block)


def _render_scene(width: int, height: int) -> np.ndarray:
    """A BGRA scene twice as wide as the frame and periodic in ``width``."""
    x = np.arange(2 * width)
    y = np.arange(height)[:, None]
    phase = (x % width) / width
    scene = np.empty((height, 2 * width, 4), np.uint8)
    scene[..., 0] = (255 * phase).astype(np.uint8)  # blue ramp across
    scene[..., 1] = (255 * y / max(1, height - 1)).astype(np.uint8)  # green ramp down
    scene[..., 2] = 64
    scene[..., 3] = 255
    bar = max(4, width // 16)
    for start in (0, width):  # one white bar per period: the motion a viewer sees
        scene[:, start : start + bar, :3] = 255
    return scene


class FakeSource(CaptureSource):
    """Moving test pattern of ``config.region``'s size (320x240 without a region).

    It has one monitor the size of the picture; a window title always "matches"
    that picture. After ``fail_after`` grabs every further grab raises
    :class:`CaptureError`, like a source whose display went away.
    """

    name = "fake"

    def __init__(
        self, config: CaptureConfig, *, fail_after: int | None = None, step: int = 4
    ) -> None:
        super().__init__(config)
        self.fail_after = fail_after
        self.step = step
        #: grabs served so far; the next frame shows this number
        self.frames_grabbed = 0
        self._scene: np.ndarray | None = None

    def _screen(self) -> CaptureGeometry:
        w, h = DEFAULT_SIZE
        if self.config.region is not None:
            x, y, rw, rh = self.config.region
            w, h = max(w, x + rw), max(h, y + rh)
        return CaptureGeometry(0, 0, w, h)

    def open(self) -> None:
        if self._scene is not None:
            return
        screen = self._screen()
        window = CaptureGeometry(0, 0, *DEFAULT_SIZE)
        rect = resolve_geometry(self.config, [screen, screen], lambda _title: window)
        self._scene = _render_scene(rect.width, rect.height)
        self._where = "pattern"
        self._geometry = rect

    def grab(self) -> av.VideoFrame:
        if self._scene is None:
            raise CaptureError("fake capture source is not open")
        if self.fail_after is not None and self.frames_grabbed >= self.fail_after:
            raise CaptureError(f"fake capture source died after {self.fail_after} frames")
        index = self.frames_grabbed
        width = self.width
        shift = (index * self.step) % width
        pixels = self._scene[:, shift : shift + width].copy()
        block, bits = _counter_layout(width)
        strip = pixels[:block, : block * bits, :3]
        strip[...] = 0
        for bit in range(bits):
            if index >> (bits - 1 - bit) & 1:
                strip[:, bit * block : (bit + 1) * block] = 255
        self.frames_grabbed += 1
        return av.VideoFrame.from_numpy_buffer(pixels, format="bgra")

    def close(self) -> None:
        self._scene = None
        super().close()


def read_counter(image: av.VideoFrame | np.ndarray) -> int:
    """The frame number a :class:`FakeSource` frame carries (any pixel format, after encoding
    too)."""
    if isinstance(image, av.VideoFrame):
        image = image.to_ndarray(format="rgb24")
    luma = image[..., :3].mean(axis=-1) if image.ndim == 3 else image
    block, bits = _counter_layout(luma.shape[1])
    row = block // 2
    value = 0
    for bit in range(bits):
        value = value << 1 | int(luma[row, bit * block + block // 2] > 127)
    return value
