"""What a template draws, as plain primitives in key units, and what state each primitive shows for a frame.

A :class:`Scene` is one template laid out for one game: a list of primitives
(panels, key caps, a pad body, stick wells and thumbs, trigger bars, mouse parts,
the look needle, text, the APM meter, history rows), each with the lights (actions)
that drive it. Qt (``overlay/qt``) and the browser page (``overlay/web/static``)
paint the same scene with one small painter each, in two passes:

1. *rest*: every ``static`` and ``lit`` primitive in its resting look (burn-in
   paints this once and caches it);
2. *live*: each ``lit`` primitive whose state is not its resting one (or that is
   ``on_top``, because a lit neighbour covers it), and every ``always`` primitive.
   Primitives in layer 0 sit behind the pad body and are clipped to stay there.

:meth:`Scene.state` gives each primitive's state for an :class:`ActionFrame`, already
quantised, so equal states give equal pictures (burn-in caches by them) and the
page computes the same states from the same rules (see ``overlay.js``).
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Mapping
from dataclasses import dataclass, fields
from typing import Any, ClassVar

from hindsight.overlay.model.layout import AXIS_LIGHT, Light, OverlayLayout
from hindsight.overlay.model.state import ActionFrame, HistoryEntry
from hindsight.overlay.model.theme import COLOURS, FONT_FAMILIES, LIT_TOP_LIGHTER

__all__ = [
    "Item", "Panel", "Cap", "Body", "Well", "Stick", "Trigger", "MouseBody", "MouseButton", "Fill", "Chevron",
    "Needle", "Text", "Meter", "Counter", "HistoryRow", "Scene", "is_on", "look_vector", "duration_text",
    "STEPS", "NEEDLE_DIRECTIONS", "NEEDLE_LENGTHS",
]

# Sticks and triggers are drawn in steps of 1/STEPS; the look needle in 16 directions x 4 lengths.
STEPS = 20
NEEDLE_DIRECTIONS, NEEDLE_LENGTHS = 16, 4
_SPEED_FULL = 4000.0  # look speed (counts/s) that fills the dial
_TAP_MS = 40  # shorter than this reads as a tap, not a duration


def is_on(light: Light, frame: ActionFrame, kinds: Mapping[str, str]) -> bool:
    """Whether ``light`` is lit in ``frame`` (right context; button lit, or axis pushed its way)."""
    if light.context != frame.context:
        return False
    kind = kinds.get(light.action)
    if kind == "button":
        return light.action in frame.lit
    if kind in ("axis1d", "axis2d"):
        x, y = frame.axes.get(light.action, (0.0, 0.0))
        if light.axis is None:
            return max(abs(x), abs(y)) > AXIS_LIGHT
        value = x if light.axis == "x" else y
        return value * light.sign > AXIS_LIGHT
    return False


def look_vector(dx: float, dy: float) -> tuple[float, float]:
    """Needle of the look dial as (x, y) in [-1, 1], screen y down; length grows with log speed."""
    speed = math.hypot(dx, dy)
    if speed < 1.0:
        return 0.0, 0.0
    length = min(1.0, math.log1p(speed / 60) / math.log1p(_SPEED_FULL / 60))
    return dx / speed * length, -dy / speed * length


def duration_text(entry: HistoryEntry) -> str:
    if entry.duration_ms < _TAP_MS and not entry.active:
        return "tap"
    return f"{entry.duration_ms / 1000:.2f}s"


# ---- primitives (key units, origin at the overlay picture's top-left) ----------------


@dataclass(frozen=True)
class Item:
    """Base of the primitives: ``drawn`` says in which pass (static, lit, always); see the module docstring."""

    kind: ClassVar[str] = ""
    drawn: ClassVar[str] = "static"

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"kind": self.kind, "drawn": self.drawn}
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name in ("lights", "click"):
                value = [{"context": li.context, "action": li.action, "axis": li.axis, "sign": li.sign}
                         for li in value]
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
    """A key cap or pad button: idle (not bound, never lit), bound, or lit while any of its lights is."""

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
    """The pad's body: the union of rounded rectangles (x, y, w, h, radius, degrees turned about their centre)."""

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
    """A stick's thumb: moves with its axis2d action, lit while its click is, ringed while pushed."""

    kind: ClassVar[str] = "stick"
    drawn: ClassVar[str] = "always"
    cx: float
    cy: float
    r: float
    lights: tuple[Light, ...]
    click: tuple[Light, ...]


@dataclass(frozen=True)
class Trigger(Item):
    """A trigger that fills from the bottom with its axis1d action (fully while a button action is lit)."""

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
    """A mouse button: the part of the mouse body (``body`` = x, y, w, h, radius) inside its rectangle."""

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
    """A scroll arrow: a triangle pointing up (``sign`` -1) or down (+1) with its tip at (cx, tip)."""

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
    """Row ``index`` of the history (0 = newest): label, duration, and an accent bar while active."""

    kind: ClassVar[str] = "history_row"
    drawn: ClassVar[str] = "always"
    index: int
    x: float
    y: float
    w: float
    h: float


