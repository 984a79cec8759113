"""Game-like scenes for the library window's screenshots: a capture source the recorder records.

Each game gets a painted first-person view (sky, hills, ground grid, crates, a
crosshair and a HUD) in its own colours; the view pans as the capture runs, and the
HUD stays put. The recorder encodes, rings and saves it like any screen, so the
screenshots show real clips and thumbnails made from them.
"""

from __future__ import annotations

import math

import av
import numpy as np
from PyQt6.QtCore import QPointF, QRectF, Qt
from PyQt6.QtGui import QColor, QFont, QImage, QLinearGradient, QPainter, QPen, QPolygonF

from hindsight.recorder.video.fake_source import FakeSource

__all__ = ["PALETTES", "SceneSource"]

# Per game: sky top, sky horizon, far hills, near hills, ground, crate.
PALETTES = {
    "valve.counter-strike-2": ("#4a7fc1", "#d9c7a2", "#8c7b66", "#6e5d4a", "#b08d5a", "#7a5230"),
    "riot.valorant": ("#2b1b4f", "#f08aa6", "#5b3d73", "#3d2a55", "#4b4f66", "#c9475f"),
    "epic.fortnite": ("#2f8fff", "#bfe7ff", "#5aa469", "#3f8a4f", "#76c06b", "#b07a3b"),
    "respawn.apex-legends": ("#3d2a3a", "#ff9a4d", "#8a4a3a", "#5e3428", "#a8623f", "#3b3f46"),
    "psyonix.rocket-league": ("#050b26", "#2a4fb8", "#1b2a5c", "#14204a", "#2f8f4e", "#f28c28"),
    "fromsoftware.elden-ring": ("#5c5138", "#f1d28a", "#6d6347", "#4a4332", "#5a5440", "#2c2a25"),
    "blizzard.overwatch-2": ("#5fc3e4", "#fdf1d6", "#7fb0a6", "#5c8f84", "#c9b38a", "#f99e1a"),
    "mojang.minecraft-java": ("#78a7ff", "#cfe3ff", "#4f8a3a", "#3c6e2c", "#6aa84f", "#8b5a2b"),
}


class SceneSource(FakeSource):
    """A panning first-person scene in ``palette``'s colours, with a fixed HUD on top."""

    name = "fake"

    def __init__(self, config, palette: tuple[str, ...], *, step: int = 3, seed: int = 0) -> None:
        super().__init__(config, step=step)
        self.palette = palette
        self.seed = seed
        self._hud: tuple[np.ndarray, np.ndarray] | None = None

    def open(self) -> None:
        super().open()
        w, h = self.width, self.height
        world = _paint_world(w, h, self.palette, self.seed)
        self._scene = np.concatenate([world, world], axis=1)  # periodic: the pan wraps
        hud = _paint_hud(w, h, self.seed)
        self._hud = (hud[..., :3], hud[..., 3:4].astype(np.float32) / 255)

    def grab(self) -> av.VideoFrame:
        assert self._scene is not None and self._hud is not None
        shift = (self.frames_grabbed * self.step) % self.width
        pixels = self._scene[:, shift : shift + self.width].copy()
        rgb, alpha = self._hud
        pixels[..., :3] = (pixels[..., :3] * (1 - alpha) + rgb * alpha).astype(np.uint8)
        self.frames_grabbed += 1
        return av.VideoFrame.from_numpy_buffer(pixels, format="bgra")


def _image(w: int, h: int) -> tuple[QImage, QPainter]:
    image = QImage(w, h, QImage.Format.Format_ARGB32)  # BGRA in memory on little-endian
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    return image, painter


def _array(image: QImage) -> np.ndarray:
    ptr = image.constBits()
    ptr.setsize(image.sizeInBytes())
    rows = np.frombuffer(ptr, np.uint8).reshape(image.height(), image.bytesPerLine())
    return rows[:, : image.width() * 4].reshape(image.height(), image.width(), 4).copy()


def _hills(w: int, base: float, amp: float, waves: int, phase: float, h: int) -> QPolygonF:
    """A hill line periodic in ``w`` (whole waves), closed down to the bottom."""
    points = [
        QPointF(x, base - amp * (0.6 * math.sin(2 * math.pi * waves * x / w + phase) + 0.4))
        for x in range(0, w + 8, 8)
    ]
    return QPolygonF([*points, QPointF(w, h), QPointF(0, h)])


