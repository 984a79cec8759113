"""The library window's bars: the top bar (title, count, game filter, sort) and the action bar
(the selected clip's actions, the running job's progress and the status line)."""

from __future__ import annotations

from collections.abc import Callable

from PyQt6.QtCore import Qt
from PyQt6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QListView,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from hindsight.app.desktop.library_model import ALL_GAMES, ClipSort
from hindsight.uploader.library import ClipRecord
from hindsight.uploader.states import ClipState

__all__ = ["ActionBar", "TopBar", "build_layout"]

_EMPTY_TEXT = (
    "No clips yet.\nPress the clip hotkey (F8) while you play, and the last 30 seconds land here."
)


class TopBar(QWidget):
    """Title and clip count on the left; the game filter and the sort order on the right."""

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self.setObjectName("topBar")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground)
        title = QLabel("Clips", self)
        title.setObjectName("title")
        self.count = QLabel(self)
        self.count.setObjectName("count")
        self.game = QComboBox(self)
        self.game.setAccessibleName("Game")
        self.game.addItem("All games", ALL_GAMES)
        self.sort = QComboBox(self)
        self.sort.setAccessibleName("Sort")
        for order in ClipSort:
            self.sort.addItem(order.value, order)
        self.empty = QLabel(_EMPTY_TEXT, parent)
        self.empty.setObjectName("empty")
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        row = QHBoxLayout(self)
        row.setContentsMargins(22, 14, 22, 14)
        row.setSpacing(12)
        row.addWidget(title)
        row.addWidget(self.count, 0, Qt.AlignmentFlag.AlignBottom)
        row.addStretch(1)
        row.addWidget(self.game)
        row.addWidget(self.sort)

    def set_games(self, games: list[str], current: str) -> None:
        """The filter's games, keeping the one chosen (without firing the filter again)."""
        self.game.blockSignals(True)
        try:
            self.game.clear()
            self.game.addItem("All games", ALL_GAMES)
            for title in games:
                self.game.addItem(title, title)
            self.game.setCurrentIndex(max(0, self.game.findData(current)))
        finally:
            self.game.blockSignals(False)

    def show_count(self, shown: int, game: str) -> None:
        noun = "clip" if shown == 1 else "clips"
        self.count.setText(f"{shown} {noun}" + (f" of {game}" if game else ""))


class ActionBar(QWidget):
    """Buttons for the selected clip, and on the right what the last job is doing."""

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self.setObjectName("actionBar")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground)
        self.play = self._button("Play", "primary")
        self.folder = self._button("Show in folder")
        self.trim = self._button("Trim…")
        self.render = self._button("Render overlay")
        self.upload = self._button("Upload now")
        self.delete = self._button("Delete", "danger")
        self.selection = QLabel(self)
        self.status = QLabel(self)
        self.status.setObjectName("status")
        self.progress = QProgressBar(self)
        self.progress.setTextVisible(False)
        self.progress.hide()
        row = QHBoxLayout(self)
        row.setContentsMargins(22, 12, 22, 12)
        row.setSpacing(8)
        for button in (self.play, self.folder, self.trim, self.render, self.upload, self.delete):
            row.addWidget(button)
        row.addSpacing(12)
        row.addWidget(self.selection)
        row.addStretch(1)
        row.addWidget(self.status)
        row.addWidget(self.progress)

    def _button(self, text: str, name: str = "") -> QPushButton:
        button = QPushButton(text, self)
        button.setCursor(Qt.CursorShape.PointingHandCursor)
        if name:
            button.setObjectName(name)
        return button

    def menu_entries(self, window) -> list[tuple[str, Callable[[ClipRecord], object]]]:
        """The same actions for the right-click menu of a card."""
        return [
            ("Play", window.play),
            ("Show in folder", window.show_in_folder),
            ("Trim…", window.ask_trim),
            ("Render overlay", window.render_overlay),
            ("Upload now", window.upload_now),
            ("Delete…", window.delete),
        ]

    def show_clip(self, clip: ClipRecord | None, *, has_folder: bool) -> None:
        for button in (self.play, self.folder, self.trim, self.render):
            button.setEnabled(clip is not None and has_folder)
        self.upload.setEnabled(clip is not None and has_folder and clip.state != ClipState.UPLOADED)
        self.delete.setEnabled(clip is not None)
        self.selection.setText(clip.game_title if clip is not None else "")

    def start(self, label: str) -> None:
        self.status.setText(f"{label}…")
        self.progress.setRange(0, 0)  # busy until the first report
        self.progress.show()

    def progress_to(self, label: str, done: int, total: int) -> None:
        self.progress.setRange(0, max(1, total))
        self.progress.setValue(done)
        self.status.setText(f"{label}… {100 * done // max(1, total)} %")

    def finish(self, text: str) -> None:
        self.progress.hide()
        self.status.setText(text)


def build_layout(window: QWidget, top: TopBar, grid: QListView, actions: ActionBar) -> None:
    column = QVBoxLayout(window)
    column.setContentsMargins(0, 0, 0, 0)
    column.setSpacing(0)
    column.addWidget(top)
    grid.setContentsMargins(12, 12, 12, 12)
    column.addWidget(grid, 1)
    column.addWidget(top.empty, 1)
    column.addWidget(actions)
