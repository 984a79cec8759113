"""Painting a scene's primitives with QPainter (the browser page's ``overlay.js`` paints the same
ones on canvas).

Each primitive of :mod:`hindsight.overlay.model.scene` has one function here that
draws it in a given state, at ``u`` pixels per key unit. Geometry, colours and
sizes come from the scene; only how to put them on a QPainter lives here.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Hashable
from typing import Any

from PyQt6.QtCore import QPointF, QRectF, Qt
from PyQt6.QtGui import (
    QBrush,
    QColor,
    QFont,
    QLinearGradient,
    QPainter,
    QPainterPath,
    QPen,
    QPolygonF,
    QTransform,
)

from hindsight.overlay.model.primitives import (
    Body,
    Cap,
    Chevron,
    Counter,
    Fill,
    HistoryRow,
    Item,
    Meter,
    MouseBody,
    MouseButton,
    Needle,
    Panel,
    Stick,
    Text,
    Trigger,
    Well,
)
from hindsight.overlay.model.scene import NEEDLE_DIRECTIONS, NEEDLE_LENGTHS, STEPS
from hindsight.overlay.model.theme import FONT_FAMILIES, LIT_TOP_LIGHTER, OverlayStyle

__all__ = ["ScenePainter", "ui_font", "body_path"]

_ALIGN = {
    "left": Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
    "center": Qt.AlignmentFlag.AlignCenter,
    "right": Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
}


def ui_font(px: float, bold: bool = True) -> QFont:
    font = QFont()
    font.setFamilies(list(FONT_FAMILIES))
    font.setPixelSize(max(6, round(px)))
    font.setWeight(QFont.Weight.Bold if bold else QFont.Weight.Medium)
    font.setHintingPreference(QFont.HintingPreference.PreferNoHinting)
    return font


def body_path(body: Body, u: float) -> QPainterPath:
    """The union of the body's rounded rectangles, each turned about its centre."""
    path = QPainterPath()
    for x, y, w, h, r, angle in body.parts:
        part = QPainterPath()
        rect = QRectF(x * u, y * u, w * u, h * u)
        part.addRoundedRect(rect, r * u, r * u)
        if angle:
            c = rect.center()
            part = (
                QTransform()
                .translate(c.x(), c.y())
                .rotate(angle)
                .translate(-c.x(), -c.y())
                .map(part)
            )
        path = path.united(part)
    return path


