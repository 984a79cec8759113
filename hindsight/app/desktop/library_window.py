"""The clip library window: a grid of the user's clips with their thumbnails, and what can be done
to each (play, show in folder, trim, render the overlay, upload now, delete).

The grid lists the library's rows (the same the ``hindsight clips`` command lists) and
follows the library and the clips folder (:mod:`.library_follower`), so a clip saved
while it is open appears within a second. Nothing slow runs on the UI thread: later
listings, thumbnails and every clip action run on workers.
"""

from __future__ import annotations

from pathlib import Path

from PyQt6.QtCore import QEvent, QModelIndex, QObject, QPoint, Qt, QTimer
from PyQt6.QtGui import QCloseEvent, QImage, QPixmap, QShowEvent
from PyQt6.QtWidgets import QApplication, QListView, QMenu, QMessageBox, QWidget

from hindsight.app.desktop import clip_actions
from hindsight.app.desktop.clip_card import MIN_CARD_WIDTH_PX, ClipCardDelegate
from hindsight.app.desktop.clip_jobs import ClipJob, ClipJobs, as_sentence
from hindsight.app.desktop.library_bars import ActionBar, TopBar, build_layout
from hindsight.app.desktop.library_follower import LibraryFollower
from hindsight.app.desktop.library_model import ALL_GAMES, ClipListModel, ClipSort
from hindsight.app.desktop.library_model import local_time_text as when
from hindsight.app.desktop.library_style import STYLE_SHEET
from hindsight.app.desktop.thumbnails import ThumbnailLoader
from hindsight.app.desktop.trim_dialog import TrimDialog
from hindsight.app.opener import open_path
from hindsight.bundle import VIDEO_FILE
from hindsight.errors import HindsightError
from hindsight.uploader import policy
from hindsight.uploader.deletion import DeleteOutcome
from hindsight.uploader.library import ClipLibrary, ClipRecord
from hindsight.uploader.settings import clips_dir as settings_clips_dir

__all__ = ["LibraryWindow"]


