"""Every map shipped in hindsight/action_maps loads, and follows the conventions map
authors are asked to.
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest

from hindsight.actionmap.load import apply_override, dump_map, load_map, parse_map
from hindsight.actionmap.model import ActionMap
from hindsight.actionmap.names import input_kind
from hindsight.actionmap.registry import SHIPPED_DIR

FILES = sorted(SHIPPED_DIR.glob("*.toml"))

# id -> (an exe it must match, its Steam app id or None)
EXPECTED = {
    "valve.counter-strike-2": ("cs2.exe", 730),
    "riot.valorant": ("VALORANT-Win64-Shipping.exe", None),
    "epic.fortnite": ("FortniteClient-Win64-Shipping.exe", None),
    "mojang.minecraft-java": ("javaw.exe", None),
    "respawn.apex-legends": ("r5apex.exe", 1172470),
    "blizzard.overwatch-2": ("Overwatch.exe", 2357570),
    "psyonix.rocket-league": ("RocketLeague.exe", 252950),
    "riot.league-of-legends": ("League of Legends.exe", None),
    "fromsoftware.elden-ring": ("eldenring.exe", 1245620),
    "rockstar.gta-v": ("GTA5.exe", 271590),
    "ubisoft.rainbow-six-siege": ("RainbowSix.exe", 359550),
    "activision.call-of-duty": ("cod.exe", 1938090),
    # Not a game: the window `hindsight demo` plays (hindsight/recorder/demo_game.py).
    "hindsight.demo-game": ("hs-demo-game", None),
}
# The action that moves the player: Rocket League steers a car; League of Legends moves by
# right-clicking (a button), so it has no movement axis and no mouse look.
MOVE_ACTION = {"psyonix.rocket-league": "steer", "riot.league-of-legends": None}
# Elden Ring has no text chat; its only text entry (multiplayer passwords) is in the menu.
NO_TEXT_CHAT = {"fromsoftware.elden-ring"}


@pytest.fixture(params=FILES, ids=[p.stem for p in FILES])
def shipped(request: pytest.FixtureRequest) -> ActionMap:
    return load_map(request.param)


def test_the_twelve_games_and_the_demo_are_shipped() -> None:
    assert sorted(p.stem for p in FILES) == sorted(EXPECTED)


def test_identity_and_match(shipped: ActionMap) -> None:
    assert Path(shipped.source).stem == shipped.id
    assert shipped.version == "1.0.0" and shipped.title
    exe, appid = EXPECTED[shipped.id]
    assert exe in shipped.match.exe
    assert shipped.match.steam_appid == appid


def test_gameplay_first_and_every_context_has_a_way_back(shipped: ActionMap) -> None:
    assert shipped.initial_set.name == "gameplay" and shipped.initial_set.record == "actions"
    for s in shipped.sets[1:]:
        assert any(w.to == "gameplay" for w in s.switches), f"no way back from {s.name}"
        assert any(w.to == s.name for w in shipped.initial_set.switches), (
            f"{s.name} cannot be entered"
        )


def test_text_entry_is_a_marker_set_reachable_from_gameplay(shipped: ActionMap) -> None:
    targets = {w.to for w in shipped.initial_set.switches}
    assert any(shipped.set_named(t).record == "marker" for t in targets)
    if shipped.id not in NO_TEXT_CHAT:
        assert shipped.set_named("chat").record == "marker" and "chat" in targets
        back = {i for w in shipped.set_named("chat").switches if w.to == "gameplay" for i in w.on}
        assert {"key:Enter", "key:Escape"} <= back


def test_movement_uses_a_composite_and_the_left_stick(shipped: ActionMap) -> None:
    move = MOVE_ACTION.get(shipped.id, "move")
    gameplay = shipped.initial_set
    if move is None:
        assert not any(
            a.kind in ("axis2d", "delta2d") and a.name in ("move", "look") for a in shipped.actions
        )
        return
    assert shipped.action(move).kind == "axis2d"
    binds = [b for b in gameplay.bindings if b.action == move]
    assert any(b.composite for b in binds)
    assert any("pad:left_stick" in b.sources for b in binds)


def test_look_is_the_mouse_where_the_mouse_turns_the_camera(shipped: ActionMap) -> None:
    if shipped.id in MOVE_ACTION:
        return
    assert shipped.action("look").kind == "delta2d"
    assert any(
        b.action == "look" and b.sources == ("mouse:delta",) for b in shipped.initial_set.bindings
    )


def test_every_action_is_bound_and_chat_drops_everything(shipped: ActionMap) -> None:
    bound = {b.action for s in shipped.sets for b in s.bindings}
    assert bound == {a.name for a in shipped.actions}
    for s in shipped.sets:
        if s.record == "marker":
            assert s.bindings == ()


def test_overlay_template(shipped: ActionMap) -> None:
    assert shipped.overlay["template"] in ("keyboard_mouse", "controller")


def test_round_trips_through_dump(shipped: ActionMap) -> None:
    again = parse_map(dump_map(shipped))
    strip = {"text": "", "sha256": "", "source": ""}
    assert dataclasses.replace(again, **strip) == dataclasses.replace(shipped, **strip)


def test_rocket_league_is_controller_first() -> None:
    m = load_map(SHIPPED_DIR / "psyonix.rocket-league.toml")
    assert m.overlay["template"] == "controller"
    binds = m.initial_set.bindings
    assert m.action("throttle").kind == m.action("brake").kind == "axis1d"
    assert any(b.action == "throttle" and b.sources == ("pad:right_trigger",) for b in binds)
    assert any(b.action == "brake" and b.sources == ("pad:left_trigger",) for b in binds)
    for name, pad in (
        ("boost", "pad:east"),
        ("jump", "pad:south"),
        ("powerslide", "pad:west"),
        ("ball_cam", "pad:north"),
    ):
        assert any(b.action == name and pad in b.sources for b in binds)


def test_league_moves_with_right_click() -> None:
    m = load_map(SHIPPED_DIR / "riot.league-of-legends.toml")
    binds = {b.action: b for b in m.initial_set.bindings}
    assert m.action("move_click").kind == "button" and binds["move_click"].sources == (
        "mouse:right",
    )
    expected = {
        "attack_move": "key:A",
        "ability_q": "key:Q",
        "ability_w": "key:W",
        "ability_e": "key:E",
        "ability_r": "key:R",
        "summoner_d": "key:D",
        "summoner_f": "key:F",
        "recall": "key:B",
        "center_camera": "key:Space",
        **{f"item_{i}": f"key:{i}" for i in range(1, 8)},
    }
    for action, key in expected.items():
        assert binds[action].sources == (key,)
    assert not any(a.kind == "delta2d" for a in m.actions)
    assert all(input_kind(s) != "delta" for b in m.initial_set.bindings for s in b.sources)


@pytest.mark.parametrize(
    ("game", "keys"),
    [
        ("valve.counter-strike-2", {"key:Y", "key:U"}),
        ("riot.valorant", {"key:Enter"}),
        ("mojang.minecraft-java", {"key:T", "key:Slash"}),
        ("riot.league-of-legends", {"key:Enter"}),
    ],
)
def test_real_chat_keys(game: str, keys: set[str]) -> None:
    m = load_map(SHIPPED_DIR / f"{game}.toml")
    opens = {i for w in m.initial_set.switches if w.to == "chat" for i in w.on}
    assert opens == keys


# --- SCHEMA.md stays true ------------------------------------------------------------------------

SCHEMA_MD = (SHIPPED_DIR / "SCHEMA.md").read_text(encoding="utf-8")


def test_schema_md_names_only_real_inputs() -> None:
    names = re.findall(r"`((?:key|mouse|pad):[A-Za-z0-9_]+)`", SCHEMA_MD)
    assert len(names) > 80
    assert [n for n in names if input_kind(n) is None] == []


def test_schema_md_examples_load() -> None:
    blocks = re.findall(r"```toml\n(.*?)```", SCHEMA_MD, flags=re.DOTALL)
    full, override = blocks
    example = parse_map(full, "SCHEMA.md")
    assert example.initial_set.name == "gameplay"
    cs2 = load_map(SHIPPED_DIR / "valve.counter-strike-2.toml")
    merged = apply_override(cs2, override, "SCHEMA.md")
    assert merged.extends == cs2.id
