"""The APM template: mapped actions per minute over a sliding window, as a compact counter."""

from __future__ import annotations

from collections.abc import Hashable

from PyQt6.QtCore import QRectF, Qt
from PyQt6.QtGui import QPainter

from hindsight.overlay.model.state import ActionFrame
from hindsight.overlay.qt.templates.base import Template, colour

__all__ = ["ApmTemplate"]

_W, _H = 4.2, 1.7
_BAR_FULL = 400  # APM that fills the bar (a busy shooter player sits around 150..300)


class ApmTemplate(Template):
    name = "apm"

    def content_size(self) -> tuple[float, float]:
        return _W * self.u, _H * self.u

    def _box(self) -> QRectF:
        w, h = self.content_size()
        return QRectF(self.pad, self.pad, w, h)

    def regions(self) -> dict[str, QRectF]:
        return {"apm": self._box()}

    def state_key(self, frame: ActionFrame) -> Hashable:
        return frame.apm

    def paint_static(self, p: QPainter) -> None:
        u, box = self.u, self._box()
        self.panel(p, box, 0.3 * u)
        label = QRectF(box.left() + 0.3 * u, box.top() + 0.18 * u, 1.4 * u, 0.5 * u)
        self.text(p, label, "APM", colour("muted"), 0.34, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(colour("cap_idle"))
        p.drawRoundedRect(self._bar(1.0), 0.06 * u, 0.06 * u)

    def _bar(self, fraction: float) -> QRectF:
        u, box = self.u, self._box()
        full = box.width() - 0.6 * u
        return QRectF(box.left() + 0.3 * u, box.bottom() - 0.34 * u, max(0.0, full * fraction), 0.12 * u)

    def paint_dynamic(self, p: QPainter, frame: ActionFrame) -> None:
        u, box = self.u, self._box()
        number = QRectF(box.left() + 0.3 * u, box.top() + 0.1 * u, box.width() - 0.6 * u, 1.15 * u)
        self.text(p, number, str(frame.apm), colour("label"), 0.95,
                  Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if frame.apm > 0:
            p.setPen(Qt.PenStyle.NoPen)
            p.setBrush(colour("accent", self.style))
            p.drawRoundedRect(self._bar(min(1.0, frame.apm / _BAR_FULL)), 0.06 * u, 0.06 * u)
