"""The keyboard + mouse template: the map's key cluster and a mouse with buttons, wheel and look direction.

Caps of the game's default bindings light when their action does (direction keys
of a composite by the axis sign); keys the map does not use are drawn faintly for
orientation and never light. The mouse shows its bound buttons and wheel, and a
dial whose needle points where the player looks and grows with the look speed.
"""

from __future__ import annotations

import math
from collections.abc import Hashable

from PyQt6.QtCore import QPointF, QRectF, Qt
from PyQt6.QtGui import QColor, QPainter, QPainterPath, QPen, QPolygonF

from hindsight.overlay.model.state import ActionFrame
from hindsight.overlay.qt.templates.base import Template, colour
from hindsight.overlay.model.layout import InputPart

__all__ = ["KeyboardMouseTemplate", "look_vector"]

_GAP = 0.08  # between caps, in key units
_MOUSE_W, _MOUSE_H = 2.3, 3.9
_SPEED_FULL = 4000.0  # look speed (counts/s) that fills the dial


def look_vector(dx: float, dy: float) -> tuple[float, float]:
    """Needle of the look dial as (x, y) in [-1, 1], screen y down; length grows with log speed."""
    speed = math.hypot(dx, dy)
    if speed < 1.0:
        return 0.0, 0.0
    length = min(1.0, math.log1p(speed / 60) / math.log1p(_SPEED_FULL / 60))
    return dx / speed * length, -dy / speed * length


