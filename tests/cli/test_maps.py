"""``hindsight maps list / show / validate`` through cli_maps.main and a parser built
with register().
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import pytest

from hindsight.actionmap.registry import SHIPPED_DIR, user_maps_dir
from hindsight.cli import maps as cli_maps
from tests.help_text import help_entries

SHIPPED_IDS = sorted(p.stem for p in SHIPPED_DIR.glob("*.toml"))
CS2 = SHIPPED_DIR / "valve.counter-strike-2.toml"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = cli_maps.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_list_shows_every_shipped_map(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "list")
    assert code == 0 and err == ""
    lines = out.splitlines()
    assert lines[0].split() == ["ID", "VERSION", "TITLE", "MATCH", "FROM"]
    assert [line.split()[0] for line in lines[1:]] == SHIPPED_IDS
    cs2 = next(line for line in lines if line.startswith("valve.counter-strike-2"))
    assert (
        "1.0.0" in cs2
        and "Counter-Strike 2" in cs2
        and "cs2.exe" in cs2
        and "steam:730" in cs2
        and "shipped" in cs2
    )


def test_list_reports_broken_user_maps_on_stderr(capsys: pytest.CaptureFixture[str]) -> None:
    user_maps_dir().mkdir(parents=True)
    (user_maps_dir() / "broken.toml").write_text("schema = 1")
    code, out, err = run(capsys, "list")
    assert code == 0 and len(out.splitlines()) == 1 + len(SHIPPED_IDS)
    assert err.splitlines() == [
        f"hindsight: warning: skipped {user_maps_dir() / 'broken.toml'}: schema: expected a "
        "string, got an integer"
    ]


def test_list_with_maps_dir(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    (tmp_path / "mine.toml").write_text(
        CS2.read_text().replace('id = "valve.counter-strike-2"', 'id = "me.practice"')
    )
    code, out, _ = run(capsys, "list", "--maps-dir", str(tmp_path))
    assert code == 0
    line = next(line for line in out.splitlines() if line.startswith("me.practice"))
    assert line.endswith(str(tmp_path / "mine.toml"))
    code, _, err = run(capsys, "list", "--maps-dir", str(tmp_path / "nope"))
    assert (
        code != 0 and err == f"hindsight: error: maps folder '{tmp_path / 'nope'}' does not exist\n"
    )


def test_show_prints_the_toml(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "show", "valve.counter-strike-2")
    assert code == 0 and out == CS2.read_text(encoding="utf-8")


def test_show_json(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "show", "psyonix.rocket-league", "--json")
    assert code == 0
    data = json.loads(out)
    assert data["id"] == "psyonix.rocket-league" and data["initial_set"] == "gameplay"
    assert data["match"] == {"exe": ["RocketLeague.exe"], "steam_appid": 252950}
    assert {"name": "throttle", "kind": "axis1d", "label": "Drive"} in data["actions"]
    binds = data["sets"][0]["bindings"]
    assert {"action": "throttle", "sources": ["pad:right_trigger"]} in binds
    assert {"action": "steer", "sources": ["pad:left_stick"], "deadzone": 0.15} in binds
    assert data["overlay"] == {"template": "controller"}


def test_show_unknown_game_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "show", "valve.dota-2")
    assert code != 0 and out == ""
    assert err == "hindsight: error: unknown game id 'valve.dota-2' (see `hindsight maps list`)\n"


def test_show_with_an_override_prints_the_effective_map(capsys: pytest.CaptureFixture[str]) -> None:
    user_maps_dir().mkdir(parents=True)
    (user_maps_dir() / "keys.toml").write_text(
        'schema = "hindsight.actionmap/1"\nextends = "valve.counter-strike-2"\n'
        '[sets.gameplay]\nbind = [ { action = "jump", source = "key:J" } ]\n'
    )
    code, out, _ = run(capsys, "show", "valve.counter-strike-2")
    assert (
        code == 0
        and '{ action = "jump", source = "key:J" }' in out
        and out.startswith("# valve.counter-strike-2")
    )


def test_validate_good_and_broken_files(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    good = tmp_path / "good.toml"
    good.write_text(CS2.read_text())
    code, out, err = run(capsys, "validate", str(good))
    assert code == 0 and err == ""
    assert out == f"ok: {good} (valve.counter-strike-2@1.0.0, 23 actions, 4 sets)\n"

    broken = tmp_path / "broken.toml"
    broken.write_text(CS2.read_text().replace('"key:Space"', '"key:Spcae"'))
    code, out, err = run(capsys, "validate", str(good), str(broken), str(tmp_path / "missing.toml"))
    assert code == 1
    assert out.splitlines() == [f"ok: {good} (valve.counter-strike-2@1.0.0, 23 actions, 4 sets)"]
    assert err.splitlines() == [
        f"hindsight: error: {broken}: sets.gameplay.bind[6].source[0]: unknown input name "
        "'key:Spcae' (did you mean 'key:Space'?)",
        f"hindsight: error: {tmp_path / 'missing.toml'}: no such file",
    ]


def test_validate_an_override_against_the_map_it_extends(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    override = tmp_path / "keys.toml"
    override.write_text(
        'schema = "hindsight.actionmap/1"\nextends = "riot.valorant"\n'
        '[sets.gameplay]\nbind = [ { action = "jump", source = "mouse:wheel_down" } ]\n'
    )
    code, out, _ = run(capsys, "validate", str(override))
    assert (
        code == 0
        and out == f"ok: {override} (override of riot.valorant@1.0.0, 26 actions, 3 sets)\n"
    )
    override.write_text(override.read_text().replace("riot.valorant", "riot.tft"))
    code, _, err = run(capsys, "validate", str(override))
    assert code == 1
    assert err == (
        f"hindsight: error: {override}: extends: extends unknown map 'riot.tft' "
        "(see `hindsight maps list`)\n"
    )


def test_every_shipped_map_validates(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "validate", *map(str, sorted(SHIPPED_DIR.glob("*.toml"))))
    assert code == 0 and len(out.splitlines()) == len(SHIPPED_IDS)


def test_usage_errors_and_help(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "show")
    assert code == 2 and "GAME" in err
    code, out, _ = run(capsys)
    entries = help_entries(out)  # the subcommand list, not the description's words
    assert code == 0 and all(entries.get(name) for name in ("list", "show", "validate")), out


def test_register_into_a_parser(capsys: pytest.CaptureFixture[str]) -> None:
    parser = argparse.ArgumentParser(prog="hindsight")
    cli_maps.register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["maps", "list", "--maps-dir", "a", "--maps-dir", "b"])
    assert args.maps_dirs == [Path("a"), Path("b")]
    args = parser.parse_args(["maps", "show", "riot.valorant"])
    assert args.func(args) == 0
    assert "riot.valorant" in capsys.readouterr().out
    assert cli_maps.main(["maps", "list"]) == 0  # a leading "maps" is accepted too
