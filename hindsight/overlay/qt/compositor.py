"""Drawing a template onto video frames fast: paint only the overlay's rectangle, blend in YUV.

The template's static part is painted once; each distinct :meth:`Template.state_key`
is painted once on a copy of it and turned into premultiplied Y/U/V planes with
8-bit alpha (BT.601 limited range, as the recorder's frames are), kept in a small
LRU cache. Per frame only the overlay's rectangle of a 4:2:0 frame is touched:
``out = src * (1 - a) + overlay`` in 16-bit integers, no full-frame RGB round trip.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Hashable
from dataclasses import dataclass

import av
import numpy as np
from PyQt6.QtCore import Qt
from PyQt6.QtGui import QGuiApplication, QImage, QPainter

from hindsight.overlay.model.state import ActionFrame
from hindsight.overlay.model.theme import OverlayStyle
from hindsight.overlay.qt.template import Template

__all__ = [
    "ensure_qt",
    "qimage_rgba",
    "YuvOverlay",
    "FrameCompositor",
    "render_image",
    "plane_views",
    "copy_frame",
]

_CACHE_ENTRIES = 160
_APP: QGuiApplication | None = None

# BT.601 limited range, on premultiplied RGB in 0..1 (offsets scaled by alpha).
_RGB_TO_YUV = np.array(
    [[65.481, 128.553, 24.966], [-37.797, -74.203, 112.0], [112.0, -93.786, -18.214]],
    dtype=np.float32,
)


def ensure_qt() -> QGuiApplication:
    """A Qt GUI application (offscreen if none exists yet): fonts and painting need one."""
    global _APP
    app = QGuiApplication.instance()
    if app is None:
        # Kept referenced: a collected application takes Qt's font database with it.
        app = _APP = QGuiApplication(["hindsight", "-platform", "offscreen"])
    return app  # type: ignore[return-value]


def qimage_rgba(image: QImage) -> np.ndarray:
    """A copy of ``image`` (RGBA8888 premultiplied) as an (h, w, 4) uint8 array."""
    if image.format() != QImage.Format.Format_RGBA8888_Premultiplied:
        image = image.convertToFormat(QImage.Format.Format_RGBA8888_Premultiplied)
    w, h = image.width(), image.height()
    ptr = image.constBits()
    ptr.setsize(image.sizeInBytes())
    rows = np.frombuffer(ptr, dtype=np.uint8).reshape(h, image.bytesPerLine())
    return rows[:, : w * 4].reshape(h, w, 4).copy()


def render_image(template: Template, frame: ActionFrame) -> QImage:
    """The template alone on a transparent picture (screenshots, tests)."""
    w, h = template.size()
    image = QImage(w, h, QImage.Format.Format_RGBA8888_Premultiplied)
    image.fill(Qt.GlobalColor.transparent)
    p = QPainter(image)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    p.setRenderHint(QPainter.RenderHint.TextAntialiasing)
    template.paint(p, frame)
    p.end()
    return image


@dataclass(frozen=True)
class YuvOverlay:
    """One overlay picture as 4:2:0 planes: ``keep`` (256 - alpha, uint16) and premultiplied values
    (uint8)."""

    keep_y: np.ndarray
    add_y: np.ndarray
    keep_c: np.ndarray
    add_u: np.ndarray
    add_v: np.ndarray

    @classmethod
    def from_rgba(cls, rgba: np.ndarray, opacity: float = 1.0) -> YuvOverlay:
        px = rgba.astype(np.float32) * (opacity / 255.0)
        alpha = px[..., 3]
        yuv = px[..., :3] @ _RGB_TO_YUV.T  # premultiplied, without offsets
        y = yuv[..., 0] + 16.0 * alpha

        # 2x2 box average for chroma and its alpha (the overlay's size is even).
        def half(a: np.ndarray) -> np.ndarray:
            return (a[0::2, 0::2] + a[1::2, 0::2] + a[0::2, 1::2] + a[1::2, 1::2]) * 0.25

        alpha_c = half(alpha)
        u = half(yuv[..., 1]) + 128.0 * alpha_c
        v = half(yuv[..., 2]) + 128.0 * alpha_c

        def alpha8(a: np.ndarray) -> np.ndarray:
            return np.clip(np.rint(a * 256.0), 0, 256).astype(np.uint16)

        def add(a: np.ndarray) -> np.ndarray:
            return np.clip(np.rint(a), 0, 255).astype(np.uint8)

        # 256 - alpha is what is kept of the frame; alpha 256 (opaque) fits uint16 only.
        return cls(256 - alpha8(alpha), add(y), 256 - alpha8(alpha_c), add(u), add(v))

    @property
    def nbytes(self) -> int:
        return sum(a.nbytes for a in (self.keep_y, self.add_y, self.keep_c, self.add_u, self.add_v))


def _blend(dst: np.ndarray, keep: np.ndarray, add: np.ndarray, scratch: np.ndarray) -> None:
    np.multiply(dst, keep, out=scratch, casting="unsafe")
    scratch >>= 8
    scratch += add
    np.minimum(scratch, 255, out=scratch)
    dst[...] = scratch


class FrameCompositor:
    """Blends a template's picture for each :class:`ActionFrame` into yuv420p frame arrays."""

    def __init__(
        self, template: Template, style: OverlayStyle, frame_size: tuple[int, int]
    ) -> None:
        ensure_qt()
        self.template = template
        self.style = style
        width, height = frame_size
        ow, oh = template.size()
        ow, oh = min(ow, width) // 2 * 2, min(oh, height) // 2 * 2
        self.size = (ow, oh)
        self.origin = style.place((ow, oh), frame_size)
        self.frame_size = frame_size
        base = QImage(ow, oh, QImage.Format.Format_RGBA8888_Premultiplied)
        base.fill(Qt.GlobalColor.transparent)
        p = QPainter(base)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.setRenderHint(QPainter.RenderHint.TextAntialiasing)
        template.paint_static(p)
        p.end()
        self._base = base
        self._cache: OrderedDict[Hashable, YuvOverlay] = OrderedDict()
        self.painted = 0
        self._scratch_y = np.empty((oh, ow), dtype=np.uint16)
        self._scratch_c = np.empty((oh // 2, ow // 2), dtype=np.uint16)

    def overlay_for(self, frame: ActionFrame) -> YuvOverlay:
        key = self.template.state_key(frame)
        hit = self._cache.get(key)
        if hit is not None:
            self._cache.move_to_end(key)
            return hit
        image = self._base.copy()
        p = QPainter(image)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.setRenderHint(QPainter.RenderHint.TextAntialiasing)
        self.template.paint_dynamic(p, frame)
        p.end()
        ow, oh = self.size
        overlay = YuvOverlay.from_rgba(qimage_rgba(image)[:oh, :ow], self.style.opacity)
        self.painted += 1
        self._cache[key] = overlay
        if len(self._cache) > _CACHE_ENTRIES:
            self._cache.popitem(last=False)
        return overlay

    def apply(self, luma: np.ndarray, cb: np.ndarray, cr: np.ndarray, frame: ActionFrame) -> None:
        """Blend into a 4:2:0 frame's planes (uint8 views, chroma at half size), in place."""
        overlay = self.overlay_for(frame)
        x, y = self.origin
        ow, oh = self.size
        _blend(luma[y : y + oh, x : x + ow], overlay.keep_y, overlay.add_y, self._scratch_y)
        cy, cx = y // 2, x // 2
        for plane, add in ((cb, overlay.add_u), (cr, overlay.add_v)):
            _blend(
                plane[cy : cy + oh // 2, cx : cx + ow // 2], overlay.keep_c, add, self._scratch_c
            )


def plane_views(frame: av.VideoFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Writable (height, width) views of a yuv420p frame's three planes (strides respected)."""
    views = []
    for plane in frame.planes[:3]:
        rows = np.frombuffer(plane, dtype=np.uint8).reshape(-1, plane.line_size)
        views.append(rows[: plane.height, : plane.width])
    return views[0], views[1], views[2]


def copy_frame(src: av.VideoFrame) -> av.VideoFrame:
    """A new yuv420p frame with ``src``'s picture: decoded frames may still be the decoder's
    references."""
    if src.format.name != "yuv420p":
        src = src.reformat(format="yuv420p")
    out = av.VideoFrame(src.width, src.height, "yuv420p")
    for dst, plane in zip(plane_views(out), plane_views(src), strict=True):
        dst[...] = plane
    return out
