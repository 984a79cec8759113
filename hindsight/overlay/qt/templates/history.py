"""The input history template: the last few actions, newest on top, with how long each was held."""

from __future__ import annotations

from collections.abc import Hashable

from PyQt6.QtCore import QRectF, Qt
from PyQt6.QtGui import QPainter

from hindsight.overlay.model.state import ActionFrame, HistoryEntry
from hindsight.overlay.qt.templates.base import Template, colour

__all__ = ["HistoryTemplate", "duration_text"]

_W, _ROW = 5.2, 0.72
_TAP_MS = 40  # shorter than this reads as a tap, not a duration


def duration_text(entry: HistoryEntry) -> str:
    if entry.duration_ms < _TAP_MS and not entry.active:
        return "tap"
    return f"{entry.duration_ms / 1000:.2f}s"


class HistoryTemplate(Template):
    name = "history"

    def __init__(self, *args, rows: int = 6, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.rows = rows

    def content_size(self) -> tuple[float, float]:
        return _W * self.u, (self.rows * _ROW + 0.3) * self.u

    def _row(self, i: int) -> QRectF:
        u = self.u
        return QRectF(self.pad + 0.15 * u, self.pad + (0.15 + i * _ROW) * u, (_W - 0.3) * u, (_ROW - 0.1) * u)

    def regions(self) -> dict[str, QRectF]:
        return {f"row:{i}": self._row(i) for i in range(self.rows)}

    def _entries(self, frame: ActionFrame) -> list[tuple[str, str, bool]]:
        return [(self.labels.get(e.action, e.action) + (f" {e.direction}" if e.direction else ""),
                 duration_text(e), e.active) for e in frame.history[: self.rows]]

    def state_key(self, frame: ActionFrame) -> Hashable:
        return tuple(self._entries(frame))

    def paint_static(self, p: QPainter) -> None:
        w, h = self.content_size()
        self.panel(p, QRectF(self.pad, self.pad, w, h), 0.3 * self.u)

    def paint_dynamic(self, p: QPainter, frame: ActionFrame) -> None:
        u = self.u
        left = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
        right = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
        for i, (label, duration, active) in enumerate(self._entries(frame)):
            row = self._row(i)
            fade = max(0.35, 1.0 - i * 0.13)  # older entries recede
            p.setOpacity(fade)
            p.setPen(Qt.PenStyle.NoPen)
            p.setBrush(colour("accent", self.style, 60) if active else colour("cap_idle"))
            p.drawRoundedRect(row, 0.14 * u, 0.14 * u)
            if active:
                p.setBrush(colour("accent", self.style))
                p.drawRoundedRect(QRectF(row.left(), row.top(), 0.12 * u, row.height()), 0.06 * u, 0.06 * u)
            text = row.adjusted(0.3 * u, 0, -0.25 * u, 0)
            self.text(p, QRectF(text.left(), text.top(), text.width() * 0.68, text.height()), label,
                      colour("label"), 0.34, left)
            self.text(p, QRectF(text.left() + text.width() * 0.6, text.top(), text.width() * 0.4, text.height()),
                      duration, colour("accent", self.style) if active else colour("muted"), 0.3, right, bold=False)
        p.setOpacity(1.0)
