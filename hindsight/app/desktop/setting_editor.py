"""One setting's editor in the settings window: the right widget for its type, its value as
TOML, and the line under it that says what is wrong."""

from __future__ import annotations

import os
from typing import Any

from PyQt6.QtWidgets import QCheckBox, QComboBox, QLineEdit, QWidget

from hindsight.app.desktop.hotkey_edit import HotkeyEdit
from hindsight.app.desktop.settings_style import text
from hindsight.app.settings_schema import CHOICE_LABELS, SettingField

__all__ = ["DEVICE_KINDS", "SettingEditor", "plain", "typed_value"]

#: settings that name a sound device, and the kind of device each takes
DEVICE_KINDS = {"audio.device": "system", "audio.mic_device": "mic"}


class SettingEditor:
    """One setting's editor, the value it started with and the line that says what is wrong."""

    def __init__(self, spec: SettingField, current: Any) -> None:  # noqa: ANN401
        self.spec = spec
        self.error = text("", "error")
        self.error.hide()
        self.editor: QWidget
        if spec.types is bool:
            box = QCheckBox()
            box.setChecked(bool(spec.default if current is None else current))
            self.editor = box
        elif spec.choices:
            combo = QComboBox()
            if spec.default is None:
                combo.addItem("Automatic", None)
            for choice in spec.choices:
                combo.addItem(CHOICE_LABELS.get(choice, choice.replace("_", " ")), choice)
            shown = current if current is not None else spec.default
            if shown is not None and combo.findData(shown) < 0:
                combo.addItem(str(shown), shown)  # a value the file holds that is not a choice
            combo.setCurrentIndex(combo.findData(shown))
            self.editor = combo
        elif spec.name in DEVICE_KINDS:
            # The devices are listed later (asking the sound server takes a moment):
            # until then the default and the file's own choice.
            combo = QComboBox()
            combo.addItem(f"Default ({spec.unset})", None)
            if current is not None:
                combo.addItem(str(current), str(current))
                combo.setCurrentIndex(1)
            self.editor = combo
        elif spec.name == "record.hotkey":
            self.editor = HotkeyEdit()
            self.editor.setText("" if current is None else str(current))
            self.editor.setPlaceholderText(f"{spec.default} (click, then press the keys)")
        else:
            line = QLineEdit()
            if isinstance(current, list):
                line.setText(os.pathsep.join(str(v) for v in current))
            elif current is not None:
                line.setText(str(current))
            line.setPlaceholderText(
                f"default: {spec.default}" if spec.default is not None else spec.unset
            )
            self.editor = line
        self.initial = self.value()

    def connect(self, callback: Any) -> None:  # noqa: ANN401
        editor = self.editor
        if isinstance(editor, QCheckBox):
            editor.toggled.connect(callback)
        elif isinstance(editor, QComboBox):
            editor.currentIndexChanged.connect(callback)
        elif isinstance(editor, HotkeyEdit):
            editor.hotkey_changed.connect(callback)
        elif isinstance(editor, QLineEdit):
            editor.textChanged.connect(callback)

    def offer(self, options: list[tuple[str, str]]) -> None:
        """More (label, value) choices for a list editor; what is chosen stays chosen, and
        a choice already there gets the better label."""
        combo = self.editor
        assert isinstance(combo, QComboBox)
        combo.blockSignals(True)  # offering is not an edit
        try:
            for label, value in options:
                at = combo.findData(value)
                if at < 0:
                    combo.addItem(label, value)
                else:
                    combo.setItemText(at, label)
        finally:
            combo.blockSignals(False)

    def reset(self) -> None:
        """Back to the value it started with (edits thrown away)."""
        editor, value = self.editor, self.initial
        if isinstance(editor, QCheckBox):
            editor.setChecked(bool(value))
        elif isinstance(editor, QComboBox):
            editor.setCurrentIndex(max(0, editor.findData(value)))
        elif isinstance(editor, QLineEdit):  # the hotkey field too
            if isinstance(value, list):
                editor.setText(os.pathsep.join(str(v) for v in value))
            else:
                editor.setText("" if value is None else str(value))

    def value(self) -> Any:  # noqa: ANN401
        """The value to write (None: leave it out of the file, so the default applies)."""
        editor = self.editor
        if isinstance(editor, QCheckBox):
            return editor.isChecked()
        if isinstance(editor, QComboBox):
            return editor.currentData()
        assert isinstance(editor, QLineEdit)
        return typed_value(editor.text().strip(), self.spec.types)

    def show_error(self, message: str | None) -> None:
        self.error.setText(message or "")
        self.error.setVisible(bool(message))
        self.editor.setProperty("invalid", bool(message))
        self.editor.style().unpolish(self.editor)  # type: ignore[union-attr]
        self.editor.style().polish(self.editor)  # type: ignore[union-attr]


def typed_value(text: str, types: type | tuple[type, ...]) -> Any:  # noqa: ANN401
    """Text as the TOML value the table expects; text that is not one is written as text, so
    the command line's own type check names it."""
    if not text:
        return None
    wanted = types if isinstance(types, tuple) else (types,)
    if list in wanted:
        return [part.strip() for part in text.split(os.pathsep) if part.strip()]
    if str in wanted:
        return text
    for kind in (int, float):
        if kind in wanted:
            try:
                return kind(text)
            except ValueError:
                continue
    return text


def plain(value: Any) -> Any:  # noqa: ANN401
    """A tomlkit item as the plain Python value it holds."""
    return value.unwrap() if hasattr(value, "unwrap") else value
