"""The trim dialog: where a clip's new copy starts and ends, in seconds."""

from __future__ import annotations

from PyQt6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QLabel,
    QVBoxLayout,
    QWidget,
)

from hindsight.app.desktop.clip_card import length_text
from hindsight.uploader.library import ClipRecord

__all__ = ["TrimDialog"]


class TrimDialog(QDialog):
    """Asks for a span of ``clip``; :meth:`span_ms` is the answer once accepted."""

    def __init__(self, clip: ClipRecord, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Trim {clip.game_title}")
        length_s = clip.duration_ms / 1000
        self.start = self._seconds_box(length_s, 0.0)
        self.end = self._seconds_box(length_s, length_s)
        form = QFormLayout()
        form.addRow("Start at (s)", self.start)
        form.addRow("End at (s)", self.end)
        note = QLabel(
            f"The clip is {length_text(clip.duration_ms)} long. The trimmed copy is saved beside "
            "it and starts on the keyframe at or before the start (at most a second earlier), "
            "so nothing is re-encoded. The original is not changed."
        )
        note.setWordWrap(True)
        note.setObjectName("status")
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        assert ok is not None
        ok.setText("Save trimmed copy")
        ok.setObjectName("primary")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        self.start.valueChanged.connect(self._check)
        self.end.valueChanged.connect(self._check)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(note)
        layout.addWidget(self.buttons)
        self.setMinimumWidth(380)

    def span_ms(self) -> tuple[int, int]:
        return round(self.start.value() * 1000), round(self.end.value() * 1000)

    def _seconds_box(self, length_s: float, value: float) -> QDoubleSpinBox:
        box = QDoubleSpinBox(self)
        box.setDecimals(1)
        box.setSingleStep(0.5)
        box.setRange(0.0, length_s)
        box.setValue(value)
        return box

    def _check(self) -> None:
        ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        if ok is not None:
            ok.setEnabled(self.end.value() > self.start.value())
