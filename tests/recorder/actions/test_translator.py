"""The translator: contexts, composites, modes, deadzones, thresholds, deltas, and what it drops."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hindsight.actionmap.load import parse_map
from hindsight.actionmap.names import EVDEV_KEYS
from hindsight.recorder.actions.events import (
    PRESS,
    RELEASE,
    UNFOCUSED,
    VALUE,
    ActionEvent,
    ContextEvent,
)
from hindsight.recorder.actions.translator import ActionTranslator, apply_deadzone
from hindsight.recorder.input.base import RawInput

MAP = parse_map(
    """
schema = "hindsight.actionmap/1"
id = "test.game"
version = "1.0.0"
title = "Test Game"
[match]
exe = ["hs-testgame"]
[actions]
move = { kind = "axis2d", label = "Move" }
look = { kind = "delta2d", label = "Look" }
jump = { kind = "button", label = "Jump" }
attack = { kind = "button", label = "Fire" }
crouch = { kind = "button", label = "Crouch" }
ping = { kind = "button", label = "Ping" }
throttle = { kind = "axis1d", label = "Throttle" }
[sets.gameplay]
bind = [
  { action = "move", composite = { up = "key:W", down = "key:S", left = "key:A", right = "key:D" } },
  { action = "move", source = "pad:left_stick", deadzone = 0.2 },
  { action = "look", source = "mouse:delta" },
  { action = "jump", source = ["key:Space", "pad:south"] },
  { action = "attack", source = ["mouse:left", "pad:right_trigger"], threshold = 0.6 },
  { action = "crouch", source = "key:C", mode = "toggle" },
  { action = "ping", source = "key:Z", mode = "press" },
  { action = "throttle", source = "pad:left_trigger" },
]
switch = [ { on = "key:T", to = "chat" }, { on = "key:Escape", to = "menu" } ]
[sets.menu]
bind = [ { action = "jump", source = "key:Enter" } ]
switch = [ { on = "key:Escape", to = "gameplay" } ]
[sets.chat]
record = "marker"
switch = [ { on = ["key:Enter", "key:Escape"], to = "gameplay" } ]
""",  # noqa: E501 - a TOML inline table is one line
    "test.toml",
)


class Recorder:
    def __init__(self) -> None:
        self.events: list[ActionEvent | ContextEvent] = []
        self.t = 1_000

    def __call__(self, event) -> None:
        self.events.append(event)

    def actions(self, name: str | None = None) -> list[tuple]:
        return [
            (e.action, e.edge, e.x, e.y)
            for e in self.events
            if isinstance(e, ActionEvent) and (name is None or e.action == name)
        ]


@pytest.fixture
def tr():
    rec = Recorder()
    translator = ActionTranslator(rec)
    translator.set_game(MAP, 0)
    return translator, rec


def key(name: str, down: bool, t: int = 10) -> RawInput:
    return RawInput(t, f"key:{name}", 1.0 if down else 0.0)


def test_buttons_hold_and_release(tr) -> None:
    t, rec = tr
    t.feed(key("Space", True))
    t.feed(RawInput(11, "pad:south", 1.0))  # a second holder: no second press
    t.feed(key("Space", False))
    assert rec.actions("jump") == [("jump", PRESS, 1.0, 0.0)]
    t.feed(RawInput(12, "pad:south", 0.0))
    assert rec.actions("jump")[-1] == ("jump", RELEASE, 0.0, 0.0)


def test_wasd_composite_is_a_unit_axis(tr) -> None:
    t, rec = tr
    t.feed(key("W", True))
    t.feed(key("D", True))
    t.feed(key("W", False))
    values = [(x, y) for _, edge, x, y in rec.actions("move")]
    assert values[0] == (0.0, 1.0)
    assert values[1] == pytest.approx((math.sqrt(0.5), math.sqrt(0.5)), abs=1e-5)
    assert values[2] == (1.0, 0.0)


def test_stick_deadzone_and_trigger_threshold(tr) -> None:
    t, rec = tr
    t.feed(RawInput(1, "pad:left_stick", 0.1, 0.1))  # inside the 0.2 deadzone
    assert rec.actions("move") == []
    t.feed(RawInput(2, "pad:left_stick", 1.0, 0.0))
    assert rec.actions("move")[-1][2:] == (1.0, 0.0)
    t.feed(RawInput(3, "pad:right_trigger", 0.5))
    assert rec.actions("attack") == []
    t.feed(RawInput(4, "pad:right_trigger", 0.7))
    t.feed(RawInput(5, "pad:right_trigger", 0.58))  # hysteresis: still held
    t.feed(RawInput(6, "pad:right_trigger", 0.3))
    assert [e[1] for e in rec.actions("attack")] == [PRESS, RELEASE]
    t.feed(RawInput(7, "pad:left_trigger", 0.25))
    assert rec.actions("throttle")[-1][2] == pytest.approx(0.25)


def test_toggle_and_press_modes(tr) -> None:
    t, rec = tr
    for down in (True, False, True, False):
        t.feed(key("C", down))
    assert [e[1] for e in rec.actions("crouch")] == [PRESS, RELEASE]
    t.feed(key("Z", True))
    t.feed(key("Z", False))
    assert [e[1] for e in rec.actions("ping")] == [PRESS, RELEASE]


def test_deltas_pass_through_summed_later(tr) -> None:
    t, rec = tr
    t.feed(RawInput(1, "mouse:delta", 3.0, -2.0))
    t.feed(RawInput(2, "mouse:delta", 1.0, 1.0))
    assert rec.actions("look") == [("look", VALUE, 3.0, -2.0), ("look", VALUE, 1.0, 1.0)]


def test_chat_is_a_marker_and_everything_in_it_is_dropped(tr) -> None:
    t, rec = tr
    t.feed(key("W", True))
    t.feed(key("T", True))  # opens chat: held actions end
    contexts = [e.context for e in rec.events if isinstance(e, ContextEvent)]
    assert contexts[-1] == "chat"
    before = len(rec.actions())
    for letter in "HELLOSECRET":
        t.feed(key(letter, True))
        t.feed(key(letter, False))
    t.feed(key("Space", True))
    assert len(rec.actions()) == before
    assert t.counters.redacted >= 22
    t.feed(key("Enter", True))
    assert [e.context for e in rec.events if isinstance(e, ContextEvent)][-1] == "gameplay"
    assert rec.actions("move")[-1][2:] == (0.0, 0.0)


def test_unfocused_and_unmapped_are_dropped(tr) -> None:
    t, rec = tr
    t.feed(key("K", True))
    assert t.counters.unmapped == 1 and rec.actions() == []
    t.feed(key("Space", True))
    t.set_game(None, 20)
    assert rec.actions("jump")[-1][1] == RELEASE  # focus loss ends what was held
    assert isinstance(rec.events[-1], ContextEvent) and rec.events[-1].context == UNFOCUSED
    t.feed(key("Space", False, 21))
    t.feed(key("W", True, 22))
    assert t.counters.unfocused == 2
    assert t.context == UNFOCUSED and t.game is None


def test_menu_set_uses_its_own_bindings(tr) -> None:
    t, rec = tr
    t.feed(key("Escape", True))
    t.feed(key("Escape", False))
    t.feed(key("Enter", True))
    assert rec.actions("jump") == [("jump", PRESS, 1.0, 0.0)]
    t.feed(key("W", True))
    assert rec.actions("move") == []


def test_deadzone_is_radial_and_rescaled() -> None:
    assert apply_deadzone(0.1, 0.1, 0.2) == (0.0, 0.0)
    x, y = apply_deadzone(1.0, 0.0, 0.2)
    assert (x, y) == (1.0, 0.0)
    x, y = apply_deadzone(0.6, 0.0, 0.2)
    assert x == pytest.approx(0.5)


INPUTS = [f"key:{n}" for n in EVDEV_KEYS.values()] + [
    "mouse:left",
    "mouse:right",
    "mouse:delta",
    "pad:south",
    "pad:left_stick",
    "pad:right_trigger",
    "pad:left_trigger",
]


@st.composite
def raw_inputs(draw):
    name = draw(st.sampled_from(INPUTS))
    t = draw(st.integers(min_value=0, max_value=10**9))
    if name in ("mouse:delta",):
        return RawInput(t, name, draw(st.floats(-500, 500)), draw(st.floats(-500, 500)))
    if name.endswith("stick"):
        return RawInput(t, name, draw(st.floats(-1, 1)), draw(st.floats(-1, 1)))
    if name.endswith("trigger"):
        return RawInput(t, name, draw(st.floats(0, 1)))
    return RawInput(t, name, draw(st.sampled_from([0.0, 1.0])))


@settings(max_examples=300)
@given(st.lists(raw_inputs(), max_size=200), st.lists(st.booleans(), max_size=5))
def test_any_input_stream_keeps_the_invariants(
    stream: list[RawInput], focus_flips: list[bool]
) -> None:
    rec = Recorder()
    t = ActionTranslator(rec)
    t.set_game(MAP, 0)
    flips = iter(focus_flips)
    for i, raw in enumerate(stream):
        if i % 40 == 39:
            t.set_game(MAP if next(flips, True) else None, raw.t_ns)
        t.feed(raw)
    held: dict[str, bool] = {}
    context = "gameplay"
    kinds = {a.name: a.kind for a in MAP.actions}
    for event in rec.events:
        if isinstance(event, ContextEvent):
            context = event.context
            continue
        # Only declared actions, only in recorded contexts
        # (a release at a switch is stamped before it).
        assert event.action in kinds
        assert context in ("gameplay", "menu")
        if kinds[event.action] == "button":
            # Press and release alternate per action.
            assert held.get(event.action, False) == (event.edge == RELEASE)
            held[event.action] = event.edge == PRESS
        elif kinds[event.action] in ("axis1d", "axis2d"):
            assert event.edge == VALUE
            assert math.hypot(event.x, event.y) <= 1.0 + 1e-6
        # Nothing raw survives: events carry action names and numbers only.
        assert not hasattr(event, "name")
    c = t.counters
    assert c.translated + c.unmapped + c.redacted + c.unfocused >= len(stream) - c.context_switches