class LibraryWindow(QWidget):
    """The clip library: one card per clip, newest first, with the actions of the selected one."""

    def __init__(
        self,
        parent: QWidget | None = None,
        *,
        library: ClipLibrary | None = None,
        clips_dir: Path | None = None,
        thumbnail_dir: Path | None = None,
        settings_file: Path | None = None,
    ) -> None:
        super().__init__(parent)
        self.settings_file = settings_file
        self._owns_library = library is None
        self.library = library if library is not None else policy.open_library(settings_file)
        self.clips_dir = (clips_dir or settings_clips_dir(settings_file)).resolve()
        self.setObjectName("library")
        self.setWindowTitle("Hindsight clips")
        self.setStyleSheet(STYLE_SHEET)
        self.resize(1180, 760)
        self.model = ClipListModel(self)
        self._no_thumbnail: set[str] = set()
        self._pending_select: str | None = None  # a trimmed copy, selected once it is listed
        self.thumbnails = ThumbnailLoader(thumbnail_dir, parent=self)
        self.thumbnails.ready.connect(self._thumbnail_ready)
        self.thumbnails.failed.connect(self._no_thumbnail.add)
        self.jobs = ClipJobs(self)
        self.jobs.progress.connect(self._job_progress)
        self.jobs.finished.connect(self._job_finished)
        self.jobs.failed.connect(self._job_failed)
        self.grid = self._make_grid()
        self.top = TopBar(self)
        self.actions_bar = ActionBar(self)
        build_layout(self, self.top, self.grid, self.actions_bar)
        self._wire_bars()
        self._fit_cards(self.width())  # the grid spans the window
        # The first listing is one query, done here so the window opens with its cards; the
        # folder scan and later polls run on a worker.
        try:
            self._show_clips(self.library.clips(include_deleted=False))
        except HindsightError as err:  # a damaged database: said once the window is up
            self._show_clips([])
            QTimer.singleShot(0, lambda text=str(err): self.tell(text))
        self.follower = LibraryFollower(self.library, self.clips_dir, self)
        self.follower.listed.connect(self._show_clips)
        self.follower.start()
        app = QApplication.instance()
        if app is not None:
            app.aboutToQuit.connect(self.shutdown)

    # ---- the grid -----------------------------------------------------------------------

    def _make_grid(self) -> QListView:
        grid = QListView(self)
        grid.setViewMode(QListView.ViewMode.IconMode)
        grid.setResizeMode(QListView.ResizeMode.Adjust)
        grid.setMovement(QListView.Movement.Static)
        grid.setUniformItemSizes(True)
        # Laid out a row-full at a time: the first cards show before all 500 are placed.
        grid.setLayoutMode(QListView.LayoutMode.Batched)
        grid.setBatchSize(48)
        grid.setSpacing(14)
        grid.setMouseTracking(True)
        grid.setVerticalScrollMode(QListView.ScrollMode.ScrollPerPixel)
        grid.verticalScrollBar().setSingleStep(24)
        grid.setSelectionMode(QListView.SelectionMode.SingleSelection)
        grid.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        grid.setModel(self.model)
        self.cards = ClipCardDelegate(self._want_thumbnail, grid)
        grid.setItemDelegate(self.cards)
        grid.installEventFilter(self)
        grid.doubleClicked.connect(lambda index: self._on_selected(self.play))
        grid.customContextMenuRequested.connect(self._context_menu)
        grid.selectionModel().selectionChanged.connect(lambda *_: self._selection_changed())
        return grid

    def eventFilter(self, watched: QObject | None, event: QEvent | None) -> bool:  # noqa: N802
        if event is not None and event.type() == QEvent.Type.Resize:
            self._fit_cards(self.grid.width())
        return super().eventFilter(watched, event)

    def _fit_cards(self, grid_width_px: int) -> None:
        """As many columns as fit, the cards stretched to fill the row.

        A relayout of 500 cards costs a few hundred milliseconds, so the first width is set
        from the window's before the cards arrive, and later only a real change relayouts.
        """
        gap = self.grid.spacing()  # between cards and at both ends of a row
        # The scroll bar's room is always kept, so its coming and going never reflows the grid.
        bar = self.grid.verticalScrollBar()
        width = grid_width_px - 2 * self.grid.frameWidth() - bar.sizeHint().width() - 1
        columns = max(1, (width - gap) // (MIN_CARD_WIDTH_PX + gap))
        if self.cards.set_card_width((width - gap) // columns - gap):
            self.grid.doItemsLayout()

    def _wire_bars(self) -> None:
        self.top.game.currentIndexChanged.connect(
            lambda _: self.set_game_filter(self.top.game.currentData())
        )
        self.top.sort.currentIndexChanged.connect(
            lambda _: self.set_sort(self.top.sort.currentData())
        )
        bar = self.actions_bar
        bar.play.clicked.connect(lambda: self._on_selected(self.play))
        bar.folder.clicked.connect(lambda: self._on_selected(self.show_in_folder))
        bar.trim.clicked.connect(lambda: self._on_selected(self.ask_trim))
        bar.render.clicked.connect(lambda: self._on_selected(self.render_overlay))
        bar.upload.clicked.connect(lambda: self._on_selected(self.upload_now))
        bar.delete.clicked.connect(lambda: self._on_selected(self.delete))
        self._selection_changed()

    def selected_clip(self) -> ClipRecord | None:
        rows = self.grid.selectionModel().selectedIndexes()
        return self.model.clip_at(rows[0].row()) if rows else None

    def select(self, clip_id: str) -> bool:
        row = self.model.row_of(clip_id)
        if row < 0:
            return False
        index = self.model.index(row)
        self.grid.setCurrentIndex(index)
        self.grid.scrollTo(index)
        return True

    def set_sort(self, sort_by: ClipSort) -> None:
        keep = self.selected_clip()
        self.model.set_sort(sort_by)
        if keep is not None:
            self.select(keep.id)

    def set_game_filter(self, game: str) -> None:
        keep = self.selected_clip()
        self.model.set_game(game or ALL_GAMES)
        self.top.show_count(self.model.rowCount(), game)
        if keep is not None:
            self.select(keep.id)
        self._selection_changed()

    def _selection_changed(self) -> None:
        clip = self.selected_clip()
        self.actions_bar.show_clip(clip, has_folder=clip is not None and clip.path.is_dir())

    def _on_selected(self, action) -> None:
        clip = self.selected_clip()
        if clip is not None:
            action(clip)

    def _context_menu(self, point: QPoint) -> None:
        index = self.grid.indexAt(point)
        if not index.isValid():
            return
        self.grid.setCurrentIndex(index)
        menu = QMenu(self)
        for label, action in self.actions_bar.menu_entries(self):
            menu.addAction(label, lambda action=action: self._on_selected(action))
        menu.exec(self.grid.viewport().mapToGlobal(point))

    # ---- thumbnails ---------------------------------------------------------------------

    def _want_thumbnail(self, clip: ClipRecord) -> None:
        if clip.id not in self._no_thumbnail:
            self.thumbnails.request(clip.id, clip.path / VIDEO_FILE)

    def _thumbnail_ready(self, clip_id: str, image: QImage) -> None:
        self.model.set_thumbnail(clip_id, QPixmap.fromImage(image))

    def _show_clips(self, clips: list[ClipRecord], missing: frozenset[str] = frozenset()) -> None:
        keep = self.selected_clip()
        if self.model.set_clips(clips, missing):
            self.top.set_games(self.model.games(), self.model.game)
            self.top.show_count(self.model.rowCount(), self.model.game)
            if keep is not None:
                self.select(keep.id)
            self._selection_changed()
        if self._pending_select is not None and self.select(self._pending_select):
            self._pending_select = None
        self.grid.setVisible(self.model.rowCount() > 0)
        self.top.empty.setVisible(self.model.rowCount() == 0)

    # ---- actions --------------------------------------------------------------------------

    def play(self, clip: ClipRecord) -> None:
        self._open(clip.path / VIDEO_FILE)

    def show_in_folder(self, clip: ClipRecord) -> None:
        self._open(clip.path)

    def _open(self, path: Path) -> None:
        if not path.exists():
            self.tell(f"The clip is no longer on this computer ({path} is gone).")
            return
        try:
            open_path(path)
        except HindsightError as err:
            self.tell(str(err))

    def ask_trim(self, clip: ClipRecord) -> None:
        dialog = TrimDialog(clip, self)
        if dialog.exec() == TrimDialog.DialogCode.Accepted:
            self.trim(clip, *dialog.span_ms())

    def trim(self, clip: ClipRecord, start_ms: int, end_ms: int):
        job = ClipJob("trim", clip.id, f"Trimming {clip.game_title}")
        return self._submit(
            job, lambda report: clip_actions.trim_clip(self.library, clip, start_ms, end_ms, report)
        )

    def render_overlay(self, clip: ClipRecord):
        job = ClipJob("render", clip.id, f"Rendering the overlay of {clip.game_title}")
        return self._submit(job, lambda report: clip_actions.render_overlay(clip, report))

    def upload_now(self, clip: ClipRecord):
        try:
            plan = clip_actions.plan_upload(self.library, clip, self.settings_file)
        except HindsightError as err:
            self.tell(str(err))
            return None
        if plan.choice.nothing_named_to_do:
            self.actions_bar.status.setText(f"{clip.game_title} is uploaded already.")
            return None
        self.follower.refresh()  # the card says "Queued" at once
        job = ClipJob("upload", clip.id, f"Uploading {clip.game_title}")
        return self._submit(job, lambda report: clip_actions.upload(self.library, plan, report))

    def delete(self, clip: ClipRecord):
        where = " and from the bucket it was uploaded to" if clip.remote is not None else ""
        box = QMessageBox(
            QMessageBox.Icon.Question,
            "Delete clip",
            f"Delete this clip from this computer{where}?",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
            self,
        )
        box.setInformativeText(f"{clip.game_title}, {when(clip.created_utc)}. It cannot be undone.")
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        box.button(QMessageBox.StandardButton.Yes).setText("Delete")
        if box.exec() != QMessageBox.StandardButton.Yes:
            return None
        job = ClipJob("delete", clip.id, f"Deleting {clip.game_title}")
        return self._submit(
            job,
            lambda report: clip_actions.delete_clip(
                self.library, clip, report, settings_file=self.settings_file
            ),
        )

    def _submit(self, job: ClipJob, work):
        if self.jobs.busy(job.kind, job.clip_id):
            self.tell(f"{job.label} is already under way.")
            return None
        self.actions_bar.start(job.label)
        return self.jobs.submit(job, work)

    def _job_progress(self, job: ClipJob, done: int, total: int) -> None:
        self.actions_bar.progress_to(job.label, done, total)

    def _job_finished(self, job: ClipJob, result: object) -> None:
        text = f"{job.label}: done."
        if job.kind == "trim" and isinstance(result, ClipRecord):
            text = f"Trimmed copy saved as {result.path.name}."
            self._pending_select = result.id
        elif job.kind == "render":
            text = (
                f"Overlay copy saved as {getattr(result, 'path', Path()).name} in the clip folder."
            )
        elif job.kind == "upload":
            text = "Uploaded."
        elif job.kind == "delete" and isinstance(result, DeleteOutcome):
            self.thumbnails.forget(job.clip_id)
            text = "Deleted."
            if result.remote_error:
                self.tell(
                    "The clip is deleted here, but its uploaded copy could not be deleted yet "
                    "(the server did not answer); the next upload deletes it."
                )
        self.actions_bar.finish(text)
        self.follower.refresh(scan=job.kind == "trim")

    def _job_failed(self, job: ClipJob, message: str) -> None:
        self.actions_bar.finish(f"{job.label}: failed.")
        self.follower.refresh()
        self.tell(message)

    def tell(self, sentence: str) -> None:
        """A user's error, in one sentence."""
        QMessageBox.warning(self, "Hindsight", as_sentence(sentence))

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 (Qt's name)
        # Closing only hides: the app shows this window again. A trim, render or upload
        # goes on (a player who closes the window expects the upload to finish); only
        # following the folder pauses.
        self.follower.pause()
        super().closeEvent(event)

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 (Qt's name)
        self.follower.resume()  # clips saved while it was closed show up at once
        super().showEvent(event)

    def shutdown(self) -> None:
        """Stop every worker and let the library go: the app is quitting."""
        self.follower.stop()
        self.thumbnails.shutdown()
        self.jobs.shutdown()
        if self._owns_library:
            self.library.close()

    def index_of(self, clip_id: str) -> QModelIndex:
        return self.model.index(self.model.row_of(clip_id))
