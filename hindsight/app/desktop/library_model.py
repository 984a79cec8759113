"""The clip library window's list model: the library's rows, sorted and filtered by game.

Rows are :class:`~hindsight.uploader.library.ClipRecord` values as the library returns
them; the model only orders and filters them and holds the thumbnails the loader
delivered. A refresh that changes nothing visible emits nothing, so the grid does not
flicker every time the library is polled.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from datetime import UTC, datetime

from PyQt6.QtCore import QAbstractListModel, QModelIndex, QObject, Qt
from PyQt6.QtGui import QPixmap

from hindsight.uploader.library import ClipRecord
from hindsight.uploader.states import ClipState

__all__ = [
    "ALL_GAMES",
    "ClipListModel",
    "ClipSort",
    "CLIP_ROLE",
    "MISSING_ROLE",
    "THUMB_ROLE",
    "local_time_text",
]

CLIP_ROLE = Qt.ItemDataRole.UserRole + 1
THUMB_ROLE = Qt.ItemDataRole.UserRole + 2
MISSING_ROLE = Qt.ItemDataRole.UserRole + 3  # the clip's folder is gone
ALL_GAMES = ""  # the game filter's "every game" value


class ClipSort(enum.Enum):
    """What the grid is ordered by; each puts the biggest or newest first."""

    DATE = "Newest first"
    LENGTH = "Longest first"
    SIZE = "Largest first"


_SORT_KEYS = {
    ClipSort.DATE: lambda c: c.created_utc,
    ClipSort.LENGTH: lambda c: c.duration_ms,
    ClipSort.SIZE: lambda c: c.bytes,
}


def local_time_text(created_utc: str) -> str:
    """A clip's saving time in the user's time zone, as a card shows it."""
    try:
        t = datetime.strptime(created_utc, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
    except ValueError:
        return created_utc[:16]
    return t.astimezone().strftime("%b %d, %Y  %H:%M")


class ClipListModel(QAbstractListModel):
    """The clips shown: every library row but the deleted ones, filtered and sorted."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._all: list[ClipRecord] = []
        self._shown: list[ClipRecord] = []
        self._row_of: dict[str, int] = {}
        self._thumbs: dict[str, QPixmap] = {}
        self._missing: frozenset[str] = frozenset()
        self.sort_by = ClipSort.DATE
        self.game = ALL_GAMES

    # ---- what the view asks ---------------------------------------------------------------

    def rowCount(self, parent: QModelIndex | None = None) -> int:  # noqa: N802 (Qt's name)
        return 0 if parent is not None and parent.isValid() else len(self._shown)

    def data(self, index: QModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if not index.isValid() or index.row() >= len(self._shown):
            return None
        clip = self._shown[index.row()]
        if role == CLIP_ROLE:
            return clip
        if role == THUMB_ROLE:
            return self._thumbs.get(clip.id)
        if role == MISSING_ROLE:
            return clip.id in self._missing
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
            return f"{clip.game_title}, {local_time_text(clip.created_utc)}"
        if role == Qt.ItemDataRole.ToolTipRole:
            return f"{clip.path.name}\n{clip.path.parent}"
        return None

    # ---- what the window tells it ---------------------------------------------------------

    def clips(self) -> list[ClipRecord]:
        """Every clip shown, in the order shown."""
        return list(self._shown)

    def clip_at(self, row: int) -> ClipRecord | None:
        return self._shown[row] if 0 <= row < len(self._shown) else None

    def row_of(self, clip_id: str) -> int:
        return self._row_of.get(clip_id, -1)

    def games(self) -> list[str]:
        """The game titles in the library, for the filter."""
        return sorted({c.game_title for c in self._all}, key=str.casefold)

    def set_clips(self, clips: Sequence[ClipRecord], missing: frozenset[str] = frozenset()) -> bool:
        """The library's rows now (``missing``: clips whose folder is gone); returns whether
        anything shown changed."""
        clips = [c for c in clips if c.state != ClipState.DELETED]
        if clips == self._all and missing == self._missing:
            return False
        gone_changed = missing != self._missing
        self._all, self._missing = clips, missing
        changed = self._reshow()
        if gone_changed and not changed and self._shown:
            self.dataChanged.emit(self.index(0), self.index(len(self._shown) - 1))
        return changed or gone_changed

    def set_sort(self, sort_by: ClipSort) -> None:
        self.sort_by = sort_by
        self._reshow()

    def set_game(self, game: str) -> None:
        self.game = game
        self._reshow()

    def set_thumbnail(self, clip_id: str, pixmap: QPixmap) -> None:
        self._thumbs[clip_id] = pixmap
        row = self.row_of(clip_id)
        if row >= 0:
            index = self.index(row)
            self.dataChanged.emit(index, index, [THUMB_ROLE])

    def has_thumbnail(self, clip_id: str) -> bool:
        return clip_id in self._thumbs

    def _reshow(self) -> bool:
        shown = [c for c in self._all if self.game in (ALL_GAMES, c.game_title)]
        shown.sort(key=_SORT_KEYS[self.sort_by], reverse=True)
        if [c.id for c in shown] == [c.id for c in self._shown]:
            changed = [i for i, (a, b) in enumerate(zip(shown, self._shown, strict=True)) if a != b]
            self._shown = shown
            if changed:  # same cards, new facts (an upload state): repaint just those
                self.dataChanged.emit(self.index(min(changed)), self.index(max(changed)))
            return bool(changed)
        self.beginResetModel()
        self._shown = shown
        self._row_of = {c.id: i for i, c in enumerate(shown)}
        self.endResetModel()
        return True
