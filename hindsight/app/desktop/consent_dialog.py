"""The first-run consent dialog: the consent texts, each with its version, and one choice per
purpose.

Nothing is ticked to begin with, and leaving it so (or "Not now") means nothing is
uploaded: clips stay on this computer and the upload policy stays as it is (manual
unless the user set one). A choice is recorded exactly as ``hindsight consent
grant`` / ``withdraw`` records it (:func:`grant_consent` / :func:`withdraw_consent`
on the library the settings name), so ``hindsight consent show`` reports it. The
dialog also leaves a mark beside the settings file, so the app asks only once.
"""

from __future__ import annotations

from pathlib import Path

import tomlkit
from PyQt6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from hindsight.app.desktop.settings_style import STYLE_SHEET, named, text
from hindsight.app.settings_check import check_text
from hindsight.app.settings_schema import CHOICE_LABELS, setting_fields
from hindsight.app.settings_writer import load_document, set_value, write_document
from hindsight.errors import HindsightError
from hindsight.paths import settings_path as user_settings_path
from hindsight.uploader.consent import PURPOSES, ConsentText, consent_text

__all__ = ["ConsentDialog", "consent_asked"]

_MARK = ".consent-asked"


def consent_asked(settings_path: Path | None = None) -> bool:
    """True once the first-run dialog has been answered (either way) for this settings file."""
    return (Path(settings_path or user_settings_path()).parent / _MARK).exists()


class ConsentDialog(QDialog):
    """Asks, once, whether clips may be uploaded and whether they may be training data."""

    def __init__(self, parent: QWidget | None = None, *, settings_path: Path | None = None) -> None:
        super().__init__(parent)
        self.path = Path(settings_path or user_settings_path()).absolute()
        self.setObjectName("root")
        self.setStyleSheet(STYLE_SHEET)
        self.setWindowTitle("Hindsight: sharing your clips")
        self.resize(720, 720)
        self.boxes: dict[str, QCheckBox] = {}
        self.texts = {p: consent_text(p) for p in PURPOSES}

        column = QVBoxLayout(self)
        column.setContentsMargins(28, 24, 28, 20)
        column.setSpacing(12)
        column.addWidget(text("Your clips stay yours", "title", wrap=False))
        column.addWidget(
            text(
                "Hindsight keeps every clip on this computer. Nothing is uploaded unless you "
                "tick a box below, and you can change your mind at any time in Settings.",
                "subtitle",
            )
        )
        for purpose in PURPOSES:
            column.addWidget(self._card(self.texts[purpose]), 1)
        self.policy = QComboBox()
        policy = next(f for f in setting_fields() if f.name == "upload.policy")
        for choice in policy.choices:
            self.policy.addItem(CHOICE_LABELS.get(choice, choice), choice)
        self._initial_policy = self._current_policy(policy.default)
        self.policy.setCurrentIndex(self.policy.findData(self._initial_policy))
        row = QHBoxLayout()
        row.addWidget(QLabel("Upload shared clips:"))
        row.addWidget(self.policy, 1)
        column.addLayout(row)
        self.error = text("", "error")
        self.error.hide()
        column.addWidget(self.error)

        buttons = QHBoxLayout()
        buttons.addStretch(1)
        later = QPushButton("Not now")
        later.clicked.connect(self.decline)
        self.ok = named(QPushButton("Save my choice"), "primary")
        self.ok.clicked.connect(self.record)
        buttons.addWidget(later)
        buttons.addWidget(self.ok)
        column.addLayout(buttons)

        self.boxes["clips"].toggled.connect(self._clips_toggled)
        self._clips_toggled(False)
        self._show_recorded()

    def _show_recorded(self) -> None:
        """Tick what is granted now (for the text as it is), so reopening shows the choice."""
        from hindsight.uploader.policy import open_library

        try:
            library = open_library(self.path)
        except HindsightError:
            return  # a library that cannot open is reported when the choice is saved
        try:
            for purpose, box in self.boxes.items():
                box.setChecked(library.consent(purpose).current)
        finally:
            library.close()

    def _card(self, consent: ConsentText) -> QFrame:
        card = named(QFrame(), "card")
        inner = QVBoxLayout(card)
        inner.setContentsMargins(16, 14, 16, 14)
        title, _, rest = consent.body.partition("\n\n")
        box = QCheckBox(title.strip())
        box.setStyleSheet("font-weight: 600; font-size: 14px;")
        self.boxes[consent.purpose] = box
        head = QHBoxLayout()
        head.addWidget(box, 1)
        head.addWidget(text(f"text version {consent.version}", "hint", wrap=False))
        inner.addLayout(head)
        body = QTextBrowser()
        body.setMarkdown(rest.strip())
        body.setOpenExternalLinks(False)
        inner.addWidget(body, 1)
        return card

    def _current_policy(self, default: str) -> str:
        try:
            table = load_document(self.path).get("upload") or {}
        except HindsightError:
            return default
        return str(table.get("policy", default))

    def _clips_toggled(self, on: bool) -> None:
        # Training data is a use of uploaded clips: without sharing there is nothing to give.
        dataset = self.boxes["dataset"]
        dataset.setEnabled(on)
        if not on:
            dataset.setChecked(False)
        self.policy.setEnabled(on)

    def choice(self) -> dict[str, bool]:
        return {purpose: box.isChecked() for purpose, box in self.boxes.items()}

    def decline(self) -> None:
        """Nothing shared: no consent recorded, nothing uploaded."""
        self._mark()
        self.reject()

    def record(self) -> bool:
        """Record the ticked purposes (and withdraw untick ones that were granted)."""
        from hindsight.uploader.policy import grant_consent, open_library, withdraw_consent

        try:
            if self.boxes["clips"].isChecked():
                self._write_policy(self.policy.currentData())
            library = open_library(self.path)
            try:
                for purpose, wanted in self.choice().items():
                    state = library.consent(purpose)
                    if wanted and not state.current:
                        grant_consent(library, purpose)
                    elif not wanted and state.granted:
                        withdraw_consent(library, purpose, settings_file=self.path)
            finally:
                library.close()
        except HindsightError as err:
            self.error.setText(str(err))
            self.error.show()
            return False
        self._mark()
        self.accept()
        return True

    def _write_policy(self, policy: str) -> None:
        if policy == self._initial_policy:
            return  # the user's file stays untouched when nothing changes in it
        doc = load_document(self.path)
        set_value(doc, "upload", "policy", policy)
        problem = check_text(tomlkit.dumps(doc), self.path)
        if problem is not None:
            raise HindsightError(problem)
        write_document(doc, self.path)

    def _mark(self) -> None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            (self.path.parent / _MARK).touch()
        except OSError:
            pass  # asking again next time is the safe side
