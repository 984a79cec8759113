"""What every overlay template shares: geometry in key units, the theme, and drawing of panels and caps.

A template draws in two passes so burn-in can cache: :meth:`Template.paint_static`
(panel and idle parts, drawn once) and :meth:`Template.paint_dynamic` (what the
frame lights). :meth:`Template.state_key` names everything the dynamic pass
depends on, so equal keys give equal pictures. :meth:`Template.regions` tells
where each input part is drawn (tests check those regions light up).
"""

from __future__ import annotations

from collections.abc import Hashable

from PyQt6.QtCore import QPointF, QRectF, Qt
from PyQt6.QtGui import QBrush, QColor, QFont, QLinearGradient, QPainter, QPainterPath, QPen

from hindsight.actionmap.model import ActionKind
from hindsight.overlay.model.state import ActionFrame
from hindsight.overlay.model.theme import OverlayStyle
from hindsight.overlay.model.layout import AXIS_LIGHT, THEME, Light, OverlayLayout

__all__ = ["Template", "colour", "ui_font", "is_on"]

_FONT_FAMILIES = ["DejaVu Sans", "Noto Sans", "Segoe UI", "Helvetica Neue", "Arial", "sans-serif"]


def colour(name: str, style: OverlayStyle | None = None, alpha: int | None = None) -> QColor:
    if name == "accent" and style is not None:
        r, g, b = style.accent_rgb
        c = QColor(r, g, b, 255)
    else:
        c = QColor(*THEME[name])
    if alpha is not None:
        c.setAlpha(alpha)
    return c


def ui_font(px: float, bold: bool = True) -> QFont:
    font = QFont()
    font.setFamilies(_FONT_FAMILIES)
    font.setPixelSize(max(6, round(px)))
    font.setWeight(QFont.Weight.Bold if bold else QFont.Weight.Medium)
    font.setHintingPreference(QFont.HintingPreference.PreferNoHinting)
    return font


def is_on(light: Light, frame: ActionFrame, kinds: dict[str, str]) -> bool:
    """Whether ``light`` is lit in ``frame`` (right context; button lit, or axis pushed its way)."""
    if light.context != frame.context:
        return False
    kind = kinds.get(light.action)
    if kind == ActionKind.BUTTON:
        return light.action in frame.lit
    if kind in (ActionKind.AXIS1D, ActionKind.AXIS2D):
        x, y = frame.axes.get(light.action, (0.0, 0.0))
        if light.axis is None:
            return max(abs(x), abs(y)) > AXIS_LIGHT
        value = x if light.axis == "x" else y
        return value * light.sign > AXIS_LIGHT
    return False


class Template:
    """Base of the four templates; ``unit`` is pixels per key unit."""

    name = ""

    def __init__(self, layout: OverlayLayout, style: OverlayStyle, unit: float) -> None:
        self.layout = layout
        self.style = style
        self.u = unit
        self.kinds = layout.kinds()
        self.labels = layout.labels()
        self.pad = 0.3 * unit  # room for the shadow inside the overlay's own rectangle

    # ---- to be filled in --------------------------------------------------------------

    def content_size(self) -> tuple[float, float]:
        raise NotImplementedError

    def paint_static(self, p: QPainter) -> None:
        raise NotImplementedError

    def paint_dynamic(self, p: QPainter, frame: ActionFrame) -> None:
        raise NotImplementedError

    def state_key(self, frame: ActionFrame) -> Hashable:
        raise NotImplementedError

    def regions(self) -> dict[str, QRectF]:
        return {}

    # ---- shared ----------------------------------------------------------------------

    def size(self) -> tuple[int, int]:
        """The overlay's pixel size, even in both directions."""
        w, h = self.content_size()
        return int(w + 2 * self.pad + 1) // 2 * 2 + 2, int(h + 2 * self.pad + 1) // 2 * 2 + 2

    def paint(self, p: QPainter, frame: ActionFrame) -> None:
        self.paint_static(p)
        self.paint_dynamic(p, frame)

    def panel(self, p: QPainter, rect: QRectF, radius: float) -> None:
        """A dark translucent panel with a soft shadow, so the overlay reads on any footage."""
        p.setPen(Qt.PenStyle.NoPen)
        for i, alpha in enumerate((26, 20, 14, 8)):
            grow = self.u * 0.05 * (i + 1)
            p.setBrush(QColor(0, 0, 0, alpha))
            p.drawRoundedRect(rect.adjusted(-grow, -grow + self.u * 0.06, grow, grow + self.u * 0.1),
                              radius + grow, radius + grow)
        p.setBrush(colour("panel"))
        p.setPen(QPen(colour("panel_edge"), max(1.0, self.u * 0.025)))
        p.drawRoundedRect(rect, radius, radius)

    def cap(self, p: QPainter, rect: QRectF, label: str, state: str, radius: float | None = None) -> None:
        """A key cap: ``state`` is ``idle`` (not bound), ``bound`` or ``lit``."""
        u = self.u
        r = radius if radius is not None else u * 0.16
        p.setPen(Qt.PenStyle.NoPen)
        if state == "lit":
            for grow, alpha in ((u * 0.16, 45), (u * 0.08, 80)):
                p.setBrush(colour("accent", self.style, alpha))
                p.drawRoundedRect(rect.adjusted(-grow, -grow, grow, grow), r + grow, r + grow)
            grad = QLinearGradient(rect.topLeft(), rect.bottomLeft())
            accent = colour("accent", self.style)
            grad.setColorAt(0.0, accent.lighter(118))
            grad.setColorAt(1.0, accent)
            p.setBrush(QBrush(grad))
            p.drawRoundedRect(rect, r, r)
            text = colour("accent_label")
        elif state == "bound":
            p.setBrush(colour("shadow"))
            p.drawRoundedRect(rect.translated(0, u * 0.06), r, r)
            grad = QLinearGradient(rect.topLeft(), rect.bottomLeft())
            grad.setColorAt(0.0, colour("cap_top"))
            grad.setColorAt(1.0, colour("cap"))
            p.setBrush(QBrush(grad))
            p.setPen(QPen(colour("cap_edge"), max(1.0, u * 0.025)))
            p.drawRoundedRect(rect, r, r)
            text = colour("label")
        else:
            p.setBrush(colour("cap_idle"))
            p.drawRoundedRect(rect, r, r)
            text = colour("label_idle")
        if label:
            self.text(p, rect, label, text, 0.4 if len(label) <= 2 else 0.3)

    def text(self, p: QPainter, rect: QRectF, label: str, pen: QColor, size_u: float,
             align: Qt.AlignmentFlag = Qt.AlignmentFlag.AlignCenter, bold: bool = True) -> None:
        font = ui_font(self.u * size_u, bold)
        p.setFont(font)
        # Long labels shrink to fit their cap instead of being cut.
        width = p.fontMetrics().horizontalAdvance(label)
        if width > rect.width() * 0.9 and width > 0:
            font.setPixelSize(max(6, int(font.pixelSize() * rect.width() * 0.9 / width)))
            p.setFont(font)
        p.setPen(pen)
        p.drawText(rect, int(align), label)

    def any_on(self, lights: tuple[Light, ...], frame: ActionFrame) -> bool:
        return any(is_on(li, frame, self.kinds) for li in lights)

    @staticmethod
    def point(x: float, y: float) -> QPointF:
        return QPointF(x, y)

    @staticmethod
    def rounded_path(rect: QRectF, radius: float) -> QPainterPath:
        path = QPainterPath()
        path.addRoundedRect(rect, radius, radius)
        return path