# ---- the scene ----------------------------------------------------------------------


@dataclass(frozen=True)
class Scene:
    """One template laid out for one game: size (key units), primitives in paint order, named regions."""

    template: str
    w: float
    h: float
    items: tuple[Item, ...]
    regions: tuple[tuple[str, float, float, float, float], ...]
    kinds: Mapping[str, str]
    labels: Mapping[str, str]

    @classmethod
    def of(cls, template: str, layout: OverlayLayout, w: float, h: float, items: list[Item],
           regions: dict[str, tuple[float, float, float, float]]) -> Scene:
        return cls(template, w, h, tuple(items), tuple((n, *r) for n, r in regions.items()), layout.kinds(),
                   layout.labels())

    def state(self, item: Item, frame: ActionFrame) -> Hashable:
        """What ``item`` shows in ``frame``; a ``lit`` item's resting state is falsy."""
        if isinstance(item, (Cap, MouseButton, Fill, Chevron)):
            return self._any_on(item.lights, frame)
        if isinstance(item, Trigger):
            return round(self._trigger(item.lights, frame) * STEPS)
        if isinstance(item, Stick):
            x, y = self._stick(item.lights, frame)
            return round(x * STEPS), round(y * STEPS), self._any_on(item.click, frame)
        if isinstance(item, Needle):
            return self._needle(item.lights, frame)
        if isinstance(item, (Meter, Counter)):
            return frame.apm
        if isinstance(item, HistoryRow):
            if item.index >= len(frame.history):
                return None
            e = frame.history[item.index]
            label = self.labels.get(e.action, e.action) + (f" {e.direction}" if e.direction else "")
            return label, duration_text(e), e.active
        return None

    def state_key(self, frame: ActionFrame) -> Hashable:
        """Everything the live pass depends on: equal keys give equal pictures."""
        return tuple(self.state(item, frame) for item in self.items if item.drawn != "static")

    def lit_regions(self, frame: ActionFrame) -> set[str]:
        """Names of the regions whose part shows lit in ``frame`` (what tests compare pictures against)."""
        out = set()
        for item in self.items:
            region = getattr(item, "region", "")
            if region and item.drawn == "lit" and self.state(item, frame):
                out.add(region)
        return out

    def region(self, name: str) -> tuple[float, float, float, float]:
        for n, x, y, w, h in self.regions:
            if n == name:
                return x, y, w, h
        raise KeyError(name)

    def to_json(self) -> dict[str, Any]:
        """The scene as the browser page paints it (``/scene``)."""
        return {
            "template": self.template,
            "w": self.w,
            "h": self.h,
            "items": [item.to_json() for item in self.items],
            "regions": {n: [x, y, w, h] for n, x, y, w, h in self.regions},
            "kinds": dict(self.kinds),
            "labels": dict(self.labels),
            "colours": {name: list(rgba) for name, rgba in COLOURS.items()},
            "fonts": list(FONT_FAMILIES),
            "axis_light": AXIS_LIGHT,
            "steps": STEPS,
            "needle": [NEEDLE_DIRECTIONS, NEEDLE_LENGTHS],
            "lit_top_lighter": LIT_TOP_LIGHTER,
            "speed_full": _SPEED_FULL,
            "tap_ms": _TAP_MS,
        }

    # ---- rules --------------------------------------------------------------------

    def _any_on(self, lights: tuple[Light, ...], frame: ActionFrame) -> bool:
        return any(is_on(li, frame, self.kinds) for li in lights)

    def _stick(self, lights: tuple[Light, ...], frame: ActionFrame) -> tuple[float, float]:
        for light in lights:
            if light.context == frame.context and self.kinds.get(light.action) == "axis2d":
                return frame.axes.get(light.action, (0.0, 0.0))
        return 0.0, 0.0

    def _trigger(self, lights: tuple[Light, ...], frame: ActionFrame) -> float:
        best = 0.0
        for light in lights:
            if light.context != frame.context:
                continue
            if self.kinds.get(light.action) == "axis1d":
                best = max(best, min(1.0, abs(frame.axes.get(light.action, (0.0, 0.0))[0])))
            elif is_on(Light(light.context, light.action), frame, self.kinds):
                best = 1.0
        return best

    def _needle(self, lights: tuple[Light, ...], frame: ActionFrame) -> tuple[int, int]:
        """The needle as (direction 0..15, length 0..4): burn-in reuses one picture per step."""
        x = y = 0.0
        for light in lights:
            if light.context == frame.context and light.action in frame.look:
                x, y = look_vector(*frame.look[light.action])
                break
        length = math.hypot(x, y)
        if length < 0.05:
            return 0, 0
        direction = round(math.atan2(y, x) / (2 * math.pi) * NEEDLE_DIRECTIONS) % NEEDLE_DIRECTIONS
        return direction, min(NEEDLE_LENGTHS, max(1, math.ceil(length * NEEDLE_LENGTHS)))
