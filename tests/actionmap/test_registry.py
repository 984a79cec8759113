"""Finding maps: load order, user replacements, local overrides, broken files, matching
a process.
"""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from hindsight.actionmap.load import load_map
from hindsight.actionmap.model import Binding
from hindsight.actionmap.registry import SHIPPED_DIR, MapRegistry, user_maps_dir
from hindsight.recorder.errors import ConfigError

SHIPPED_IDS = sorted(p.stem for p in SHIPPED_DIR.glob("*.toml"))
CS2 = SHIPPED_DIR / "valve.counter-strike-2.toml"

OVERRIDE = """\
schema = "hindsight.actionmap/1"
extends = "valve.counter-strike-2"

[sets.gameplay]
bind = [ { action = "jump", source = ["key:Space", "mouse:wheel_down"] } ]
"""


@pytest.fixture
def user_dir(tmp_path: Path) -> Path:
    d = tmp_path / "user-maps"
    d.mkdir()
    return d


def test_shipped_maps_load_sorted(user_dir: Path) -> None:
    reg = MapRegistry(user_dir=user_dir)
    assert [m.id for m in reg.maps()] == SHIPPED_IDS and reg.errors == []
    assert reg.get("riot.valorant").title == "Valorant"
    assert "riot.valorant" in reg and len(reg) == len(SHIPPED_IDS)


def test_default_user_dir_is_in_the_config_folder(isolated_user_dirs: dict[str, Path]) -> None:
    assert user_maps_dir() == isolated_user_dirs["config"] / "action_maps"
    user_maps_dir().mkdir(parents=True)
    (user_maps_dir() / "mine.toml").write_text(
        CS2.read_text().replace('"Counter-Strike 2"', '"Mine"')
    )
    assert MapRegistry().get("valve.counter-strike-2").title == "Mine"


def test_unknown_id_is_a_config_error(user_dir: Path) -> None:
    with pytest.raises(ConfigError) as info:
        MapRegistry(user_dir=user_dir).get("valve.dota-2")
    assert str(info.value) == "unknown game id 'valve.dota-2' (see `hindsight maps list`)"


def test_user_map_with_the_same_id_replaces_the_shipped_one(user_dir: Path) -> None:
    path = user_dir / "my-cs2.toml"
    path.write_text(CS2.read_text().replace('version = "1.0.0"', 'version = "1.1.0-mine"'))
    reg = MapRegistry(user_dir=user_dir)
    m = reg.get("valve.counter-strike-2")
    assert m.version == "1.1.0-mine" and m.source == str(path)
    assert len(reg.maps()) == len(SHIPPED_IDS)


def test_later_dirs_win_and_missing_dirs(user_dir: Path, tmp_path: Path) -> None:
    (user_dir / "a.toml").write_text(
        CS2.read_text().replace('title = "Counter-Strike 2"', 'title = "user"')
    )
    extra = tmp_path / "extra"
    extra.mkdir()
    (extra / "b.toml").write_text(
        CS2.read_text().replace('title = "Counter-Strike 2"', 'title = "extra"')
    )
    assert MapRegistry([extra], user_dir=user_dir).get("valve.counter-strike-2").title == "extra"
    assert (
        MapRegistry(user_dir=tmp_path / "absent").errors == []
    )  # the user folder may not exist yet
    with pytest.raises(ConfigError, match="does not exist"):
        MapRegistry([tmp_path / "absent"], user_dir=user_dir)
    assert MapRegistry(include_shipped=False, user_dir=user_dir).maps()[0].title == "user"


def test_override_changes_only_the_named_action(user_dir: Path) -> None:
    (user_dir / "cs2-keys.toml").write_text(OVERRIDE)
    reg = MapRegistry(user_dir=user_dir)
    base, merged = load_map(CS2), reg.get("valve.counter-strike-2")
    assert merged.extends == "valve.counter-strike-2" and merged.source == str(
        user_dir / "cs2-keys.toml"
    )
    assert (merged.id, merged.version, merged.title, merged.sha256) == (
        base.id,
        base.version,
        base.title,
        base.sha256,
    )
    old, new = base.initial_set.bindings, merged.initial_set.bindings
    changed = [i for i, (a, b) in enumerate(zip(old, new, strict=True)) if a != b]
    assert len(old) == len(new) and len(changed) == 1
    assert new[changed[0]] == Binding("jump", sources=("key:Space", "mouse:wheel_down"))
    assert merged.sets[1:] == base.sets[1:]
    assert reg.base("valve.counter-strike-2").extends is None


