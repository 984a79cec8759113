"""One template laid out for one game, and what state each of its primitives shows for a frame.

A :class:`Scene` is a list of primitives (:mod:`hindsight.overlay.model.primitives`:
panels, key caps, a pad body, stick wells and thumbs, trigger bars, mouse parts,
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
from dataclasses import dataclass
from typing import Any

from hindsight.overlay.model.layout import AXIS_LIGHT, Light, OverlayLayout
from hindsight.overlay.model.primitives import (
    Cap,
    Chevron,
    Counter,
    Fill,
    HistoryRow,
    Item,
    Meter,
    MouseButton,
    Needle,
    Stick,
    Trigger,
)
from hindsight.overlay.model.state import ActionFrame, HistoryEntry
from hindsight.overlay.model.theme import COLOURS, FONT_FAMILIES, LIT_TOP_LIGHTER

__all__ = [
    "Scene",
    "is_on",
    "look_vector",
    "duration_text",
    "STEPS",
    "NEEDLE_DIRECTIONS",
    "NEEDLE_LENGTHS",
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


@dataclass(frozen=True)
class Scene:
    """One template laid out for one game: size (key units), primitives in paint order, named
    regions."""

    template: str
    w: float
    h: float
    items: tuple[Item, ...]
    regions: tuple[tuple[str, float, float, float, float], ...]
    kinds: Mapping[str, str]
    labels: Mapping[str, str]

    @classmethod
    def of(
        cls,
        template: str,
        layout: OverlayLayout,
        w: float,
        h: float,
        items: list[Item],
        regions: dict[str, tuple[float, float, float, float]],
    ) -> Scene:
        return cls(
            template,
            w,
            h,
            tuple(items),
            tuple((n, *r) for n, r in regions.items()),
            layout.kinds(),
            layout.labels(),
        )

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
        """Names of the regions whose part shows lit in ``frame`` (what tests compare pictures
        against)."""
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
