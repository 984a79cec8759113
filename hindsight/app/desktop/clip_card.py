"""How one clip looks in the library grid: a card with its thumbnail, length, game, date, size and
upload state, painted by a delegate (500 cards cost nothing until they scroll into view).

The delegate asks for a thumbnail the first time a card is painted without one, so only
the clips on screen are ever decoded or read from the cache.
"""

from __future__ import annotations

from collections.abc import Callable

from PyQt6.QtCore import QModelIndex, QPointF, QRect, QRectF, QSize, Qt
from PyQt6.QtGui import QColor, QFont, QPainter, QPainterPath, QPixmap, QPolygonF
from PyQt6.QtWidgets import QStyle, QStyledItemDelegate, QStyleOptionViewItem

from hindsight.app.desktop.library_model import (
    CLIP_ROLE,
    MISSING_ROLE,
    THUMB_ROLE,
    local_time_text,
)
from hindsight.app.desktop.library_style import PALETTE
from hindsight.cli.progressbar import human_bytes
from hindsight.uploader.library import ClipRecord
from hindsight.uploader.states import ClipState

__all__ = ["MIN_CARD_WIDTH_PX", "ClipCardDelegate", "length_text"]

MIN_CARD_WIDTH_PX = 240  # cards grow from this to fill the row: no ragged gap on the right
_TEXT_HEIGHT_PX = 56
_RADIUS = 8.0

# Upload state -> (badge text, colour); a local clip carries no badge.
_BADGES = {
    ClipState.QUEUED: ("Queued", PALETTE["info"]),
    ClipState.UPLOADING: ("Uploading", PALETTE["info"]),
    ClipState.UPLOADED: ("Uploaded", PALETTE["ok"]),
    ClipState.FAILED: ("Upload failed", PALETTE["bad"]),
}


def length_text(duration_ms: int) -> str:
    """``0:07``, ``1:32``, ``1:02:05``: as video sites write lengths."""
    total_s = max(0, round(duration_ms / 1000))
    h, rest = divmod(total_s, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


class ClipCardDelegate(QStyledItemDelegate):
    """Paints clip cards; calls ``want_thumbnail(clip)`` for a card painted without its picture."""

    def __init__(self, want_thumbnail: Callable[[ClipRecord], None], parent=None) -> None:
        super().__init__(parent)
        self._want_thumbnail = want_thumbnail
        self._title_font = QFont()
        self._title_font.setPointSizeF(10.5)
        self._title_font.setBold(True)
        self._small_font = QFont()
        self._small_font.setPointSizeF(9)
        self._badge_font = QFont()
        self._badge_font.setPointSizeF(8.5)
        self._badge_font.setBold(True)
        self._thumb_height_px = 0
        self._size = QSize()
        self.set_card_width(MIN_CARD_WIDTH_PX)

    def set_card_width(self, width_px: int) -> bool:
        """Cards this wide from now on (the thumbnail keeps 16:9); returns whether it changed."""
        height_px = round(width_px * 9 / 16)  # 16:9, what nearly every game runs at
        size = QSize(width_px, height_px + _TEXT_HEIGHT_PX)
        changed = size != self._size
        self._thumb_height_px, self._size = height_px, size
        return changed

    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex) -> QSize:  # noqa: N802
        return self._size

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex) -> None:
        clip = index.data(CLIP_ROLE)
        if not isinstance(clip, ClipRecord):
            return
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        card = QRectF(option.rect).adjusted(1, 1, -1, -1)
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        hovered = bool(option.state & QStyle.StateFlag.State_MouseOver)
        outline = QPainterPath()
        outline.addRoundedRect(card, _RADIUS, _RADIUS)
        painter.fillPath(outline, QColor(PALETTE["card_hover" if hovered else "card"]))
        thumb = QRectF(card.left(), card.top(), card.width(), self._thumb_height_px)
        painter.save()
        painter.setClipPath(outline)
        pixmap = index.data(THUMB_ROLE)
        if isinstance(pixmap, QPixmap) and not pixmap.isNull():
            _draw_cover(painter, pixmap, thumb)
        else:
            self._draw_placeholder(painter, thumb)
            self._want_thumbnail(clip)
        painter.restore()
        self._draw_pill(
            painter, length_text(clip.duration_ms), thumb, QColor(0, 0, 0, 190), right=True
        )
        badge = _BADGES.get(clip.state)
        if badge is not None:
            self._draw_pill(painter, badge[0], thumb, QColor(badge[1]), right=False)
        self._draw_text(painter, clip, card, thumb, missing=bool(index.data(MISSING_ROLE)))
        if selected:
            painter.setPen(QColor(PALETTE["accent"]))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            path = QPainterPath()
            path.addRoundedRect(card.adjusted(1, 1, -1, -1), _RADIUS, _RADIUS)
            pen = painter.pen()
            pen.setWidthF(2.5)
            painter.setPen(pen)
            painter.drawPath(path)
        painter.restore()

    def _draw_text(
        self, painter: QPainter, clip: ClipRecord, card: QRectF, thumb: QRectF, *, missing: bool
    ) -> None:
        text_rect = QRect(
            int(card.left()) + 10, int(thumb.bottom()) + 7, int(card.width()) - 20, 20
        )
        painter.setFont(self._title_font)
        painter.setPen(QColor(PALETTE["text"]))
        metrics = painter.fontMetrics()
        painter.drawText(
            text_rect,
            Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
            metrics.elidedText(clip.game_title, Qt.TextElideMode.ElideRight, text_rect.width()),
        )
        painter.setFont(self._small_font)
        details = f"{local_time_text(clip.created_utc)}   ·   {human_bytes(clip.bytes)}"
        painter.setPen(QColor(PALETTE["bad" if missing else "muted"]))
        painter.drawText(
            text_rect.translated(0, 22),
            Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
            "Folder missing" if missing else details,
        )

    def _draw_pill(
        self, painter: QPainter, text: str, thumb: QRectF, colour: QColor, *, right: bool
    ) -> None:
        painter.setFont(self._badge_font)
        width = painter.fontMetrics().horizontalAdvance(text) + 14
        height = 20
        x = thumb.right() - width - 8 if right else thumb.left() + 8
        y = thumb.bottom() - height - 8 if right else thumb.top() + 8
        pill = QRectF(x, y, width, height)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(colour)
        painter.drawRoundedRect(pill, height / 2, height / 2)
        painter.setPen(QColor("#ffffff"))
        painter.drawText(pill, Qt.AlignmentFlag.AlignCenter, text)

    def _draw_placeholder(self, painter: QPainter, thumb: QRectF) -> None:
        painter.fillRect(thumb, QColor(PALETTE["placeholder"]))
        c = thumb.center()
        triangle = QPolygonF(
            [
                QPointF(c.x() - 10, c.y() - 14),
                QPointF(c.x() - 10, c.y() + 14),
                QPointF(c.x() + 14, c.y()),
            ]
        )
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(QColor(PALETTE["muted"]))
        painter.drawPolygon(triangle)


def _draw_cover(painter: QPainter, pixmap: QPixmap, target: QRectF) -> None:
    """``pixmap`` filling ``target``, cropped to its aspect ratio (as video sites show covers)."""
    scale = max(target.width() / pixmap.width(), target.height() / pixmap.height())
    w, h = target.width() / scale, target.height() / scale
    source = QRectF((pixmap.width() - w) / 2, (pixmap.height() - h) / 2, w, h)
    painter.drawPixmap(target, pixmap, source)
