"""The tray icon's looks, one per recorder state, drawn in code so they stay sharp at any size.

A dark rounded tile with a ring that turns back on itself (the "look back" mark) and,
in its middle, what the recorder is doing: a red dot (recording), two amber bars
(paused), a green arc (saving), a red exclamation mark (error), a grey dot (starting).
"""

from __future__ import annotations

import math

from PyQt6.QtCore import QPointF, QRectF, Qt
from PyQt6.QtGui import QColor, QIcon, QPainter, QPainterPath, QPen, QPixmap

__all__ = ["STATES", "state_icon", "state_pixmap"]

STATES = ("starting", "recording", "paused", "saving", "error")

_TILE = QColor("#1b1d24")
_RING = QColor("#e9ecf2")
_COLOURS = {
    "starting": QColor("#8a8f9c"),
    "recording": QColor("#ff3b45"),
    "paused": QColor("#ffb020"),
    "saving": QColor("#2fd27a"),
    "error": QColor("#ff3b45"),
}


def state_pixmap(state: str, size: int = 64) -> QPixmap:
    """The icon of ``state`` as a square pixmap of ``size`` pixels (transparent corners)."""
    pixmap = QPixmap(size, size)
    pixmap.fill(Qt.GlobalColor.transparent)
    p = QPainter(pixmap)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    p.scale(size / 64, size / 64)  # drawn on a 64-unit grid
    p.setPen(Qt.PenStyle.NoPen)
    p.setBrush(_TILE)
    p.drawRoundedRect(QRectF(2, 2, 60, 60), 14, 14)
    colour = _COLOURS.get(state, _COLOURS["starting"])
    ring = _RING if state != "error" else QColor("#8a8f9c")
    _draw_ring(p, ring)
    p.setPen(Qt.PenStyle.NoPen)
    p.setBrush(colour)
    if state == "paused":
        p.drawRoundedRect(QRectF(23.5, 22, 6, 20), 2, 2)
        p.drawRoundedRect(QRectF(34.5, 22, 6, 20), 2, 2)
    elif state == "saving":
        pen = QPen(colour, 6, cap=Qt.PenCapStyle.RoundCap)
        p.setPen(pen)
        p.setBrush(Qt.BrushStyle.NoBrush)
        p.drawArc(QRectF(23, 23, 18, 18), 90 * 16, -270 * 16)
    elif state == "error":
        p.drawRoundedRect(QRectF(29, 18, 6, 18), 3, 3)
        p.drawEllipse(QPointF(32, 43), 3.6, 3.6)
    else:
        p.drawEllipse(QPointF(32, 32), 9, 9)
    p.end()
    return pixmap


def _draw_ring(p: QPainter, colour: QColor) -> None:
    # An open ring with an arrowhead at its start: time turned back.
    pen = QPen(colour, 4.5, cap=Qt.PenCapStyle.RoundCap)
    p.setPen(pen)
    p.setBrush(Qt.BrushStyle.NoBrush)
    p.drawArc(QRectF(12, 12, 40, 40), 110 * 16, 300 * 16)
    # The arrowhead sits on the ring's end at 50 degrees and points counter-clockwise: back.
    end = math.radians(50)
    px, py = 32 + 20 * math.cos(end), 32 - 20 * math.sin(end)
    dx, dy = -math.sin(end), -math.cos(end)  # counter-clockwise tangent, screen coordinates
    nx, ny = math.cos(end), -math.sin(end)  # outward normal
    head = QPainterPath()
    head.moveTo(px + dx * 7, py + dy * 7)
    head.lineTo(px - dx * 2 + nx * 7, py - dy * 2 + ny * 7)
    head.lineTo(px - dx * 2 - nx * 7, py - dy * 2 - ny * 7)
    head.closeSubpath()
    p.setPen(Qt.PenStyle.NoPen)
    p.setBrush(colour)
    p.drawPath(head)


def state_icon(state: str) -> QIcon:
    """A multi-size icon for ``state`` (the tray picks the size its host asks for)."""
    icon = QIcon()
    for size in (16, 22, 24, 32, 48, 64):
        icon.addPixmap(state_pixmap(state, size))
    return icon
