"""Templates rendered offscreen: the right regions light up for given actions, the rest
stays dark.
"""

from __future__ import annotations

import numpy as np
import pytest

from hindsight.overlay.errors import OverlayError
from hindsight.overlay.model.state import ActionFrame, HistoryEntry
from hindsight.overlay.model.theme import OverlayStyle
from hindsight.overlay.qt.compositor import qimage_rgba, render_image
from hindsight.overlay.qt.template import create_template
from tests.overlay.helpers import is_accent, probe_box, shipped_layout

CS2 = shipped_layout("valve.counter-strike-2")


def lit_regions(template, frame) -> set[str]:
    rgba = qimage_rgba(render_image(template, frame))
    rgb = rgba[..., :3]

    # Key caps: a patch clear of the label;
    # mouse parts: their middle (their corners are rounded off).
    def box(name, rect):
        return probe_box(
            rect, (0.3, 0.45, 0.7, 0.8) if name.startswith("mouse:") else (0.08, 0.12, 0.3, 0.35)
        )

    return {name for name, rect in template.regions().items() if is_accent(rgb, box(name, rect))}


@pytest.fixture
def keyboard(qt_app):
    return create_template("keyboard_mouse", CS2, OverlayStyle(), 1080)


def frame(**kw) -> ActionFrame:
    return ActionFrame(context=kw.pop("context", "gameplay"), valid=True, **kw)


def test_jump_lights_space_and_nothing_else(keyboard) -> None:
    assert lit_regions(keyboard, frame(lit=frozenset({"jump"}))) == {"key:Space"}
    assert lit_regions(keyboard, frame()) == set()


def test_movement_lights_direction_keys_by_axis_sign(keyboard) -> None:
    assert lit_regions(keyboard, frame(axes={"move": (0.0, 1.0)})) == {"key:W"}
    assert lit_regions(keyboard, frame(axes={"move": (-0.71, -0.71)})) == {"key:A", "key:S"}
    assert lit_regions(keyboard, frame(axes={"move": (0.2, 0.1)})) == set()  # inside the dead band


def test_mouse_buttons_and_other_contexts(keyboard) -> None:
    assert lit_regions(keyboard, frame(lit=frozenset({"attack", "crouch"}))) == {
        "mouse:left",
        "key:LeftCtrl",
    }
    assert lit_regions(keyboard, frame(lit=frozenset({"attack_secondary"}))) == {"mouse:right"}
    # The same actions in a context without these bindings (chat, menu) light nothing.
    assert lit_regions(keyboard, frame(context="chat", lit=frozenset({"jump", "attack"}))) == set()


def test_look_needle_moves_with_look_speed(keyboard) -> None:
    still = qimage_rgba(render_image(keyboard, frame()))
    moving = qimage_rgba(render_image(keyboard, frame(look={"look": (2000.0, 0.0)})))
    x0, y0, x1, y1 = (round(v) for v in keyboard.regions()["mouse:delta"].getCoords())
    diff = np.abs(moving.astype(int) - still.astype(int))[..., :3].sum(axis=2) > 60
    assert diff[y0:y1, x0:x1].sum() > 20  # the needle is drawn in the dial ...
    assert diff.sum() == diff[y0 - 8 : y1 + 8, x0 - 8 : x1 + 8].sum()  # ... and nowhere else
    assert keyboard.state_key(frame()) != keyboard.state_key(frame(look={"look": (2000.0, 0.0)}))


def test_controller_lights_pad_parts(qt_app) -> None:
    pad = create_template("controller", CS2, OverlayStyle(), 1080)
    assert lit_regions(pad, frame(lit=frozenset({"jump"}))) == {"pad:south"}
    assert lit_regions(pad, frame(lit=frozenset({"reload", "use"}))) == {
        "pad:west",
        "pad:left_shoulder",
    }
    assert lit_regions(pad, frame()) == set()
    # A stick's thumb follows its axis action (move on the left stick).
    still = qimage_rgba(render_image(pad, frame()))
    pushed = qimage_rgba(render_image(pad, frame(axes={"move": (1.0, 0.0)})))
    x0, y0, x1, y1 = (round(v) for v in pad.regions()["pad:left_stick"].getCoords())
    assert np.abs(pushed.astype(int) - still.astype(int))[y0:y1, x0:x1].sum() > 0
    # A button action on a trigger fills it while lit.
    assert "pad:right_trigger" not in lit_regions(pad, frame())
    fired = qimage_rgba(render_image(pad, frame(lit=frozenset({"attack"}))))[..., :3]
    x0, y0, x1, y1 = (round(v) for v in pad.regions()["pad:right_trigger"].getCoords())
    assert is_accent(fired, (x0 + 2, y1 - 6, x0 + 8, y1 - 2))


def test_apm_and_history_draw_their_values(qt_app) -> None:
    apm = create_template("apm", CS2, OverlayStyle(), 720)
    a = qimage_rgba(render_image(apm, frame(apm=0)))
    b = qimage_rgba(render_image(apm, frame(apm=240)))
    assert (a != b).any() and apm.state_key(frame(apm=240)) != apm.state_key(frame(apm=0))
    assert apm.state_key(frame(apm=240)) == apm.state_key(frame(apm=240, lit=frozenset({"jump"})))
    history = create_template("history", CS2, OverlayStyle(), 1080)
    entries = (HistoryEntry("jump", "", 80, True), HistoryEntry("move", "\u2191", 400, False))
    img = qimage_rgba(render_image(history, frame(history=entries)))
    rows = history.regions()
    assert is_accent(
        img[..., :3], probe_box(rows["row:0"], (0.002, 0.2, 0.012, 0.8))
    )  # active entry's bar
    empty = qimage_rgba(render_image(history, frame()))
    assert (img != empty).any()


def test_size_follows_the_video_and_style_is_validated(qt_app) -> None:
    small = create_template("keyboard_mouse", CS2, OverlayStyle(), 720).size()
    big = create_template("keyboard_mouse", CS2, OverlayStyle(), 1080).size()
    assert abs(big[0] / small[0] - 1.5) < 0.05 and all(v % 2 == 0 for v in small + big)
    with pytest.raises(OverlayError):
        OverlayStyle(position="middle")
    with pytest.raises(OverlayError):
        OverlayStyle(opacity=0)
    with pytest.raises(OverlayError):
        create_template("piano", CS2, OverlayStyle(), 1080)
    assert OverlayStyle(position="top-right", margin=0.05).place((300, 200), (1920, 1080)) == (
        1566,
        54,
    )
