"""The action map as data: what a loaded, validated ``action_maps/<game-id>.toml`` holds.

Loading and validation live in :mod:`hindsight.actionmap.load`; the
translator reads only these frozen objects. Vocabulary:

- an **action** is a semantic name a track may contain (``jump``), with a kind:
  ``button`` (held / pressed), ``axis1d`` (one value, e.g. a throttle),
  ``axis2d`` (x, y in [-1, 1], y up, e.g. move) or ``delta2d`` (summed per frame, e.g. look);
- a **binding** ties inputs (``key:Space``, ``pad:south``) or a composite of buttons
  (WASD) to an action, with a mode for buttons and a deadzone/threshold for analog inputs;
- a **set** is a context (gameplay, menu, chat). ``record = "marker"`` sets keep only
  their span: every input in them is dropped. Switches move between sets.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType
from typing import Any

__all__ = [
    "SCHEMA",
    "ActionKind",
    "ACTION_KINDS",
    "BUTTON_MODES",
    "RECORD_KINDS",
    "ActionDef",
    "Binding",
    "Switch",
    "ActionSet",
    "MatchRule",
    "ActionMap",
]

SCHEMA = "hindsight.actionmap/1"


class ActionKind(StrEnum):
    """What an action's values are; the value is how a map's TOML spells it."""

    BUTTON = "button"  # held / pressed
    AXIS1D = "axis1d"  # one value, e.g. a throttle
    AXIS2D = "axis2d"  # x, y in [-1, 1], y up, e.g. move
    DELTA2D = "delta2d"  # summed per frame, e.g. look

    @property
    def is_axis(self) -> bool:
        return self in (ActionKind.AXIS1D, ActionKind.AXIS2D)


ACTION_KINDS = tuple(k.value for k in ActionKind)
BUTTON_MODES = ("hold", "press", "toggle")
RECORD_KINDS = ("actions", "marker")
COMPOSITE_PARTS = {
    ActionKind.AXIS2D: ("up", "down", "left", "right"),
    ActionKind.AXIS1D: ("positive", "negative"),
}


@dataclass(frozen=True)
class ActionDef:
    name: str
    kind: ActionKind
    label: str

    def __post_init__(self) -> None:
        # A kind given as the map's text ("button") becomes the enum member, so comparisons
        # and ``is_axis`` work on every action whoever built it.
        object.__setattr__(self, "kind", ActionKind(self.kind))


@dataclass(frozen=True)
class Binding:
    """Inputs bound to one action in one set.

    Exactly one of ``sources`` (inputs that each drive the action) or ``composite``
    (direction -> button input, e.g. up -> key:W) is non-empty.
    """

    action: str
    sources: tuple[str, ...] = ()
    composite: tuple[tuple[str, str], ...] = ()
    mode: str = "hold"  # buttons: hold | press (a tap per press) | toggle
    deadzone: float = 0.15  # sticks: radial deadzone, rescaled so output starts at 0
    threshold: float = 0.5  # a trigger driving a button counts as pressed at or above this


@dataclass(frozen=True)
class Switch:
    """Pressing any of ``on`` switches to set ``to``."""

    on: tuple[str, ...]
    to: str


@dataclass(frozen=True)
class ActionSet:
    name: str
    record: str = "actions"
    bindings: tuple[Binding, ...] = ()
    switches: tuple[Switch, ...] = ()


@dataclass(frozen=True)
class MatchRule:
    """How the game is recognised: its executable names (any case) or its Steam app id."""

    exe: tuple[str, ...] = ()
    steam_appid: int | None = None


@dataclass(frozen=True)
class ActionMap:
    """A validated action map; ``text`` is the exact TOML it was loaded from (bundles copy it)."""

    id: str
    version: str
    title: str
    match: MatchRule
    actions: tuple[ActionDef, ...]
    sets: tuple[ActionSet, ...]
    schema: str = SCHEMA
    overlay: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))
    source: str = "<string>"
    text: str = ""
    sha256: str = ""
    extends: str | None = None  # set on a user's local override: the id of the map it changes

    @property
    def initial_set(self) -> ActionSet:
        return self.sets[0]

    def action(self, name: str) -> ActionDef:
        for a in self.actions:
            if a.name == name:
                return a
        raise KeyError(name)

    def set_named(self, name: str) -> ActionSet:
        for s in self.sets:
            if s.name == name:
                return s
        raise KeyError(name)

    @property
    def ref(self) -> str:
        """``id@version``, as manifests name it."""
        return f"{self.id}@{self.version}"
