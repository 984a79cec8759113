"""The primitives a template is drawn from, in key units with the origin at the overlay picture's
top-left.

Each is a frozen dataclass with the lights (actions) that drive it; ``drawn`` says
in which pass a painter draws it (see :mod:`hindsight.overlay.model.scene`), and
:meth:`Item.to_json` is what the browser page receives. Both painters (Qt's
``overlay/qt/painter.py`` and the page's ``overlay.js``) have one function per kind.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any, ClassVar

from hindsight.overlay.model.layout import Light

__all__ = [
    "Item",
    "Panel",
    "Cap",
    "Body",
    "Well",
    "Stick",
    "Trigger",
    "MouseBody",
    "MouseButton",
    "Fill",
    "Chevron",
    "Needle",
    "Text",
    "Meter",
    "Counter",
    "HistoryRow",
]


@dataclass(frozen=True)
class Item:
    """Base of the primitives: ``drawn`` says in which pass (static, lit, always); see the module
    docstring."""

    kind: ClassVar[str] = ""
    drawn: ClassVar[str] = "static"

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"kind": self.kind, "drawn": self.drawn}
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name in ("lights", "click"):
                value = [
                    {"context": li.context, "action": li.action, "axis": li.axis, "sign": li.sign}
                    for li in value
                ]
            elif isinstance(value, tuple):
                value = [list(v) if isinstance(v, tuple) else v for v in value]
            out[f.name] = value
        return out


@dataclass(frozen=True)
class Panel(Item):
    """A dark translucent panel with a soft shadow, so the overlay reads on any footage."""

    kind: ClassVar[str] = "panel"
    x: float
    y: float
    w: float
    h: float
    r: float


@dataclass(frozen=True)
class Cap(Item):
    """A key cap or pad button: idle (not bound, never lit), bound, or lit while any of its lights
    is."""

    kind: ClassVar[str] = "cap"
    drawn: ClassVar[str] = "lit"
    x: float
    y: float
    w: float
    h: float
    r: float
    label: str
    text: float  # label size in key units
    lights: tuple[Light, ...]
    bound: bool = True
    region: str = ""
    layer: int = 1


@dataclass(frozen=True)
class Body(Item):
    """The pad's body: the union of rounded rectangles (x, y, w, h, radius, degrees turned about
    their centre)."""

    kind: ClassVar[str] = "body"
    parts: tuple[tuple[float, float, float, float, float, float], ...]


@dataclass(frozen=True)
class Well(Item):
    """A dark round well (stick, look dial), with a cross at its centre for the dial."""

    kind: ClassVar[str] = "well"
    cx: float
    cy: float
    r: float
    fill: str
    cross: bool = False


@dataclass(frozen=True)
class Stick(Item):
    """A stick's thumb: moves with its axis2d action, lit while its click is, ringed while
    pushed."""

    kind: ClassVar[str] = "stick"
    drawn: ClassVar[str] = "always"
    cx: float
    cy: float
    r: float
    lights: tuple[Light, ...]
    click: tuple[Light, ...]


@dataclass(frozen=True)
class Trigger(Item):
    """A trigger that fills from the bottom with its axis1d action (fully while a button action is
    lit)."""

    kind: ClassVar[str] = "trigger"
    drawn: ClassVar[str] = "lit"
    x: float
    y: float
    w: float
    h: float
    r: float
    label: str
    text: float  # label size in key units
    lights: tuple[Light, ...]
    region: str = ""
    layer: int = 0


@dataclass(frozen=True)
class MouseBody(Item):
    kind: ClassVar[str] = "mouse_body"
    x: float
    y: float
    w: float
    h: float
    r: float


@dataclass(frozen=True)
class MouseButton(Item):
    """A mouse button: the part of the mouse body (``body`` = x, y, w, h, radius) inside its
    rectangle."""

    kind: ClassVar[str] = "mouse_button"
    drawn: ClassVar[str] = "lit"
    x: float
    y: float
    w: float
    h: float
    body: tuple[float, float, float, float, float]
    lights: tuple[Light, ...]
    bound: bool = True
    region: str = ""


@dataclass(frozen=True)
class Fill(Item):
    """A small rounded part (mouse wheel, side buttons): bound, idle or lit."""

    kind: ClassVar[str] = "fill"
    drawn: ClassVar[str] = "lit"
    x: float
    y: float
    w: float
    h: float
    r: float
    lights: tuple[Light, ...]
    bound: bool = True
    region: str = ""
    on_top: bool = False


@dataclass(frozen=True)
class Chevron(Item):
    """A scroll arrow: a triangle pointing up (``sign`` -1) or down (+1) with its tip at
    (cx, tip)."""

    kind: ClassVar[str] = "chevron"
    drawn: ClassVar[str] = "lit"
    cx: float
    tip: float
    sign: int
    half: float
    lights: tuple[Light, ...]
    region: str = ""
    on_top: bool = True


@dataclass(frozen=True)
class Needle(Item):
    """The look needle in a dial: points where the player looks, longer the faster."""

    kind: ClassVar[str] = "needle"
    drawn: ClassVar[str] = "always"
    cx: float
    cy: float
    r: float
    lights: tuple[Light, ...]


@dataclass(frozen=True)
class Text(Item):
    kind: ClassVar[str] = "text"
    x: float
    y: float
    w: float
    h: float
    text: str
    colour: str
    size: float
    align: str = "center"  # left | center | right
    bold: bool = True


@dataclass(frozen=True)
class Meter(Item):
    """A bar that fills with the APM, full at ``full``."""

    kind: ClassVar[str] = "meter"
    drawn: ClassVar[str] = "lit"
    x: float
    y: float
    w: float
    h: float
    r: float
    full: int


@dataclass(frozen=True)
class Counter(Item):
    """The APM as a number."""

    kind: ClassVar[str] = "counter"
    drawn: ClassVar[str] = "always"
    x: float
    y: float
    w: float
    h: float
    size: float


@dataclass(frozen=True)
class HistoryRow(Item):
    """Row ``index`` of the history (0 = newest): label, duration, and an accent bar while
    active."""

    kind: ClassVar[str] = "history_row"
    drawn: ClassVar[str] = "always"
    index: int
    x: float
    y: float
    w: float
    h: float