class KeyboardMouseTemplate(Template):
    name = "keyboard_mouse"

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        u, lay = self.u, self.layout
        self._has_mouse = bool(lay.mouse)
        keys_h = max(lay.keys_h, _MOUSE_H if self._has_mouse else 0.0)
        self._inner = 0.25 * u  # panel padding
        self._keys_origin = QPointF(self.pad + self._inner, self.pad + self._inner + (keys_h - lay.keys_h) * u)
        mouse_x = self.pad + self._inner + (lay.keys_w + (0.35 if lay.keys else 0.0)) * u
        self._mouse = QRectF(mouse_x, self.pad + self._inner + (keys_h - _MOUSE_H) * u, _MOUSE_W * u, _MOUSE_H * u)
        width = lay.keys_w + (_MOUSE_W + (0.35 if lay.keys else 0.0) if self._has_mouse else 0.0)
        self._content = (width * u + 2 * self._inner, keys_h * u + 2 * self._inner)
        self._caps = [(k, self._cap_rect(k.x, k.y, k.w, k.h)) for k in lay.keys]
        self._parts = {p.name: p for p in lay.mouse}
        m = self._mouse
        top_h = m.height() * 0.42
        half = m.width() / 2
        g = u * 0.05
        self._buttons = {
            "left": QRectF(m.left(), m.top(), half - g, top_h),
            "right": QRectF(m.left() + half + g, m.top(), half - g, top_h),
        }
        wheel_w, wheel_h = u * 0.34, top_h * 0.42
        self._wheel = QRectF(m.center().x() - wheel_w / 2, m.top() + top_h * 0.34, wheel_w, wheel_h)
        side_w, side_h = u * 0.22, u * 0.55
        self._side = {
            "x2": QRectF(m.left() - side_w * 0.55, m.top() + top_h + u * 0.25, side_w, side_h),
            "x1": QRectF(m.left() - side_w * 0.55, m.top() + top_h + u * 0.25 + side_h + u * 0.1, side_w, side_h),
        }
        dial_r = min(m.width(), m.height() - top_h) * 0.3
        self._dial = (QPointF(m.center().x(), m.top() + top_h + (m.height() - top_h) * 0.48), dial_r)

    def _cap_rect(self, x: float, y: float, w: float, h: float) -> QRectF:
        o, u = self._keys_origin, self.u
        return QRectF(o.x() + (x + _GAP / 2) * u, o.y() + (y + _GAP / 2) * u, (w - _GAP) * u, (h - _GAP) * u)

    def content_size(self) -> tuple[float, float]:
        return self._content

    def regions(self) -> dict[str, QRectF]:
        out = {f"key:{k.name}": r for k, r in self._caps}
        out.update({f"mouse:{n}": r for n, r in self._buttons.items()})
        out["mouse:middle"] = self._wheel
        out.update({f"mouse:{n}": r for n, r in self._side.items()})
        c, r = self._dial
        out["mouse:delta"] = QRectF(c.x() - r, c.y() - r, 2 * r, 2 * r)
        return out

    # ---- painting ----------------------------------------------------------------------

    def paint_static(self, p: QPainter) -> None:
        w, h = self._content
        self.panel(p, QRectF(self.pad, self.pad, w, h), self.u * 0.3)
        for k, rect in self._caps:
            self.cap(p, rect, k.label, "bound" if k.lights else "idle")
        if self._has_mouse:
            self._paint_mouse_body(p)

    def paint_dynamic(self, p: QPainter, frame: ActionFrame) -> None:
        for k, rect in self._caps:
            if k.lights and self.any_on(k.lights, frame):
                self.cap(p, rect, k.label, "lit")
        if not self._has_mouse:
            return
        for name, rect in self._buttons.items():
            part = self._parts.get(name)
            if part and self.any_on(part.lights, frame):
                self._mouse_button(p, name, rect, lit=True)
        for name, rect in self._side.items():
            part = self._parts.get(name)
            if part and self.any_on(part.lights, frame):
                self._fill(p, rect, u_radius=0.08, lit=True)
        self._paint_wheel(p, frame)
        direction, length = self._needle_step(frame)
        if length:
            angle = direction * 2 * math.pi / 16
            self._needle(p, (math.cos(angle) * length / 4, math.sin(angle) * length / 4))

    def _paint_wheel(self, p: QPainter, frame: ActionFrame | None) -> None:
        """Wheel and its scroll arrows, over the buttons (a lit button would cover them)."""
        def on(name: str) -> bool:
            part = self._parts.get(name)
            return bool(part and frame is not None and self.any_on(part.lights, frame))

        self._fill(p, self._wheel, u_radius=0.17, lit=on("middle"), bound="middle" in self._parts)
        for name, sign in (("wheel_up", -1), ("wheel_down", 1)):
            if name in self._parts:
                self._chevron(p, sign, lit=on(name))

    def state_key(self, frame: ActionFrame) -> Hashable:
        caps = tuple(i for i, (k, _) in enumerate(self._caps) if k.lights and self.any_on(k.lights, frame))
        parts = tuple(n for n, part in self._parts.items() if n != "delta" and self.any_on(part.lights, frame))
        return caps, parts, self._needle_step(frame)

    def _needle_step(self, frame: ActionFrame) -> tuple[int, int]:
        """The needle in steps (16 directions x 4 lengths): burn-in reuses a picture per step."""
        x, y = self._look(frame)
        length = math.hypot(x, y)
        if length < 0.05:
            return 0, 0
        return round(math.atan2(y, x) / (2 * math.pi) * 16) % 16, min(4, max(1, math.ceil(length * 4)))

    def _look(self, frame: ActionFrame) -> tuple[float, float]:
        part: InputPart | None = self._parts.get("delta")
        if part is None:
            return 0.0, 0.0
        for light in part.lights:
            if light.context == frame.context and light.action in frame.look:
                return look_vector(*frame.look[light.action])
        return 0.0, 0.0

    def _paint_mouse_body(self, p: QPainter) -> None:
        u, m = self.u, self._mouse
        body = QPainterPath()
        body.addRoundedRect(m, m.width() * 0.48, m.width() * 0.48)
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(colour("shadow"))
        p.drawPath(body.translated(0, u * 0.06))
        p.setBrush(colour("cap_idle"))
        p.setPen(QPen(colour("cap_edge"), max(1.0, u * 0.025)))
        p.drawPath(body)
        for name, rect in self._buttons.items():
            self._mouse_button(p, name, rect, lit=False, bound=name in self._parts)
        for name, rect in self._side.items():
            if name in self._parts:
                self._fill(p, rect, u_radius=0.08, lit=False)
        self._paint_wheel(p, None)
        if "delta" in self._parts:
            c, r = self._dial
            p.setBrush(QColor(0, 0, 0, 70))
            p.setPen(QPen(colour("cap_edge"), max(1.0, u * 0.03)))
            p.drawEllipse(c, r, r)
            p.setPen(QPen(colour("label_idle"), max(1.0, u * 0.02)))
            p.drawLine(QPointF(c.x() - r * 0.25, c.y()), QPointF(c.x() + r * 0.25, c.y()))
            p.drawLine(QPointF(c.x(), c.y() - r * 0.25), QPointF(c.x(), c.y() + r * 0.25))

    def _mouse_button(self, p: QPainter, name: str, rect: QRectF, lit: bool, bound: bool = True) -> None:
        m = self._mouse
        outer = QPainterPath()
        outer.addRoundedRect(m, m.width() * 0.48, m.width() * 0.48)
        clip = QPainterPath()
        clip.addRect(rect)
        shape = outer.intersected(clip)
        p.setPen(Qt.PenStyle.NoPen)
        if lit:
            p.setBrush(colour("accent", self.style))
        else:
            p.setBrush(colour("cap") if bound else colour("cap_idle"))
        p.drawPath(shape)

    def _fill(self, p: QPainter, rect: QRectF, u_radius: float, lit: bool, bound: bool = True) -> None:
        p.setPen(QPen(colour("cap_edge"), max(1.0, self.u * 0.02)) if not lit else Qt.PenStyle.NoPen)
        p.setBrush(colour("accent", self.style) if lit else colour("cap_top") if bound else colour("cap_idle"))
        p.drawRoundedRect(rect, self.u * u_radius, self.u * u_radius)

    def _chevron(self, p: QPainter, sign: int, lit: bool) -> None:
        w = self._wheel
        cx = w.center().x()
        tip_y = w.top() - self.u * 0.08 if sign < 0 else w.bottom() + self.u * 0.08
        base_y = tip_y - sign * self.u * 0.14
        half = self.u * 0.14
        tri = QPolygonF([QPointF(cx - half, base_y), QPointF(cx + half, base_y), QPointF(cx, tip_y)])
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(colour("accent", self.style) if lit else colour("label_idle"))
        p.drawPolygon(tri)

    def _needle(self, p: QPainter, vec: tuple[float, float]) -> None:
        c, r = self._dial
        x, y = vec
        if x == 0.0 and y == 0.0:
            return
        tip = QPointF(c.x() + x * r, c.y() + y * r)
        accent = colour("accent", self.style)
        p.setPen(QPen(accent, max(1.5, self.u * 0.08), Qt.PenStyle.SolidLine, Qt.PenCapStyle.RoundCap))
        p.drawLine(c, tip)
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(accent)
        p.drawEllipse(tip, self.u * 0.11, self.u * 0.11)
