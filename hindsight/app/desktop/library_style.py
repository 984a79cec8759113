"""The clip library window's look: a dark palette and one style sheet, like the game clients
players already keep open (Steam, Medal), with the overlay's accent colour."""

from __future__ import annotations

__all__ = ["PALETTE", "STYLE_SHEET"]

PALETTE = {
    "window": "#0f1217",
    "bar": "#161a21",
    "card": "#1b2029",
    "card_hover": "#232a35",
    "placeholder": "#262d38",
    "border": "#2a313d",
    "text": "#eef1f6",
    "muted": "#8d97a8",
    "accent": "#3ce3b4",  # the overlay's accent: one colour for Hindsight everywhere
    "accent_text": "#0b1a15",
    "info": "#3b82f6",
    "ok": "#1f9d6b",
    "bad": "#d9465f",
}

STYLE_SHEET = """
QWidget#library {{ background: {window}; color: {text}; }}
QWidget#topBar, QWidget#actionBar {{ background: {bar}; }}
QDialog, QMessageBox {{ background: {bar}; color: {text}; }}
QLabel {{ color: {text}; }}
QDoubleSpinBox {{
    background: {card}; color: {text}; border: 1px solid {border}; border-radius: 6px;
    padding: 4px 8px;
}}
QLabel#title {{ font-size: 17pt; font-weight: 700; }}
QLabel#count, QLabel#status {{ color: {muted}; }}
QLabel#empty {{ color: {muted}; font-size: 12pt; }}
QListView {{ background: {window}; border: none; outline: none; }}
QComboBox {{
    background: {card}; color: {text}; border: 1px solid {border}; border-radius: 6px;
    padding: 5px 10px; min-width: 150px;
}}
QComboBox:hover {{ border-color: {muted}; }}
QComboBox::drop-down {{ border: none; width: 18px; }}
QComboBox QAbstractItemView {{
    background: {card}; color: {text}; selection-background-color: {card_hover};
    border: 1px solid {border};
}}
QPushButton {{
    background: {card}; color: {text}; border: 1px solid {border}; border-radius: 6px;
    padding: 6px 14px; font-weight: 600;
}}
QPushButton:hover {{ background: {card_hover}; border-color: {muted}; }}
QPushButton:disabled {{ color: #4d5564; border-color: {bar}; }}
QPushButton#primary {{ background: {accent}; color: {accent_text}; border: none; }}
QPushButton#primary:hover {{ background: #5cf0c6; }}
QPushButton#primary:disabled {{ background: #24574a; color: #0f1217; }}
QPushButton#danger:hover {{ background: {bad}; border-color: {bad}; }}
QProgressBar {{
    background: {card}; border: none; border-radius: 4px; max-height: 8px; min-width: 160px;
}}
QProgressBar::chunk {{ background: {accent}; border-radius: 4px; }}
QScrollBar:vertical {{ background: {window}; width: 10px; margin: 0; }}
QScrollBar::handle:vertical {{ background: {border}; border-radius: 5px; min-height: 40px; }}
QScrollBar::handle:vertical:hover {{ background: {muted}; }}
QScrollBar::add-line:vertical, QScrollBar::sub-line:vertical {{ height: 0; }}
QScrollBar::add-page:vertical, QScrollBar::sub-page:vertical {{ background: none; }}
""".format(**PALETTE)
