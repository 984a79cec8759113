"""The action translator: raw input in, semantic actions out; raw input dies here.

It applies the focused game's action map: the current set (context) and its
switches, WASD-style composites, hold/press/toggle button modes, radial stick
deadzones, trigger thresholds and summed mouse deltas. Input in a ``marker`` set,
input while no matched game has focus, and input no binding names are dropped
and only counted. It is single-threaded: one translator thread feeds it.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from hindsight.actionmap.model import ActionKind, ActionMap, ActionSet, Binding
from hindsight.actionmap.names import input_kind
from hindsight.recorder.actions.events import (
    PRESS,
    RELEASE,
    UNFOCUSED,
    VALUE,
    ActionEvent,
    ContextEvent,
)
from hindsight.recorder.input.base import RawInput

__all__ = ["ActionTranslator", "TranslatorCounters", "apply_deadzone"]

Sink = Callable[[ActionEvent | ContextEvent], None]
_TRIGGER_HYSTERESIS = 0.05
_COMPOSITE_VECTORS = {
    "up": (0.0, 1.0),
    "down": (0.0, -1.0),
    "left": (-1.0, 0.0),
    "right": (1.0, 0.0),
    "positive": (1.0, 0.0),
    "negative": (-1.0, 0.0),
}


def apply_deadzone(x: float, y: float, deadzone: float) -> tuple[float, float]:
    """Radial deadzone, rescaled so the output grows from 0 at the edge of the zone to 1."""
    r = math.hypot(x, y)
    if r <= deadzone or r == 0.0:
        return 0.0, 0.0
    scale = (min(r, 1.0) - deadzone) / (1.0 - deadzone) / r
    return x * scale, y * scale


@dataclass
class TranslatorCounters:
    translated: int = 0
    unmapped: int = 0  # no binding in the current set names this input
    redacted: int = 0  # dropped inside a marker set (e.g. chat)
    unfocused: int = 0  # dropped while no matched game had focus
    context_switches: int = 0


@dataclass(frozen=True, slots=True)
class _Route:
    binding: Binding
    direction: str | None  # composite direction, None for a plain source


class _SetRoutes:
    """Per set: which bindings and switches each input feeds (built once per map)."""

    def __init__(self, aset: ActionSet) -> None:
        self.recorded = aset.record == "actions"
        self.routes: dict[str, list[_Route]] = {}
        for binding in aset.bindings:
            for source in binding.sources:
                self.routes.setdefault(source, []).append(_Route(binding, None))
            for direction, source in binding.composite:
                self.routes.setdefault(source, []).append(_Route(binding, direction))
        self.switches: dict[str, str] = {}
        for switch in aset.switches:
            for source in switch.on:
                self.switches.setdefault(source, switch.to)


class ActionTranslator:
    """Turns :class:`RawInput` into :class:`ActionEvent` / :class:`ContextEvent` for a sink."""

    def __init__(self, sink: Sink) -> None:
        self._sink = sink
        self.counters = TranslatorCounters()
        self._map: ActionMap | None = None
        self._kinds: dict[str, ActionKind] = {}
        self._sets: dict[str, _SetRoutes] = {}
        self._set_name = UNFOCUSED
        self._focused = False
        # Raw state, in memory only: needed to turn sticks/triggers/composites into values.
        self._pressed: set[tuple[str, int]] = set()
        self._analog: dict[tuple[str, int], tuple[float, float]] = {}
        # Action state.
        self._holders: dict[str, set[tuple[int, str, int]]] = {}
        self._toggled: dict[str, bool] = {}
        self._held: dict[str, bool] = {}
        self._contrib: dict[str, dict[tuple[int, str, int], tuple[float, float]]] = {}
        self._values: dict[str, tuple[float, float]] = {}

    # ---- context -------------------------------------------------------------------

    @property
    def game(self) -> ActionMap | None:
        return self._map if self._focused else None

    @property
    def context(self) -> str:
        return self._set_name if self._focused else UNFOCUSED

    def set_game(self, amap: ActionMap | None, t_ns: int) -> None:
        """The matched game now in focus (None: none is), as the focus tracker reports it."""
        if amap is not None and amap is self._map and self._focused:
            return
        self._release_all(t_ns)
        if amap is None:
            self._focused = False
            self._emit_context(t_ns)
            return
        if amap is not self._map:
            self._map = amap
            self._kinds = {a.name: a.kind for a in amap.actions}
            self._sets = {s.name: _SetRoutes(s) for s in amap.sets}
            self._set_name = amap.initial_set.name
        self._focused = True
        self._emit_context(t_ns)

    def _switch_set(self, name: str, t_ns: int) -> None:
        self._release_all(t_ns)
        self._set_name = name
        self.counters.context_switches += 1
        self._emit_context(t_ns)

    def _emit_context(self, t_ns: int) -> None:
        if not self._focused or self._map is None:
            self._sink(ContextEvent(t_ns, UNFOCUSED, False, None))
        else:
            self._sink(
                ContextEvent(t_ns, self._set_name, self._sets[self._set_name].recorded, self._map)
            )

    # ---- input -----------------------------------------------------------------------

    def feed(self, raw: RawInput) -> None:
        key = (raw.name, raw.device)
        kind = input_kind(raw.name)
        edge_down = False
        if kind == "button":
            was = key in self._pressed
            if raw.x >= 0.5:
                self._pressed.add(key)
                edge_down = not was
            else:
                self._pressed.discard(key)
        elif kind in ("stick", "trigger"):
            self._analog[key] = (raw.x, raw.y)
        if not self._focused or self._map is None:
            self.counters.unfocused += 1
            return
        routes = self._sets[self._set_name]
        target = routes.switches.get(raw.name) if edge_down else None
        if not routes.recorded:
            self.counters.redacted += 1
            if target is not None:
                self._switch_set(target, raw.t_ns)
            return
        matched = routes.routes.get(raw.name)
        if not matched:
            if target is None:
                self.counters.unmapped += 1
            else:
                self._switch_set(target, raw.t_ns)
            return
        self.counters.translated += 1
        for index, route in enumerate(matched):
            self._apply(route, (index, raw.name, raw.device), raw, edge_down)
        if target is not None:
            self._switch_set(target, raw.t_ns)

    def _apply(
        self, route: _Route, holder: tuple[int, str, int], raw: RawInput, edge_down: bool
    ) -> None:
        binding = route.binding
        action = binding.action
        kind = self._kinds[action]
        t_ns = raw.t_ns
        source_kind = input_kind(raw.name)
        if kind == ActionKind.BUTTON:
            if source_kind == "trigger":
                was = holder in self._holders.get(action, ())
                down = raw.x >= binding.threshold or (
                    was and raw.x >= binding.threshold - _TRIGGER_HYSTERESIS
                )
                edge_down = down and not was
            else:
                down = raw.x >= 0.5
            self._button(action, binding.mode, holder, down, edge_down, t_ns)
        elif kind == ActionKind.DELTA2D:
            self._sink(ActionEvent(t_ns, action, VALUE, raw.x, raw.y))
        else:
            contrib = self._contrib.setdefault(action, {})
            if route.direction is not None:
                vx, vy = _COMPOSITE_VECTORS[route.direction]
                contrib[holder] = (vx, vy) if raw.x >= 0.5 else (0.0, 0.0)
            elif source_kind == "stick":
                contrib[holder] = apply_deadzone(raw.x, raw.y, binding.deadzone)
            else:  # a trigger or button driving an axis
                contrib[holder] = (max(0.0, min(1.0, raw.x)), 0.0)
            self._update_axis(action, kind, t_ns)

    def _button(
        self,
        action: str,
        mode: str,
        holder: tuple[int, str, int],
        down: bool,
        edge_down: bool,
        t_ns: int,
    ) -> None:
        holders = self._holders.setdefault(action, set())
        if mode == "hold":
            if down:
                holders.add(holder)
            else:
                holders.discard(holder)
        elif mode == "toggle":
            if edge_down:
                self._toggled[action] = not self._toggled.get(action, False)
        elif mode == "press" and edge_down and not self._held.get(action, False):
            # A tap: press and release at the same instant; the track counts it in .n.
            self._sink(ActionEvent(t_ns, action, PRESS, 1.0))
            self._sink(ActionEvent(t_ns, action, RELEASE, 0.0))
            return
        self._set_held(action, bool(holders) or self._toggled.get(action, False), t_ns)

    def _set_held(self, action: str, held: bool, t_ns: int) -> None:
        if held != self._held.get(action, False):
            self._held[action] = held
            self._sink(ActionEvent(t_ns, action, PRESS if held else RELEASE, 1.0 if held else 0.0))

    def _update_axis(self, action: str, kind: str, t_ns: int) -> None:
        parts = self._contrib.get(action, {}).values()
        x = sum(p[0] for p in parts)
        y = sum(p[1] for p in parts)
        if kind == ActionKind.AXIS2D:
            r = math.hypot(x, y)
            if r > 1.0:  # WASD diagonals and stick+keys together stay on the unit disc
                x, y = x / r, y / r
        else:
            x, y = max(-1.0, min(1.0, x)), 0.0
        value = (round(x, 6), round(y, 6))
        if value != self._values.get(action, (0.0, 0.0)):
            self._values[action] = value
            self._sink(ActionEvent(t_ns, action, VALUE, value[0], value[1]))

    def _release_all(self, t_ns: int) -> None:
        """Leaving a context: every held action ends now (what is still held is not trusted)."""
        for action, held in list(self._held.items()):
            if held:
                self._held[action] = False
                self._sink(ActionEvent(t_ns, action, RELEASE, 0.0))
        for action, value in list(self._values.items()):
            if value != (0.0, 0.0):
                self._sink(ActionEvent(t_ns, action, VALUE, 0.0, 0.0))
        self._holders.clear()
        self._toggled.clear()
        self._contrib.clear()
        self._values.clear()
