"""The controller template: a standard pad (SDL layout) with sticks, triggers, face and shoulder buttons.

Each pad part shows the action its default binding drives: a stick's thumb moves
with its axis action, a trigger fills with its axis (or fully while its button
action is lit), buttons light with their actions. Keyboard play moves the pad too:
the template shows actions, not devices.
"""

from __future__ import annotations

from collections.abc import Hashable

from PyQt6.QtCore import QPointF, QRectF, Qt
from PyQt6.QtGui import QColor, QPainter, QPainterPath, QPen, QTransform

from hindsight.actionmap.model import ActionKind
from hindsight.overlay.model.state import ActionFrame
from hindsight.overlay.qt.templates.base import Template, colour, is_on
from hindsight.overlay.model.layout import Light

__all__ = ["ControllerTemplate"]

_W, _H = 9.0, 6.2  # pad size in key units
# name -> (centre x, centre y, radius) in key units (Xbox-style: left stick high, d-pad low).
_ROUND = {
    "left_stick": (2.25, 2.75, 0.85), "right_stick": (5.95, 4.35, 0.85),
    "north": (6.8, 1.95, 0.36), "south": (6.8, 3.45, 0.36), "west": (6.05, 2.7, 0.36), "east": (7.55, 2.7, 0.36),
    "guide": (4.5, 1.95, 0.32), "back": (3.75, 2.75, 0.2), "start": (5.25, 2.75, 0.2),
}
_FACE_LABELS = {"north": "Y", "south": "A", "west": "X", "east": "B"}
_DPAD = {"dpad_up": (3.05, 3.65, 0.5, 0.6), "dpad_down": (3.05, 4.85, 0.5, 0.6),
         "dpad_left": (2.45, 4.25, 0.6, 0.5), "dpad_right": (3.65, 4.25, 0.6, 0.5)}  # centre x, y, w, h
# Bumpers and triggers sit behind the body's top edge, as on a real pad (x, y, w, h).
_SHOULDERS = {"left_shoulder": (0.9, 0.78, 2.5, 0.78), "right_shoulder": (5.6, 0.78, 2.5, 0.78)}
_TRIGGERS = {"left_trigger": (1.35, 0.0, 1.6, 0.72), "right_trigger": (6.05, 0.0, 1.6, 0.72)}


