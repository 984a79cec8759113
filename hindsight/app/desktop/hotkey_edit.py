"""A field that captures a key combination and writes it the way ``[record] hotkey`` is written.

Click it and press the combination (``ctrl+shift+s``, ``F8``): the text is what the
recorder's ``parse_hotkey`` reads. Letters and digits are named by their position on a
US keyboard, as the recorder matches them, so on AZERTY the key printed A gives
``q``: the native scan code says where the key is; without one (synthetic events),
the key Qt reports is used.
"""

from __future__ import annotations

from PyQt6.QtCore import QEvent, Qt, pyqtSignal
from PyQt6.QtGui import QGuiApplication, QKeyEvent
from PyQt6.QtWidgets import QLineEdit, QWidget

__all__ = ["HotkeyEdit", "hotkey_text"]

K = Qt.Key
_MODIFIERS = (
    (Qt.KeyboardModifier.ControlModifier, "ctrl"),
    (Qt.KeyboardModifier.ShiftModifier, "shift"),
    (Qt.KeyboardModifier.AltModifier, "alt"),
    (Qt.KeyboardModifier.MetaModifier, "cmd"),
)
_MODIFIER_KEYS = {K.Key_Control, K.Key_Shift, K.Key_Alt, K.Key_Meta, K.Key_AltGr, K.Key_Super_L}
_NAMED = {
    K.Key_Escape: "esc", K.Key_Tab: "tab", K.Key_Backtab: "tab", K.Key_Space: "space",
    K.Key_Return: "enter", K.Key_Enter: "enter", K.Key_Backspace: "backspace",
    K.Key_Delete: "delete", K.Key_Insert: "insert", K.Key_Home: "home", K.Key_End: "end",
    K.Key_PageUp: "page_up", K.Key_PageDown: "page_down", K.Key_Up: "up", K.Key_Down: "down",
    K.Key_Left: "left", K.Key_Right: "right", K.Key_Pause: "pause", K.Key_Print: "print_screen",
    K.Key_ScrollLock: "scroll_lock", K.Key_Menu: "menu",
}  # fmt: skip
# Linux evdev codes (X11 keycode - 8) of the letter and digit keys, which are also the PC
# scan codes Windows reports: the key's place on the board, whatever the layout prints.
_POSITIONS = {
    **{16 + i: c for i, c in enumerate("qwertyuiop")},
    **{30 + i: c for i, c in enumerate("asdfghjkl")},
    **{44 + i: c for i, c in enumerate("zxcvbnm")},
    **{2 + i: c for i, c in enumerate("1234567890")},
}
# Shift turns a digit into its US symbol; a synthetic event has no scan code to undo that.
_SHIFTED_DIGITS = dict(zip("!@#$%^&*()", "1234567890", strict=True))


def _position(event: QKeyEvent) -> str | None:
    code = event.nativeScanCode()
    platform = QGuiApplication.platformName()
    if code and platform == "xcb":
        return _POSITIONS.get(code - 8)
    if code and platform == "windows":
        return _POSITIONS.get(code)
    return None


def _key_name(event: QKeyEvent) -> str | None:
    key = Qt.Key(event.key())
    if K.Key_F1 <= key <= K.Key_F24:
        return f"F{key - K.Key_F1 + 1}"
    if key in _NAMED:
        return _NAMED[key]
    position = _position(event)
    if position:
        return position
    text = event.text().lower()
    if K.Key_A <= key <= K.Key_Z:
        return chr(ord("a") + key - K.Key_A)
    if K.Key_0 <= key <= K.Key_9:
        return chr(ord("0") + key - K.Key_0)
    if text in _SHIFTED_DIGITS:
        return _SHIFTED_DIGITS[text]
    return text or None


def hotkey_text(modifiers: Qt.KeyboardModifier, key: str | None) -> str:
    """``ctrl+shift+s`` from Qt's modifiers and a key name (None: only modifiers so far)."""
    parts = [name for flag, name in _MODIFIERS if modifiers & flag]
    return "+".join([*parts, key if key is not None else "\u2026"])


class HotkeyEdit(QLineEdit):
    """Shows the hotkey; pressing a combination while it has focus replaces it.

    ``hotkey_changed(text)`` fires with the new combination. Keys the recorder cannot
    use stay as typed, so the settings form refuses them with the recorder's message.
    """

    hotkey_changed = pyqtSignal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setReadOnly(True)  # typed text would not be a combination; keys are caught below
        self.setPlaceholderText("Click, then press the keys")
        self.setCursor(Qt.CursorShape.PointingHandCursor)

    def event(self, event: QEvent | None) -> bool:  # noqa: D401
        # Keys pressed here are the hotkey, not the window's shortcuts (Ctrl+S saves elsewhere).
        if event is not None and event.type() == QEvent.Type.ShortcutOverride:
            event.accept()
            return True
        # Tab and Backtab are keys a player may want; take them before focus moves on.
        if event is not None and event.type() == QEvent.Type.KeyPress:
            self.keyPressEvent(event)  # type: ignore[arg-type]
            return True
        return super().event(event)

    def keyPressEvent(self, event: QKeyEvent | None) -> None:  # noqa: N802
        if event is None:
            return
        modifiers = event.modifiers()
        if Qt.Key(event.key()) in _MODIFIER_KEYS:
            self.setText(hotkey_text(modifiers, None))
            return
        text = hotkey_text(modifiers, _key_name(event) or "?")
        self.setText(text)
        self.hotkey_changed.emit(text)

    def keyReleaseEvent(self, event: QKeyEvent | None) -> None:  # noqa: N802
        # Letting go of modifiers alone leaves no half combination behind.
        if self.text().endswith("\u2026"):
            self.setText("")
            self.hotkey_changed.emit("")
