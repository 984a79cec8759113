"""The per-frame state builders: tap visibility, history, APM; track and live agree on the rules."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from hindsight.actionmap.model import ActionKind
from hindsight.bundle import schema as col
from hindsight.overlay.model.layout import ActionInfo
from hindsight.overlay.model.state import (
    ActionFrame,
    LiveActionState,
    StateConfig,
    TrackStates,
    direction_of,
)
from tests.overlay.helpers import expected_lit

ACTIONS = (
    ActionInfo("jump", ActionKind.BUTTON, "Jump"),
    ActionInfo("fire", ActionKind.BUTTON, "Fire"),
    ActionInfo("move", ActionKind.AXIS2D, "Move"),
    ActionInfo("look", ActionKind.DELTA2D, "Look"),
)
JUMP, JUMP_N = col.button_columns("jump")


@st.composite
def tracks(draw):
    """A consistent button track: presses (n) only on held frames, some frames invalid."""
    n = draw(st.integers(1, 120))
    held = np.array(draw(st.lists(st.booleans(), min_size=n, max_size=n)))
    presses = np.array(draw(st.lists(st.integers(0, 3), min_size=n, max_size=n)), dtype=np.int64)
    # A press edge happens on a held frame; a rising edge of held always has a press.
    presses = np.where(held, presses, 0)
    rising = held & ~np.concatenate([[False], held[:-1]])
    presses = np.where(rising & (presses == 0), 1, presses)
    valid = np.array(draw(st.lists(st.booleans(), min_size=n, max_size=n))) | draw(st.booleans())
    fps = draw(st.sampled_from([30, 60, 144]))
    return held & valid, np.where(valid, presses, 0), valid, fps


def columns(held, presses, valid):
    n = len(held)
    return {
        col.FRAME_INDEX: np.arange(n),
        col.VALID: valid,
        col.CONTEXT: np.array(["gameplay"] * n, dtype=object),
        JUMP: held,
        JUMP_N: presses,
    }


@settings(max_examples=150, deadline=None)
@given(tracks())
def test_lit_is_held_or_a_recent_press_and_history_follows_presses(track) -> None:
    held, presses, valid, fps = track
    config = StateConfig(min_visible_ms=100)
    states = TrackStates(columns(held, presses, valid), ACTIONS, fps, config)
    keep = math.ceil(100 * fps / 1000)
    want = expected_lit(held, presses, keep)
    names, lit = states.lit_matrix()
    assert names == ["jump", "fire"]
    assert (lit[:, 0] == want).all()
    assert not lit[:, 1].any()  # no column: never lit
    # Every frame that is lit shows it; every unlit frame does not.
    for t in range(len(held)):
        frame = states.frame(t)
        assert ("jump" in frame.lit) == bool(want[t])
        assert frame.valid == bool(valid[t])
        # History: one entry per press so far (newest first), never longer than the config.
        started = int(presses[: t + 1].sum()) + int(held[0] and presses[0] == 0)
        assert len(frame.history) == min(started, config.history_len)
        assert all(e.duration_ms >= 0 for e in frame.history)
        if frame.history and held[t] and presses[t] > 0:
            assert frame.history[0].active == (
                t + 1 < len(held) and held[t + 1] and presses[t + 1] == 0
            ) or frame.history[0].duration_ms == round(1000 / fps)


def test_sub_frame_tap_stays_visible_for_the_minimum_time() -> None:
    n = 20
    held = np.zeros(n, bool)
    presses = np.zeros(n, np.int64)
    held[5], presses[5] = True, 2  # two taps inside one frame
    states = TrackStates(
        columns(held, presses, np.ones(n, bool)), ACTIONS, 60, StateConfig(min_visible_ms=100)
    )
    lit = [t for t in range(n) if "jump" in states.frame(t).lit]
    assert lit == list(range(5, 11))  # 100 ms at 60 fps = 6 frames
    assert [e.action for e in states.frame(6).history] == ["jump", "jump"]
    assert states.frame(19).apm == round(2 * 60 / 5)  # 2 actions over half the 10 s window


def test_axis_direction_and_look_speed() -> None:
    n = 12
    move_x, move_y = col.axis_columns("move", 2)
    look_dx, look_dy = col.delta_columns("look")
    cols = {
        col.FRAME_INDEX: np.arange(n),
        col.VALID: np.ones(n, bool),
        col.CONTEXT: np.array(["gameplay"] * n, object),
        move_x: np.r_[np.zeros(4), np.ones(8)].astype(np.float32),
        move_y: np.zeros(n, np.float32),
        look_dx: np.full(n, 10.0, np.float32),
        look_dy: np.zeros(n, np.float32),
    }
    states = TrackStates(cols, ACTIONS, 60, StateConfig(look_window_ms=100))
    frame = states.frame(8)
    assert frame.axes["move"] == (1.0, 0.0)
    assert frame.look["look"][0] == 600.0  # 10 per frame at 60 fps
    assert frame.history[0].action == "move" and frame.history[0].direction == "\u2192"
    assert direction_of(0.0, 0.2) == 0 and direction_of(0.0, 1.0) == 3


def test_live_state_follows_events() -> None:
    live = LiveActionState(ACTIONS, StateConfig(min_visible_ms=100, apm_window_s=10))
    live.apply("context", {"context": "gameplay", "recorded": True}, 0)
    live.apply("action", {"action": "jump", "edge": "press"}, 1000)
    live.apply("action", {"action": "jump", "edge": "release"}, 1005)  # a 5 ms tap
    assert "jump" in live.frame(1050).lit and "jump" not in live.frame(1200).lit
    live.apply("action", {"action": "fire", "edge": "press"}, 1100)
    live.apply("action", {"action": "move", "edge": "value", "x": 0.0, "y": 1.0}, 1150)
    live.apply("action", {"action": "look", "edge": "value", "x": 30.0, "y": -5.0}, 1160)
    frame: ActionFrame = live.frame(1200)
    assert frame.lit == {"fire"} and frame.axes["move"] == (0.0, 1.0)
    assert frame.look["look"] == (300.0, -50.0)
    assert [(e.action, e.direction, e.active) for e in frame.history] == [
        ("move", "\u2191", True),
        ("fire", "", True),
        ("jump", "", False),
    ]
    assert frame.history[2].duration_ms == 5
    assert frame.apm == round(3 * 60 / 10)
    live.apply_state({"context": "chat", "recorded": False, "held": [], "values": {}}, 1300)
    assert live.frame(1300).context == "chat" and not live.frame(1300).valid