def test_override_applies_to_a_replaced_map_whatever_the_file_order(user_dir: Path) -> None:
    (user_dir / "0-override.toml").write_text(OVERRIDE)  # sorts before the map it extends
    (user_dir / "z-map.toml").write_text(
        CS2.read_text().replace('title = "Counter-Strike 2"', 'title = "Mine"')
    )
    m = MapRegistry(user_dir=user_dir).get("valve.counter-strike-2")
    assert m.title == "Mine" and m.extends == "valve.counter-strike-2"


def test_broken_files_are_reported_and_the_rest_load(
    user_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    (user_dir / "broken.toml").write_text(CS2.read_text().replace('"key:Space"', '"key:Spcae"'))
    (user_dir / "not-toml.toml").write_text("this is [not toml")
    (user_dir / "orphan.toml").write_text(
        OVERRIDE.replace("valve.counter-strike-2", "valve.dota-2")
    )
    (user_dir / "bad-override.toml").write_text(OVERRIDE.replace('"jump"', '"jmp"'))
    (user_dir / "notes.txt").write_text("not a map")
    with caplog.at_level(logging.WARNING):
        reg = MapRegistry(user_dir=user_dir)
    assert [m.id for m in reg.maps()] == SHIPPED_IDS
    assert reg.get("valve.counter-strike-2").extends is None  # the broken override was not applied
    messages = sorted(str(e) for e in reg.errors)
    assert len(messages) == 4
    assert (
        f"{user_dir / 'broken.toml'}: sets.gameplay.bind[6].source[0]: "
        "unknown input name 'key:Spcae'"
    ) in messages[1]
    assert messages[2].startswith(f"{user_dir / 'not-toml.toml'}: not valid TOML")
    assert messages[3] == (
        f"{user_dir / 'orphan.toml'}: extends: extends unknown map 'valve.dota-2' "
        "(see `hindsight maps list`)"
    )
    assert "used but not declared" in messages[0]
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 4 and all("\n" not in w for w in warnings)


def test_match_by_exe_ignores_case_and_exe_suffix(user_dir: Path) -> None:
    reg = MapRegistry(user_dir=user_dir)
    for names in (["CS2.EXE"], ["cs2"], ["Cs2.exe"], ["bash", "cs2.exe"], ["C:\\Games\\cs2.exe"]):
        assert reg.match(names).id == "valve.counter-strike-2", names
    assert reg.match(["r5apex_dx12"]).id == "respawn.apex-legends"
    assert reg.match(["league of legends.exe"]).id == "riot.league-of-legends"
    assert reg.match(["java"]).id == "mojang.minecraft-java"


def test_match_truncated_linux_process_names(user_dir: Path) -> None:
    reg = MapRegistry(user_dir=user_dir)
    assert reg.match(["FortniteClient-"]).id == "epic.fortnite"
    assert reg.match(["League of Legen"]).id == "riot.league-of-legends"
    assert reg.match(["FortniteClient"]) is None  # not a 15-character cut: no guessing


def test_steam_appid_wins_and_unknown_is_none(user_dir: Path) -> None:
    reg = MapRegistry(user_dir=user_dir)
    assert reg.match(["javaw.exe"], steam_appid=730).id == "valve.counter-strike-2"
    assert reg.match([], steam_appid=252950).id == "psyonix.rocket-league"
    assert reg.match(["RocketLeague.exe"], steam_appid=999999).id == "psyonix.rocket-league"
    assert reg.match(["firefox", "bash"]) is None
    assert reg.match([], steam_appid=999999) is None
    assert reg.match(["", "  "]) is None


def test_a_user_map_wins_a_shared_exe(user_dir: Path) -> None:
    mine = CS2.read_text().replace('id = "valve.counter-strike-2"', 'id = "me.cs2-practice"')
    (user_dir / "practice.toml").write_text(mine)
    assert MapRegistry(user_dir=user_dir).match(["cs2"]).id == "me.cs2-practice"