class ControllerTemplate(Template):
    name = "controller"

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._inner = 0.2 * self.u
        self._parts = {p.name: p.lights for p in self.layout.pad}

    def content_size(self) -> tuple[float, float]:
        return _W * self.u + 2 * self._inner, _H * self.u + 2 * self._inner

    def _xy(self, x: float, y: float) -> QPointF:
        o = self.pad + self._inner
        return QPointF(o + x * self.u, o + y * self.u)

    def _rect(self, x: float, y: float, w: float, h: float) -> QRectF:
        return QRectF(self._xy(x, y), self._xy(x + w, y + h))

    def _circle(self, name: str) -> tuple[QPointF, float]:
        x, y, r = _ROUND[name]
        return self._xy(x, y), r * self.u

    def regions(self) -> dict[str, QRectF]:
        out = {}
        for name in _ROUND:
            c, r = self._circle(name)
            out[f"pad:{name}"] = QRectF(c.x() - r, c.y() - r, 2 * r, 2 * r)
        for name, (cx, cy, w, h) in _DPAD.items():
            out[f"pad:{name}"] = self._rect(cx - w / 2, cy - h / 2, w, h)
        for name, geo in {**_SHOULDERS, **_TRIGGERS}.items():
            out[f"pad:{name}"] = self._rect(*geo)
        return out

    # ---- values ----------------------------------------------------------------------

    def _on(self, name: str, frame: ActionFrame) -> bool:
        return self.any_on(self._parts.get(name, ()), frame)

    def _stick(self, name: str, frame: ActionFrame) -> tuple[float, float]:
        for light in self._parts.get(name, ()):
            if light.context == frame.context and self.kinds.get(light.action) == ActionKind.AXIS2D:
                return frame.axes.get(light.action, (0.0, 0.0))
        return 0.0, 0.0

    def _trigger(self, name: str, frame: ActionFrame) -> float:
        best = 0.0
        for light in self._parts.get(name, ()):
            if light.context != frame.context:
                continue
            if self.kinds.get(light.action) == ActionKind.AXIS1D:
                best = max(best, abs(frame.axes.get(light.action, (0.0, 0.0))[0]))
            elif is_on(Light(light.context, light.action), frame, self.kinds):
                best = 1.0
        return best

    def state_key(self, frame: ActionFrame) -> Hashable:
        buttons = tuple(n for n in self._parts if self._on(n, frame))
        sticks = tuple((round(x * 20), round(y * 20)) for x, y in
                       (self._stick("left_stick", frame), self._stick("right_stick", frame)))
        triggers = tuple(round(self._trigger(n, frame) * 20) for n in _TRIGGERS)
        return buttons, sticks, triggers

    # ---- painting --------------------------------------------------------------------

    def _body(self) -> QPainterPath:
        u = self.u
        body = QPainterPath()
        body.addRoundedRect(self._rect(0.7, 1.3, 7.6, 3.3), 1.4 * u, 1.4 * u)
        for gx, angle in ((0.35, 14.0), (5.95, -14.0)):
            grip = QPainterPath()
            rect = self._rect(gx, 2.1, 2.7, 4.0)
            grip.addRoundedRect(rect, 1.3 * u, 1.3 * u)
            turn = QTransform().translate(rect.center().x(), rect.center().y()).rotate(angle)
            turn = turn.translate(-rect.center().x(), -rect.center().y())
            body = body.united(turn.map(grip))
        return body

    def _label(self, name: str) -> str:
        return {"left_trigger": "LT", "right_trigger": "RT", "left_shoulder": "LB", "right_shoulder": "RB"}[name]

    def paint_static(self, p: QPainter) -> None:
        u = self.u
        body = self._body()
        for name, geo in _TRIGGERS.items():
            self._bar(p, self._rect(*geo), 0.0, self._label(name))
        for name, geo in _SHOULDERS.items():
            self._shoulder(p, name, geo, False)
        for i, alpha in enumerate((30, 20, 12)):
            p.setPen(Qt.PenStyle.NoPen)
            p.setBrush(QColor(0, 0, 0, alpha))
            p.drawPath(body.translated(0, u * 0.05 * (i + 2)))
        p.setBrush(colour("panel"))
        p.setPen(QPen(colour("panel_edge"), max(1.0, u * 0.03)))
        p.drawPath(body)
        for name in ("left_stick", "right_stick"):
            c, r = self._circle(name)
            p.setBrush(QColor(0, 0, 0, 110))
            p.setPen(QPen(colour("cap_edge"), max(1.0, u * 0.03)))
            p.drawEllipse(c, r, r)
        for cx, cy, w, h in _DPAD.values():
            self.cap(p, self._rect(cx - w / 2, cy - h / 2, w, h), "", "bound", radius=0.1 * u)
        for name in ("north", "south", "west", "east", "guide", "back", "start"):
            self._round(p, name, False)

    def _shoulder(self, p: QPainter, name: str, geo: tuple[float, float, float, float], lit: bool) -> None:
        rect = self._rect(*geo)
        self.cap(p, rect.adjusted(0, 0, 0, -0.28 * self.u), self._label(name), "lit" if lit else "bound",
                 radius=0.22 * self.u)

    def paint_dynamic(self, p: QPainter, frame: ActionFrame) -> None:
        u = self.u
        outside = QPainterPath()
        outside.addRect(QRectF(0, 0, *self.size()))
        p.save()
        p.setClipPath(outside.subtracted(self._body()))  # behind the body, like the static parts
        for name, geo in _TRIGGERS.items():
            value = self._trigger(name, frame)
            if value > 0:
                self._bar(p, self._rect(*geo), value, self._label(name))
        for name, geo in _SHOULDERS.items():
            if self._on(name, frame):
                self._shoulder(p, name, geo, True)
        p.restore()
        for name, (cx, cy, w, h) in _DPAD.items():
            if self._on(name, frame):
                self.cap(p, self._rect(cx - w / 2, cy - h / 2, w, h), "", "lit", radius=0.1 * u)
        for name in ("north", "south", "west", "east", "guide", "back", "start"):
            if self._on(name, frame):
                self._round(p, name, True)
        for name, click in (("left_stick", "left_stick_click"), ("right_stick", "right_stick_click")):
            c, r = self._circle(name)
            x, y = self._stick(name, frame)
            thumb = QPointF(c.x() + x * r * 0.45, c.y() - y * r * 0.45)
            active = abs(x) > 0.05 or abs(y) > 0.05
            lit = self._on(click, frame)
            p.setPen(QPen(colour("cap_edge"), max(1.0, u * 0.03)))
            p.setBrush(colour("accent", self.style) if lit else colour("cap_top"))
            p.drawEllipse(thumb, r * 0.58, r * 0.58)
            if active and not lit:
                p.setPen(QPen(colour("accent", self.style), max(1.5, u * 0.08)))
                p.setBrush(Qt.BrushStyle.NoBrush)
                p.drawEllipse(thumb, r * 0.58, r * 0.58)

    def _round(self, p: QPainter, name: str, lit: bool) -> None:
        c, r = self._circle(name)
        rect = QRectF(c.x() - r, c.y() - r, 2 * r, 2 * r)
        self.cap(p, rect, _FACE_LABELS.get(name, ""), "lit" if lit else "bound", radius=r)

    def _bar(self, p: QPainter, rect: QRectF, value: float, label: str) -> None:
        u = self.u
        radius = 0.2 * u
        if value <= 0:
            self.cap(p, rect, label, "bound", radius=radius)
            return
        clip = QPainterPath()
        clip.addRoundedRect(rect, radius, radius)
        fill = QRectF(rect.left(), rect.bottom() - rect.height() * value, rect.width(), rect.height() * value)
        p.save()
        p.setClipPath(clip, Qt.ClipOperation.IntersectClip)
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(colour("accent", self.style))
        p.drawRect(fill)
        p.restore()
        self.text(p, rect, label, colour("accent_label") if value > 0.5 else colour("label"), 0.32)
