"""libyuv's BGRA -> I420/NV12 conversion into pooled buffers (imported by the chooser only).

Why a pool: swscale hands back a new 3 MB frame for every 1080p frame, and glibc keeps
the freed ones in its heaps (about 20 MB held at 1080p60, measured by fixing the mmap
threshold instead). Here each output frame wraps one of a few numpy buffers without a
copy (``VideoFrame.from_numpy_buffer`` makes the buffer the frame's own AVBuffer), and a
buffer is written again only once nothing refers to the view it was handed out as: not
the queue, not the encoder's last frame kept for repeats, not FFmpeg (an encoder that
keeps input frames holds a reference through the AVBuffer). So how many buffers exist
is how many frames were ever alive at once: the queue's bound plus the two in hand.
"""

from __future__ import annotations

import ctypes
import sys
import weakref
from typing import TYPE_CHECKING

import av
import numpy as np

from hindsight.recorder.video.converter import FrameConverter, SwscaleConverter

if TYPE_CHECKING:
    from collections.abc import Callable

__all__ = ["LibyuvConverter", "LibyuvUnavailable", "load_libyuv"]

# Source formats whose bytes are libyuv's "ARGB" (B, G, R, A in memory, little-endian
# words); the fourth byte is never read.
_ARGB_LAYOUTS = frozenset({"bgra", "bgr0"})

if sys.platform.startswith("win"):
    _LIBRARY_NAMES: tuple[str, ...] = ("yuv.dll", "libyuv.dll")
elif sys.platform == "darwin":
    _LIBRARY_NAMES = ("libyuv.dylib", "libyuv.0.dylib")
else:
    _LIBRARY_NAMES = ("libyuv.so.0", "libyuv.so")

_P, _I = ctypes.c_void_p, ctypes.c_int


class LibyuvUnavailable(Exception):
    """libyuv cannot be loaded, or cannot make the asked pixel format (the reason)."""


def load_libyuv(names: tuple[str, ...] | None = None) -> ctypes.CDLL:
    """The first of ``names`` (the platform's usual names) that loads, with the two
    conversions' signatures set."""
    errors = []
    for name in _LIBRARY_NAMES if names is None else names:
        try:
            lib = ctypes.CDLL(name)
        except OSError as err:
            errors.append(str(err))
            continue
        try:
            # int ARGBToI420(src, src_stride, y, y_stride, u, u_stride, v, v_stride, w, h)
            lib.ARGBToI420.argtypes = [_P, _I, _P, _I, _P, _I, _P, _I, _I, _I]
            # int ARGBToNV12(src, src_stride, y, y_stride, uv, uv_stride, w, h)
            lib.ARGBToNV12.argtypes = [_P, _I, _P, _I, _P, _I, _I, _I]
        except AttributeError as err:
            errors.append(f"{name}: {err}")
            continue
        lib.ARGBToI420.restype = lib.ARGBToNV12.restype = _I
        return lib
    raise LibyuvUnavailable(
        f"libyuv is not installed ({'; '.join(errors) or 'no name to try'}): install it "
        "(Debian/Ubuntu: apt install libyuv0)"
    )


class _BufferPool:
    """Same-sized uint8 buffers, each handed out as a view and free again once that view dies."""

    def __init__(self, shape: tuple[int, int]) -> None:
        self.shape = shape
        self._bases: list[np.ndarray] = []
        # The view last handed out of each base; dead (None) means the base is free. A
        # weak reference, so the pool itself never keeps a frame alive.
        self._lent: list[weakref.ref[np.ndarray] | None] = []

    def __len__(self) -> int:
        return len(self._bases)

    def take(self) -> np.ndarray:
        for i, lent in enumerate(self._lent):
            if lent is None or lent() is None:
                return self._lend(i)
        # Every buffer is held (a full queue, the encoder's frame, FFmpeg's): one more. Its
        # count is bounded by the frames alive at once, which the frame queue bounds.
        self._bases.append(np.empty(self.shape, np.uint8))
        self._lent.append(None)
        return self._lend(len(self._bases) - 1)

    def _lend(self, i: int) -> np.ndarray:
        view = self._bases[i].view()
        self._lent[i] = weakref.ref(view)
        return view


class LibyuvConverter(FrameConverter):
    """BGRA/BGR0 frames of one size to ``yuv420p`` or ``nv12`` with libyuv; any other frame
    goes through swscale."""

    name = "libyuv"

    def __init__(self, pix_fmt: str, width: int, height: int) -> None:
        if pix_fmt not in ("yuv420p", "nv12"):
            raise LibyuvUnavailable(f"libyuv does not make {pix_fmt} here")
        if width % 2 or height % 4:
            # PyAV wraps a 4:2:0 buffer as 2/3 of its rows rounded down to a multiple of 4
            # (VideoFrame.from_numpy_buffer), so a 1050-row frame would come back 1048 rows.
            raise LibyuvUnavailable(f"a {width}x{height} frame cannot be wrapped without a copy")
        super().__init__(pix_fmt)
        self._lib = load_libyuv()
        self._size = (width, height)
        self._write: Callable[[av.VideoFrame, np.ndarray], None] = (
            self._write_i420 if pix_fmt == "yuv420p" else self._write_nv12
        )
        # Both 4:2:0 layouts hold 1.5 rows of bytes per row of pixels.
        self._pool = _BufferPool((height * 3 // 2, width))
        self._fallback: FrameConverter | None = None

    @property
    def buffers(self) -> int:
        return len(self._pool)

    def convert(self, raw: av.VideoFrame) -> av.VideoFrame:
        if raw.format.name not in _ARGB_LAYOUTS or (raw.width, raw.height) != self._size:
            return self._swscale(raw)
        out = self._pool.take()
        self._write(raw, out)
        return av.VideoFrame.from_numpy_buffer(out, format=self.pix_fmt)

    def _write_i420(self, raw: av.VideoFrame, out: np.ndarray) -> None:
        w, h = raw.width, raw.height
        plane = raw.planes[0]
        y = out.ctypes.data
        u = y + w * h
        v = u + (w // 2) * (h // 2)
        # ctypes drops the GIL for the call: the encoder thread runs meanwhile.
        self._lib.ARGBToI420(plane.buffer_ptr, plane.line_size, y, w, u, w // 2, v, w // 2, w, h)

    def _write_nv12(self, raw: av.VideoFrame, out: np.ndarray) -> None:
        w, h = raw.width, raw.height
        plane = raw.planes[0]
        y = out.ctypes.data
        self._lib.ARGBToNV12(plane.buffer_ptr, plane.line_size, y, w, y + w * h, w, w, h)

    def _swscale(self, raw: av.VideoFrame) -> av.VideoFrame:
        if self._fallback is None:
            self._fallback = SwscaleConverter(self.pix_fmt)
        return self._fallback.convert(raw)
