"""How an overlay looks and sits: template names, colours, fonts, and the style (corner, margin,
size, accent).

Everything here is defined once and read by the Qt templates, burn-in, the CLI and
the browser page (which receives the colours and fonts with its scene).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from hindsight.overlay.errors import OverlayError

__all__ = [
    "POSITIONS",
    "TEMPLATE_NAMES",
    "DEFAULT_TEMPLATE",
    "BASE_UNIT_PX",
    "COLOURS",
    "FONT_FAMILIES",
    "LIT_TOP_LIGHTER",
    "OverlayStyle",
    "DEFAULT_STYLE",
]

POSITIONS = ("bottom-left", "bottom-right", "top-left", "top-right", "bottom-center", "top-center")
TEMPLATE_NAMES = ("keyboard_mouse", "controller", "apm", "history")
DEFAULT_TEMPLATE = TEMPLATE_NAMES[0]
# One key unit at 1080p and scale 1: a compact cluster is then about a fifth of the width.
BASE_UNIT_PX = 40.0
_HEX = re.compile(r"#[0-9a-fA-F]{6}")

# Colours of every template (RGBA, alpha 0..255); "accent" is replaced by the style's accent.
COLOURS: dict[str, tuple[int, int, int, int]] = {
    "panel": (12, 14, 20, 190),
    "panel_edge": (255, 255, 255, 22),
    "cap": (46, 51, 64, 235),
    "cap_top": (62, 68, 84, 235),
    "cap_edge": (255, 255, 255, 30),
    "cap_idle": (46, 51, 64, 90),
    "label": (232, 236, 245, 235),
    "label_idle": (232, 236, 245, 70),
    "accent": (60, 227, 180, 255),
    "accent_label": (8, 22, 18, 255),
    "shadow": (0, 0, 0, 110),
    "well": (0, 0, 0, 110),
    "dial": (0, 0, 0, 70),
    "muted": (160, 168, 186, 220),
}
# A lit cap's top is its accent made this much lighter (percent, as QColor.lighter).
LIT_TOP_LIGHTER = 118
FONT_FAMILIES = ("DejaVu Sans", "Noto Sans", "Segoe UI", "Helvetica Neue", "Arial", "sans-serif")


@dataclass(frozen=True)
class OverlayStyle:
    """Where and how big an overlay is drawn; sizes follow the video height (1080p = scale 1)."""

    position: str = "bottom-left"
    margin: float = 0.03  # fraction of the video height from the edges
    opacity: float = 1.0
    scale: float = 1.0
    accent: str = "#3ce3b4"

    def __post_init__(self) -> None:
        if self.position not in POSITIONS:
            raise OverlayError(f"--position {self.position!r}: one of {', '.join(POSITIONS)}")
        if not 0.0 <= self.margin <= 0.4:
            raise OverlayError(f"--margin {self.margin}: a fraction of the height, 0..0.4")
        if not 0.05 <= self.opacity <= 1.0:
            raise OverlayError(f"--opacity {self.opacity}: must be 0.05..1")
        if not 0.25 <= self.scale <= 4.0:
            raise OverlayError(f"--scale {self.scale}: must be 0.25..4")
        if not _HEX.fullmatch(self.accent):
            raise OverlayError(f"--accent {self.accent!r}: a colour like {DEFAULT_STYLE.accent}")

    @property
    def accent_rgb(self) -> tuple[int, int, int]:
        return int(self.accent[1:3], 16), int(self.accent[3:5], 16), int(self.accent[5:7], 16)

    def colour(self, name: str) -> tuple[int, int, int, int]:
        """A theme colour as RGBA, the accent being this style's."""
        if name == "accent":
            return (*self.accent_rgb, 255)
        return COLOURS[name]

    def unit_px(self, height: int) -> float:
        """Pixels per key unit on a picture ``height`` pixels tall."""
        return BASE_UNIT_PX * self.scale * height / 1080

    def place(self, size: tuple[int, int], frame: tuple[int, int]) -> tuple[int, int]:
        """Top-left corner (even, so 4:2:0 chroma lines up) of an overlay of ``size`` on a
        ``frame``."""
        w, h = size
        fw, fh = frame
        m = round(self.margin * fh)
        vertical, horizontal = self.position.split("-")
        x = {"left": m, "right": fw - w - m, "center": (fw - w) // 2}[horizontal]
        y = m if vertical == "top" else fh - h - m
        x = max(0, min(x, fw - w)) // 2 * 2
        y = max(0, min(y, fh - h)) // 2 * 2
        return x, y


DEFAULT_STYLE = OverlayStyle()
