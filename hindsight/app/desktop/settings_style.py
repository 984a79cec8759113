"""The look of the settings window and the consent dialog: one dark style sheet, the overlay's
accent."""

from __future__ import annotations

from importlib import resources
from typing import TypeVar

from PyQt6.QtWidgets import QLabel, QWidget

from hindsight.overlay.model.theme import DEFAULT_STYLE

__all__ = ["ACCENT", "ERROR", "STYLE_SHEET", "named", "text"]

W = TypeVar("W", bound=QWidget)


def named(widget: W, name: str) -> W:
    """``widget`` with the object name the style sheet styles it by."""
    widget.setObjectName(name)
    return widget


def text(words: str, name: str, *, wrap: bool = True) -> QLabel:
    """A label of one of the style sheet's kinds (title, hint, error...)."""
    label = named(QLabel(words), name)
    label.setWordWrap(wrap)
    return label


ACCENT = DEFAULT_STYLE.accent  # the same green the overlays light keys with
ERROR = "#ff6b81"
# Style sheets take a file path; inside a frozen app the package's files are on disk too.
_CHECK = str(resources.files("hindsight.app.desktop").joinpath("assets", "check.svg")).replace(
    "\\", "/"
)

STYLE_SHEET = f"""
QWidget {{ background: transparent; color: #e8ecf5; font-size: 13px; }}
QWidget#root, QDialog#root {{ background: #12141b; }}
QLabel#section {{
    color: #8d94a8; font-size: 11px; font-weight: 600; letter-spacing: 1px; padding-top: 10px;
}}
QToolTip {{ background: #181b24; color: #e8ecf5; border: 1px solid #2a3040; }}
QScrollBar:vertical {{ background: transparent; width: 10px; margin: 2px; }}
QScrollBar::handle:vertical {{ background: #2a3040; border-radius: 4px; min-height: 30px; }}
QScrollBar::add-line, QScrollBar::sub-line {{ height: 0; }}
QScrollBar::add-page, QScrollBar::sub-page {{ background: transparent; }}
QLabel#title {{ font-size: 20px; font-weight: 600; }}
QLabel#subtitle, QLabel#hint {{ color: #8d94a8; }}
QLabel#hint {{ font-size: 11px; }}
QLabel#error {{ color: {ERROR}; font-size: 12px; }}
QLabel#status {{ color: #8d94a8; }}
QLabel#banner {{ color: {ERROR}; background: #2a1620; border-radius: 6px; padding: 8px; }}
QListWidget#nav {{
    background: #0c0e13; border: none; padding: 12px 8px; outline: none; font-size: 14px;
}}
QListWidget#nav::item {{ padding: 10px 14px; border-radius: 8px; margin: 2px 0; }}
QListWidget#nav::item:selected {{ background: #1f2430; color: {ACCENT}; }}
QListWidget#nav::item:hover:!selected {{ background: #171a22; }}
QScrollArea, QStackedWidget {{ border: none; }}
QFrame#card {{ background: #181b24; border: 1px solid #232836; border-radius: 10px; }}
QLineEdit, QComboBox {{
    background: #0f1117; border: 1px solid #2a3040; border-radius: 6px; padding: 6px 8px;
    min-height: 18px; selection-background-color: {ACCENT}; selection-color: #0b1410;
}}
QLineEdit:focus, QComboBox:focus {{ border-color: {ACCENT}; }}
QLineEdit[invalid="true"] {{ border-color: {ERROR}; }}
QComboBox QAbstractItemView {{ background: #181b24; selection-background-color: #1f2430; }}
QCheckBox {{ spacing: 8px; background: transparent; }}
QCheckBox::indicator {{
    width: 18px; height: 18px; border-radius: 5px; border: 1px solid #3a4152; background: #0f1117;
}}
QCheckBox::indicator:checked {{
    background: {ACCENT}; border-color: {ACCENT}; image: url("{_CHECK}");
}}
QCheckBox::indicator:disabled {{ border-color: #262b38; background: #14161d; }}
QPushButton {{
    background: #232836; border: none; border-radius: 7px; padding: 8px 18px; font-weight: 500;
}}
QPushButton:hover {{ background: #2c3243; }}
QPushButton#primary {{ background: {ACCENT}; color: #0b1410; font-weight: 600; }}
QPushButton#primary:hover {{ background: #5ff0c8; }}
QPushButton:disabled, QPushButton#primary:disabled {{ background: #1a1d26; color: #555c6e; }}
QTextBrowser {{
    background: #0f1117; border: 1px solid #232836; border-radius: 8px; padding: 6px;
}}
"""
