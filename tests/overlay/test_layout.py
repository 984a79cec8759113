"""Which caps light for which action: the game's default binding from the shipped map,
nothing else.
"""

from __future__ import annotations

import json

from hindsight.actionmap.load import apply_override, load_map
from hindsight.actionmap.registry import SHIPPED_DIR
from hindsight.overlay.model.layout import build_layout, layout_from_json
from tests.overlay.helpers import shipped_layout


def lights_of(layout, name):
    return {
        (li.context, li.action, li.axis, li.sign)
        for k in layout.keys
        if k.name == name
        for li in k.lights
    }


def test_cs2_default_binding_lights_its_keys() -> None:
    layout = shipped_layout("valve.counter-strike-2")
    assert lights_of(layout, "Space") == {("gameplay", "jump", None, 1)}
    assert lights_of(layout, "W") == {("gameplay", "move", "y", 1)}
    assert lights_of(layout, "A") == {("gameplay", "move", "x", -1)}
    assert lights_of(layout, "LeftCtrl") == {("gameplay", "crouch", None, 1)}
    # Switch keys (chat, menu) are not actions: never lit, Escape/Y/U are no bound caps.
    for name in ("Y", "U", "Escape", "Grave", "Enter"):
        assert lights_of(layout, name) == set()
    assert {p.name for p in layout.mouse} >= {
        "left",
        "right",
        "middle",
        "wheel_up",
        "wheel_down",
        "delta",
    }
    south = {li.action for p in layout.pad if p.name == "south" for li in p.lights}
    assert south == {"jump"}
    assert layout.template == "keyboard_mouse"


def test_only_the_first_input_of_a_binding_is_the_default() -> None:
    # LoL binds an action to two keys at most in one binding; any extra source never lights.
    amap = load_map(SHIPPED_DIR / "valve.counter-strike-2.toml")
    layout = build_layout(amap)
    lit_caps = [k.name for k in layout.keys if any(li.action == "jump" for li in k.lights)]
    assert lit_caps == ["Space"]


def test_a_local_rebinding_does_not_change_the_overlay_keys() -> None:
    base = load_map(SHIPPED_DIR / "valve.counter-strike-2.toml")
    override = (
        'schema = "hindsight.actionmap/1"\nextends = "valve.counter-strike-2"\n[sets.gameplay]\n'
        'bind = [ { action = "jump", source = "key:V" } ]\n'
    )
    mine = apply_override(base, override, "mine.toml")
    assert lights_of(build_layout(mine), "V")  # the override itself would light V ...
    assert lights_of(
        build_layout(base), "Space"
    )  # ... which is why the server lays out the base map


def test_far_keys_go_to_the_extra_row_and_json_round_trips() -> None:
    layout = shipped_layout("epic.fortnite")
    extra = [k.name for k in layout.keys if k.y == 0.0]
    assert extra[:5] == ["F1", "F2", "F3", "F4", "F5"]
    data = json.loads(json.dumps(layout.to_json()))
    back = layout_from_json(data)
    assert [(k.x, k.y, k.lights) for k in back.keys] == [(k.x, k.y, k.lights) for k in layout.keys]
    assert back.actions == layout.actions and back.mouse == layout.mouse and back.pad == layout.pad