class ScenePainter:
    """Draws primitives at ``u`` pixels per key unit in ``style``'s accent."""

    def __init__(self, style: OverlayStyle, u: float) -> None:
        self.style = style
        self.u = u
        self._paint: dict[type, Callable[[QPainter, Any, Any], None]] = {
            Panel: self._panel,
            Cap: self._cap,
            Body: self._body,
            Well: self._well,
            Stick: self._stick,
            Trigger: self._trigger,
            MouseBody: self._mouse_body,
            MouseButton: self._mouse_button,
            Fill: self._fill,
            Chevron: self._chevron,
            Needle: self._needle,
            Text: self._text_item,
            Meter: self._meter,
            Counter: self._counter,
            HistoryRow: self._history_row,
        }

    def paint(self, p: QPainter, item: Item, state: Hashable) -> None:
        self._paint[type(item)](p, item, state)

    # ---- helpers ----------------------------------------------------------------------

    def colour(self, name: str, alpha: int | None = None) -> QColor:
        c = QColor(*self.style.colour(name))
        if alpha is not None:
            c.setAlpha(alpha)
        return c

    def rect(self, x: float, y: float, w: float, h: float) -> QRectF:
        u = self.u
        return QRectF(x * u, y * u, w * u, h * u)

    def pen(self, name: str, width_u: float, least: float = 1.0) -> QPen:
        return QPen(self.colour(name), max(least, self.u * width_u))

    def text(
        self,
        p: QPainter,
        rect: QRectF,
        label: str,
        colour: QColor,
        size_u: float,
        align: str = "center",
        bold: bool = True,
    ) -> None:
        font = ui_font(self.u * size_u, bold)
        p.setFont(font)
        # Long labels shrink to fit their cap instead of being cut.
        width = p.fontMetrics().horizontalAdvance(label)
        if width > rect.width() * 0.9 and width > 0:
            font.setPixelSize(max(6, int(font.pixelSize() * rect.width() * 0.9 / width)))
            p.setFont(font)
        p.setPen(colour)
        p.drawText(rect, int(_ALIGN[align]), label)

    def rounded(self, p: QPainter, rect: QRectF, radius_px: float) -> None:
        p.drawRoundedRect(rect, radius_px, radius_px)

    # ---- primitives -------------------------------------------------------------------

    def _panel(self, p: QPainter, it: Panel, _: Hashable) -> None:
        u, rect, r = self.u, self.rect(it.x, it.y, it.w, it.h), it.r * self.u
        p.setPen(Qt.PenStyle.NoPen)
        for i, alpha in enumerate((26, 20, 14, 8)):
            grow = u * 0.05 * (i + 1)
            p.setBrush(QColor(0, 0, 0, alpha))
            self.rounded(p, rect.adjusted(-grow, -grow + u * 0.06, grow, grow + u * 0.1), r + grow)
        p.setBrush(self.colour("panel"))
        p.setPen(self.pen("panel_edge", 0.025))
        self.rounded(p, rect, r)

    def _cap(self, p: QPainter, it: Cap, lit: Hashable) -> None:
        u, rect, r = self.u, self.rect(it.x, it.y, it.w, it.h), it.r * self.u
        p.setPen(Qt.PenStyle.NoPen)
        if lit:
            for grow, alpha in ((u * 0.16, 45), (u * 0.08, 80)):
                p.setBrush(self.colour("accent", alpha))
                self.rounded(p, rect.adjusted(-grow, -grow, grow, grow), r + grow)
            grad = QLinearGradient(rect.topLeft(), rect.bottomLeft())
            accent = self.colour("accent")
            grad.setColorAt(0.0, accent.lighter(LIT_TOP_LIGHTER))
            grad.setColorAt(1.0, accent)
            p.setBrush(QBrush(grad))
            self.rounded(p, rect, r)
            text = self.colour("accent_label")
        elif it.bound:
            p.setBrush(self.colour("shadow"))
            self.rounded(p, rect.translated(0, u * 0.06), r)
            grad = QLinearGradient(rect.topLeft(), rect.bottomLeft())
            grad.setColorAt(0.0, self.colour("cap_top"))
            grad.setColorAt(1.0, self.colour("cap"))
            p.setBrush(QBrush(grad))
            p.setPen(self.pen("cap_edge", 0.025))
            self.rounded(p, rect, r)
            text = self.colour("label")
        else:
            p.setBrush(self.colour("cap_idle"))
            self.rounded(p, rect, r)
            text = self.colour("label_idle")
        if it.label:
            self.text(p, rect, it.label, text, it.text)

    def _body(self, p: QPainter, it: Body, _: Hashable) -> None:
        body = body_path(it, self.u)
        p.setPen(Qt.PenStyle.NoPen)
        for i, alpha in enumerate((30, 20, 12)):
            p.setBrush(QColor(0, 0, 0, alpha))
            p.drawPath(body.translated(0, self.u * 0.05 * (i + 2)))
        p.setBrush(self.colour("panel"))
        p.setPen(self.pen("panel_edge", 0.03))
        p.drawPath(body)

    def _well(self, p: QPainter, it: Well, _: Hashable) -> None:
        c, r = QPointF(it.cx * self.u, it.cy * self.u), it.r * self.u
        p.setBrush(self.colour(it.fill))
        p.setPen(self.pen("cap_edge", 0.03))
        p.drawEllipse(c, r, r)
        if it.cross:
            p.setPen(self.pen("label_idle", 0.02))
            p.drawLine(QPointF(c.x() - r * 0.25, c.y()), QPointF(c.x() + r * 0.25, c.y()))
            p.drawLine(QPointF(c.x(), c.y() - r * 0.25), QPointF(c.x(), c.y() + r * 0.25))

    def _stick(self, p: QPainter, it: Stick, state: Any) -> None:
        qx, qy, click = state
        x, y = qx / STEPS, qy / STEPS
        c, r = QPointF(it.cx * self.u, it.cy * self.u), it.r * self.u
        thumb = QPointF(c.x() + x * r * 0.45, c.y() - y * r * 0.45)
        p.setPen(self.pen("cap_edge", 0.03))
        p.setBrush(self.colour("accent") if click else self.colour("cap_top"))
        p.drawEllipse(thumb, r * 0.58, r * 0.58)
        if (abs(qx) > 1 or abs(qy) > 1) and not click:
            p.setPen(self.pen("accent", 0.08, 1.5))
            p.setBrush(Qt.BrushStyle.NoBrush)
            p.drawEllipse(thumb, r * 0.58, r * 0.58)

    def _trigger(self, p: QPainter, it: Trigger, state: Any) -> None:
        rect, r = self.rect(it.x, it.y, it.w, it.h), it.r * self.u
        value = state / STEPS
        if value <= 0:
            self._cap(p, Cap(it.x, it.y, it.w, it.h, it.r, it.label, it.text, ()), False)
            return
        clip = QPainterPath()
        clip.addRoundedRect(rect, r, r)
        fill = QRectF(
            rect.left(), rect.bottom() - rect.height() * value, rect.width(), rect.height() * value
        )
        p.save()
        p.setClipPath(clip, Qt.ClipOperation.IntersectClip)
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(self.colour("accent"))
        p.drawRect(fill)
        p.restore()
        self.text(
            p,
            rect,
            it.label,
            self.colour("accent_label") if value > 0.5 else self.colour("label"),
            0.32,
        )

    def _mouse_body(self, p: QPainter, it: MouseBody, _: Hashable) -> None:
        rect, r = self.rect(it.x, it.y, it.w, it.h), it.r * self.u
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(self.colour("shadow"))
        self.rounded(p, rect.translated(0, self.u * 0.06), r)
        p.setBrush(self.colour("cap_idle"))
        p.setPen(self.pen("cap_edge", 0.025))
        self.rounded(p, rect, r)

    def _mouse_button(self, p: QPainter, it: MouseButton, lit: Hashable) -> None:
        bx, by, bw, bh, br = it.body
        outer = QPainterPath()
        outer.addRoundedRect(self.rect(bx, by, bw, bh), br * self.u, br * self.u)
        clip = QPainterPath()
        clip.addRect(self.rect(it.x, it.y, it.w, it.h))
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(self.colour("accent" if lit else "cap" if it.bound else "cap_idle"))
        p.drawPath(outer.intersected(clip))

    def _fill(self, p: QPainter, it: Fill, lit: Hashable) -> None:
        p.setPen(Qt.PenStyle.NoPen if lit else self.pen("cap_edge", 0.02))
        p.setBrush(self.colour("accent" if lit else "cap_top" if it.bound else "cap_idle"))
        self.rounded(p, self.rect(it.x, it.y, it.w, it.h), it.r * self.u)

    def _chevron(self, p: QPainter, it: Chevron, lit: Hashable) -> None:
        u = self.u
        cx, tip = it.cx * u, it.tip * u
        base, half = tip - it.sign * it.half * u, it.half * u
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(self.colour("accent" if lit else "label_idle"))
        p.drawPolygon(
            QPolygonF([QPointF(cx - half, base), QPointF(cx + half, base), QPointF(cx, tip)])
        )

    def _needle(self, p: QPainter, it: Needle, state: Any) -> None:
        direction, length = state
        if not length:
            return
        angle = direction * 2 * math.pi / NEEDLE_DIRECTIONS
        c, r = QPointF(it.cx * self.u, it.cy * self.u), it.r * self.u
        tip = QPointF(
            c.x() + math.cos(angle) * length / NEEDLE_LENGTHS * r,
            c.y() + math.sin(angle) * length / NEEDLE_LENGTHS * r,
        )
        accent = self.colour("accent")
        p.setPen(
            QPen(accent, max(1.5, self.u * 0.08), Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap)
        )
        p.drawLine(c, tip)
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(accent)
        p.drawEllipse(tip, self.u * 0.11, self.u * 0.11)

    def _text_item(self, p: QPainter, it: Text, _: Hashable) -> None:
        self.text(
            p,
            self.rect(it.x, it.y, it.w, it.h),
            it.text,
            self.colour(it.colour),
            it.size,
            it.align,
            it.bold,
        )

    def _meter(self, p: QPainter, it: Meter, apm: Any) -> None:
        fraction = 1.0 if not apm else min(1.0, apm / it.full)
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(self.colour("accent" if apm else "cap_idle"))
        self.rounded(p, self.rect(it.x, it.y, it.w * fraction, it.h), it.r * self.u)

    def _counter(self, p: QPainter, it: Counter, apm: Any) -> None:
        self.text(
            p, self.rect(it.x, it.y, it.w, it.h), str(apm), self.colour("label"), it.size, "right"
        )

    def _history_row(self, p: QPainter, it: HistoryRow, state: Any) -> None:
        if state is None:
            return
        label, duration, active = state
        u, row = self.u, self.rect(it.x, it.y, it.w, it.h)
        opacity = p.opacity()
        p.setOpacity(opacity * max(0.35, 1.0 - it.index * 0.13))  # older entries recede
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(self.colour("accent", 60) if active else self.colour("cap_idle"))
        self.rounded(p, row, 0.14 * u)
        if active:
            p.setBrush(self.colour("accent"))
            self.rounded(p, QRectF(row.left(), row.top(), 0.12 * u, row.height()), 0.06 * u)
        text = row.adjusted(0.3 * u, 0, -0.25 * u, 0)
        self.text(
            p,
            QRectF(text.left(), text.top(), text.width() * 0.68, text.height()),
            label,
            self.colour("label"),
            0.34,
            "left",
        )
        self.text(
            p,
            QRectF(text.left() + text.width() * 0.6, text.top(), text.width() * 0.4, text.height()),
            duration,
            self.colour("accent" if active else "muted"),
            0.3,
            "right",
            bold=False,
        )
        p.setOpacity(opacity)