def _paint_world(w: int, h: int, palette: tuple[str, ...], seed: int) -> np.ndarray:
    sky_top, horizon_c, far_c, near_c, ground_c, crate_c = palette
    image, p = _image(w, h)
    horizon = h * 0.55
    sky = QLinearGradient(0, 0, 0, horizon)
    sky.setColorAt(0, QColor(sky_top))
    sky.setColorAt(1, QColor(horizon_c))
    p.fillRect(QRectF(0, 0, w, horizon), sky)
    p.setPen(Qt.PenStyle.NoPen)
    p.setBrush(QColor(far_c))
    p.drawPolygon(_hills(w, horizon - h * 0.02, h * 0.12, 3, seed, h))
    p.setBrush(QColor(near_c))
    p.drawPolygon(_hills(w, horizon + h * 0.01, h * 0.07, 2, seed + 1.7, h))
    ground = QLinearGradient(0, horizon, 0, h)
    ground.setColorAt(0, QColor(ground_c).darker(130))
    ground.setColorAt(1, QColor(ground_c))
    p.fillRect(QRectF(0, horizon, w, h - horizon), ground)
    p.setPen(QPen(QColor(255, 255, 255, 40), 1))
    for i in range(1, 12):  # ground grid: rows closer together towards the horizon
        y = horizon + (h - horizon) * (i / 12) ** 1.8
        p.drawLine(QPointF(0, y), QPointF(w, y))
    for i in range(-12, 13):
        x = w / 2 + i * w / 12
        p.drawLine(QPointF(w / 2 + i * w / 80, horizon), QPointF(x, h))
    rng = np.random.default_rng(seed)
    for _ in range(4):  # crates, kept clear of the wrap seam
        size = float(rng.uniform(0.08, 0.16)) * h
        x = float(rng.uniform(0.05, 0.9)) * w
        y = horizon + float(rng.uniform(0.15, 0.35)) * (h - horizon)
        box = QRectF(x, y, size, size)
        p.setBrush(QColor(crate_c))
        p.setPen(QPen(QColor(crate_c).darker(160), max(1.0, size / 30)))
        p.drawRect(box)
        p.drawLine(box.topLeft(), box.bottomRight())
        p.drawLine(box.topRight(), box.bottomLeft())
    p.end()
    return _array(image)


def _paint_hud(w: int, h: int, seed: int) -> np.ndarray:
    image, p = _image(w, h)
    c = QPointF(w / 2, h / 2)
    p.setPen(QPen(QColor("#7dff9a"), max(1.5, h / 360)))
    gap, arm = h / 90, h / 40
    for dx, dy in ((1, 0), (-1, 0), (0, 1), (0, -1)):
        p.drawLine(c + QPointF(dx * gap, dy * gap), c + QPointF(dx * (gap + arm), dy * (gap + arm)))
    gun = QPolygonF(
        [QPointF(w * 0.66, h), QPointF(w * 0.75, h * 0.77), QPointF(w * 0.8, h * 0.76),
         QPointF(w * 0.82, h * 0.79), QPointF(w * 0.78, h)]
    )  # fmt: skip
    p.setPen(Qt.PenStyle.NoPen)
    p.setBrush(QColor("#23262d"))
    p.drawPolygon(gun)
    font = QFont()
    font.setBold(True)
    font.setPixelSize(int(h / 14))
    p.setFont(font)
    p.setPen(QColor(255, 255, 255, 235))
    p.drawText(
        QRectF(0, h * 0.86, w * 0.97, h * 0.12),
        Qt.AlignmentFlag.AlignRight,
        f"{24 - seed % 7} / 90",
    )
    p.drawText(
        QRectF(w * 0.03, h * 0.86, w * 0.3, h * 0.12),
        Qt.AlignmentFlag.AlignLeft,
        f"+ {100 - 9 * (seed % 5)}",
    )
    p.drawText(
        QRectF(0, h * 0.03, w * 0.97, h * 0.1),
        Qt.AlignmentFlag.AlignRight,
        f"1:{42 - seed % 30:02d}",
    )
    p.end()
    return _array(image)
