"""The settings window: every key of ``[record]``, ``[audio]``, ``[upload]`` and ``[overlay]``,
edited in ``settings.toml`` itself.

The fields come from :mod:`hindsight.app.settings_schema` (the packages' own key
tables), so a new key shows up here without a change. Each edit is judged by the
command line's own checks; a refused value shows the command line's line under its
field and Save stays off. Saving edits the user's file in place (comments and order
kept) and then says which changes wait for the recorder to restart:
``restart_needed(names)`` is for the app to act on, ``saved(names)`` lists everything
that changed. "Start with the computer" applies at once.

The sound device fields list the devices the recorder would find, asked of the sound
server off the GUI thread. Closing the window with edits not saved asks first.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import Any

from PyQt6.QtCore import Qt, QTimer, pyqtSignal
from PyQt6.QtGui import QCloseEvent, QKeySequence, QShortcut
from PyQt6.QtWidgets import (
    QCheckBox,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QMessageBox,
    QPushButton,
    QScrollArea,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from hindsight.app.desktop.autostart import AutostartError, autostart
from hindsight.app.desktop.setting_editor import DEVICE_KINDS, SettingEditor, plain
from hindsight.app.desktop.settings_style import STYLE_SHEET, named, text
from hindsight.app.settings_check import field_errors
from hindsight.app.settings_schema import Change, SettingField, setting_fields
from hindsight.app.settings_writer import load_document, set_value, write_document
from hindsight.errors import HindsightError
from hindsight.paths import settings_path as user_settings_path

__all__ = ["SettingsWindow"]

log = logging.getLogger(__name__)

_PAGES = {
    "record": ("Recording", "What is captured and how much the replay buffer keeps."),
    "audio": ("Sound", "Which sounds a clip keeps. The microphone is off unless you add it."),
    "upload": ("Uploads", "Where clips go when you share them. Credentials never live here."),
    "overlay": ("Overlay", "How the input overlay looks, live and burned into clips."),
}
_RESTART_NOTE = "Saved changes here take effect when the recorder restarts."
_AT_ONCE_NOTE = "Saved changes here take effect the next time an overlay opens."


class SettingsWindow(QWidget):
    """Edits the user's settings file (or ``settings_path``); see the module's docstring."""

    restart_needed = pyqtSignal(list)
    saved = pyqtSignal(list)
    devices_listed = pyqtSignal(object)  # [(kind, name, label)], from the listing thread

    def __init__(self, parent: QWidget | None = None, *, settings_path: Path | None = None) -> None:
        super().__init__(parent)
        self.path = Path(settings_path or user_settings_path()).absolute()
        self.setWindowTitle("Hindsight Settings")
        self.setObjectName("root")
        self.setStyleSheet(STYLE_SHEET)
        self.resize(820, 600)
        self.fields: dict[str, SettingEditor] = {}
        self._pages_of: dict[str, int] = {}
        self._timer = QTimer(self)  # edits are judged once typing pauses
        self._timer.setSingleShot(True)
        self._timer.setInterval(120)
        self._timer.timeout.connect(self.validate)

        self.nav = named(QListWidget(), "nav")
        self.nav.setFixedWidth(190)
        self.pages = QStackedWidget()
        self.nav.currentRowChanged.connect(self.pages.setCurrentIndex)
        self.banner = text("", "banner")
        self.banner.hide()
        self.status = text("", "status")
        self.save_button = named(QPushButton("Save"), "primary")
        self.save_button.clicked.connect(self.save)
        self.save_button.setToolTip("Save (Ctrl+S)")
        QShortcut(QKeySequence.StandardKey.Save, self).activated.connect(self.save)
        close = QPushButton("Close")
        close.clicked.connect(self.close)

        content = QVBoxLayout()
        content.setContentsMargins(24, 20, 24, 16)
        content.addWidget(self.banner)
        content.addWidget(self.pages, 1)
        bar = QHBoxLayout()
        bar.addWidget(self.status, 1)
        bar.addWidget(close)
        bar.addWidget(self.save_button)
        content.addLayout(bar)
        root = QHBoxLayout(self)
        root.setContentsMargins(0, 0, 0, 0)
        root.setSpacing(0)
        root.addWidget(self.nav)
        root.addLayout(content, 1)
        self._build_pages()
        self.nav.setCurrentRow(0)
        self.validate()
        self.devices_listed.connect(self._offer_devices)
        threading.Thread(target=self._list_devices, name="hindsight-devices", daemon=True).start()

    # -- building ------------------------------------------------------------------------

    def _build_pages(self) -> None:
        self._text = self._read_text()
        try:
            doc: Any = load_document(self.path)
        except HindsightError as err:
            doc = {}  # shown in the banner by validate(); the fields show the defaults
            self.banner.setText(str(err))
        by_table: dict[str, list[SettingField]] = {}
        for spec in setting_fields():
            by_table.setdefault(spec.table, []).append(spec)
        for table, specs in by_table.items():
            title, subtitle = _PAGES.get(table, (table.capitalize(), ""))
            when = _RESTART_NOTE if specs[0].restart else _AT_ONCE_NOTE
            form = self._page(title, f"{subtitle} {when}".strip())
            section = doc.get(table)
            advanced_shown = False
            for spec in specs:
                if spec.advanced and not advanced_shown:
                    advanced_shown = True
                    form.addRow(text("Advanced", "section", wrap=False))
                current = section.get(spec.key) if isinstance(section, dict) else None
                field = SettingEditor(spec, plain(current))
                field.connect(self._changed)
                self.fields[spec.name] = field
                self._pages_of[spec.name] = self.pages.count() - 1
                form.addRow(_label(spec), _with_error(field))
        form = self._page("General", "How Hindsight starts.")
        self.autostart_box = QCheckBox("Start Hindsight when I log in")
        self.autostart_error = text("", "error")
        self.autostart_error.hide()
        try:
            self.autostart_box.setChecked(autostart().enabled())
        except AutostartError as err:
            self.autostart_box.setEnabled(False)
            self._show_autostart_error(str(err))
        self.autostart_box.toggled.connect(self._toggle_autostart)
        sharing = QPushButton("Sharing and consent\u2026")
        sharing.clicked.connect(self.open_consent)
        box = QVBoxLayout()
        box.addWidget(self.autostart_box)
        box.addWidget(self.autostart_error)
        box.addSpacing(8)
        box.addWidget(sharing, 0, Qt.AlignmentFlag.AlignLeft)
        hint = text(f"Settings file: {self.path}", "hint")
        box.addWidget(hint)
        holder = QWidget()
        holder.setLayout(box)
        form.addRow(holder)

    def _page(self, title: str, subtitle: str) -> QFormLayout:
        self.nav.addItem(title)
        page = named(QWidget(), "page")
        column = QVBoxLayout(page)
        column.setContentsMargins(0, 0, 12, 0)
        heading = text(title, "title", wrap=False)
        column.addWidget(heading)
        if subtitle:
            column.addWidget(text(subtitle, "subtitle"))
        card = named(QFrame(), "card")
        form = QFormLayout(card)
        form.setContentsMargins(18, 16, 18, 16)
        form.setHorizontalSpacing(18)
        form.setVerticalSpacing(12)
        form.setLabelAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        column.addSpacing(8)
        column.addWidget(card)
        column.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(page)
        self.pages.addWidget(scroll)
        return form

    # -- judging and saving -------------------------------------------------------------------

    def _read_text(self) -> str:
        try:
            return self.path.read_text("utf-8")
        except FileNotFoundError:
            return ""

    def changes(self) -> dict[Change, Any]:
        """The edits not saved yet, by (table, key); None removes a key."""
        return {
            (f.spec.table, f.spec.key): f.value()
            for f in self.fields.values()
            if f.value() != f.initial
        }

    def _changed(self, *_: object) -> None:
        self._timer.start()

    def validate(self) -> bool:
        """Show what the command line would refuse; True when the edits can be saved."""
        self._timer.stop()
        changes = self.changes()
        errors, general = field_errors(self._text, changes, self.path)
        for field in self.fields.values():
            field.show_error(errors.get((field.spec.table, field.spec.key)))
        self.banner.setText(general or "")
        self.banner.setVisible(bool(general))
        ok = not errors and not general
        self.save_button.setEnabled(ok and bool(changes))
        return ok

    def save(self) -> bool:
        """Write the edits into the file; False (and nothing written) when one is refused."""
        changes = self.changes()
        if not changes:
            return False
        if not self.validate():
            # Show the page of the first refused field, where its message is.
            wrong = [n for n, f in self.fields.items() if not f.error.isHidden()]
            if wrong:
                self.nav.setCurrentRow(self._pages_of[wrong[0]])
            return False
        try:
            doc = load_document(self.path)
            for (table, key), value in changes.items():
                set_value(doc, table, key, value)
            write_document(doc, self.path)
        except HindsightError as err:
            self.banner.setText(str(err))
            self.banner.show()
            return False
        names = [f"{table}.{key}" for table, key in changes]
        restart = [n for n in names if self.fields[n].spec.restart]
        self._text = self._read_text()
        for field in self.fields.values():
            field.initial = field.value()
        self.save_button.setEnabled(False)
        self.status.setText(_saved_line(restart, self.fields))
        self.saved.emit(names)
        if restart:
            self.restart_needed.emit(restart)
        return True

    # -- sound devices ----------------------------------------------------------------------

    def _list_devices(self) -> None:
        from hindsight.app.compose import compose_audio_backend

        try:
            devices = compose_audio_backend(self.path).devices()
        except Exception as err:  # no sound server, sound off, a broken file: names stay typed
            log.info("sound devices not listed: %s", err)
            return
        listed = [
            (str(d.kind), d.name, f"{d.description} (default)" if d.is_default else d.description)
            for d in devices
        ]
        try:
            self.devices_listed.emit(listed)
        except RuntimeError:  # the window is gone
            pass

    def _offer_devices(self, listed: list[tuple[str, str, str]]) -> None:
        for name, kind in DEVICE_KINDS.items():
            field = self.fields.get(name)
            if field is not None:
                field.offer([(label, device) for k, device, label in listed if k == kind])

    # -- closing --------------------------------------------------------------------------

    def closeEvent(self, event: QCloseEvent | None) -> None:  # noqa: N802 - Qt's name
        assert event is not None
        if self.changes() and not self._may_close():
            event.ignore()
            return
        event.accept()

    def _may_close(self) -> bool:
        """Edits not saved: save them, throw them away, or stay (False)."""
        ask = QMessageBox(self)
        ask.setWindowTitle("Hindsight Settings")
        ask.setIcon(QMessageBox.Icon.Question)
        ask.setText("Save your changes before closing?")
        ask.setInformativeText("Changes you do not save are lost.")
        ask.setStandardButtons(
            QMessageBox.StandardButton.Save
            | QMessageBox.StandardButton.Discard
            | QMessageBox.StandardButton.Cancel
        )
        ask.setDefaultButton(QMessageBox.StandardButton.Save)
        answer = ask.exec()
        if answer == QMessageBox.StandardButton.Save:
            return self.save()  # a refused value keeps the window open, its line shown
        if answer == QMessageBox.StandardButton.Discard:
            for field in self.fields.values():
                field.reset()
            return True
        return False

    def page_title(self, name: str) -> str:
        """The title of the page that shows setting ``name`` (``record.fps``)."""
        item = self.nav.item(self._pages_of[name])
        return item.text() if item is not None else ""

    def open_consent(self) -> None:
        """The consent dialog, for changing what was agreed to on the first run."""
        from hindsight.app.desktop.consent_dialog import ConsentDialog

        dialog = ConsentDialog(self, settings_path=self.path)
        dialog.open()

    def _toggle_autostart(self, on: bool) -> None:
        try:
            entry = autostart()
            entry.enable() if on else entry.disable()
        except AutostartError as err:
            self._show_autostart_error(str(err))
            return
        self.autostart_error.hide()
        self.status.setText("Hindsight will start when you log in." if on else "Autostart off.")

    def _show_autostart_error(self, message: str) -> None:
        self.autostart_error.setText(message)
        self.autostart_error.show()


def _saved_line(restart: list[str], fields: dict[str, SettingEditor]) -> str:
    if not restart:
        return "Saved. The changes apply now."
    labels = ", ".join(fields[n].spec.label for n in restart)
    return f"Saved. The recorder restarts to apply: {labels}."


def _label(spec: SettingField) -> QLabel:
    label = QLabel(spec.label)
    label.setToolTip(f"[{spec.table}] {spec.key}")
    return label


def _with_error(field: SettingEditor) -> QWidget:
    holder = QWidget()
    column = QVBoxLayout(holder)
    column.setContentsMargins(0, 0, 0, 0)
    column.setSpacing(3)
    column.addWidget(field.editor)
    column.addWidget(field.error)
    return holder
