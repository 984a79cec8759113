"""What the translator emits: action edges and context changes, on the one clock.

These are the only input-derived facts that outlive the translator. They carry
action names and values, never a key, a character or a cursor position.
"""

from __future__ import annotations

from dataclasses import dataclass

from hindsight.actionmap.model import ActionMap
from hindsight.bundle.schema import EVENT_EDGES, UNFOCUSED_CONTEXT

__all__ = ["ActionEvent", "ContextEvent", "UNFOCUSED", "PRESS", "RELEASE", "VALUE"]

# Spelled once, in the clip format, because the track and the events file carry them.
PRESS, RELEASE, VALUE = EVENT_EDGES
UNFOCUSED = UNFOCUSED_CONTEXT  # no matched game has focus: everything is dropped


@dataclass(frozen=True, slots=True)
class ActionEvent:
    """An edge of one action: a button press/release, a new axis value, or a delta increment."""

    t_ns: int
    action: str
    edge: str
    x: float = 0.0
    y: float = 0.0


@dataclass(frozen=True, slots=True)
class ContextEvent:
    """From ``t_ns`` on, the player is in ``context`` (a set name or ``unfocused``) of ``amap``.

    ``recorded`` is False for marker sets and for ``unfocused``: inputs there are dropped.
    """

    t_ns: int
    context: str
    recorded: bool
    amap: ActionMap | None
