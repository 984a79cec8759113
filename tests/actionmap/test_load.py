"""Loading, validating and writing action maps: round trips, junk never crashes, exact errors.

A table of every error a map author can make, each with its exact message: long by
nature, and read one case at a time.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import tomllib
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from hindsight.actionmap.load import (
    ActionMapError,
    apply_override,
    dump_map,
    load_map,
    override_target,
    parse_map,
)
from hindsight.actionmap.load import (
    _value as toml_value,
)
from hindsight.actionmap.model import (
    ACTION_KINDS,
    BUTTON_MODES,
    ActionDef,
    ActionKind,
    ActionMap,
    ActionSet,
    Binding,
    MatchRule,
    Switch,
)
from hindsight.actionmap.names import (
    KEY_NAMES,
    MOUSE_BUTTONS,
    PAD_BUTTONS,
    PAD_STICKS,
    PAD_TRIGGERS,
)
from hindsight.actionmap.validate import freeze
from hindsight.errors import HindsightError
from hindsight.recorder.errors import ConfigError

# Function-scoped autouse fixtures (tests/conftest.py) only set environment variables.
PROPERTY = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)

BUTTONS = sorted(
    [f"key:{k}" for k in KEY_NAMES]
    + [f"mouse:{m}" for m in MOUSE_BUTTONS]
    + [f"pad:{p}" for p in PAD_BUTTONS]
)
TRIGGERS = sorted(f"pad:{p}" for p in PAD_TRIGGERS)
STICKS = sorted(f"pad:{p}" for p in PAD_STICKS)
LINE_BREAKS = "\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"

GOOD = """\
schema = "hindsight.actionmap/1"
id = "valve.counter-strike-2"
version = "1.0.0"
title = "Counter-Strike 2"

[match]
exe = ["cs2.exe", "cs2"]
steam_appid = 730

[actions]
move = { kind = "axis2d", label = "Move" }
look = { kind = "delta2d", label = "Look" }
jump = { kind = "button", label = "Jump" }
attack = { kind = "button", label = "Fire" }
throttle = { kind = "axis1d", label = "Throttle" }

[sets.gameplay]
bind = [
  { action = "move", composite = { up = "key:W", down = "key:S", left = "key:A", right = "key:D" } },
  { action = "move", source = "pad:left_stick", deadzone = 0.2 },
  { action = "look", source = "mouse:delta" },
  { action = "jump", source = ["key:Space", "pad:south"] },
  { action = "attack", source = ["mouse:left", "pad:right_trigger"], threshold = 0.3, mode = "press" },
  { action = "throttle", source = "pad:right_trigger" },
]
switch = [ { on = ["key:Y", "key:U"], to = "chat" }, { on = ["key:Escape", "pad:start"], to = "menu" } ]

[sets.menu]
switch = [ { on = "key:Escape", to = "gameplay" } ]

[sets.chat]
record = "marker"
switch = [ { on = ["key:Enter", "key:Escape"], to = "gameplay" } ]

[overlay]
template = "keyboard_mouse"
"""  # noqa: E501 - TOML inline tables are one line; error positions count lines of this text


def _strip(m: ActionMap) -> ActionMap:
    return dataclasses.replace(m, text="", sha256="", source="")


def assert_one_line_error(err: ActionMapError, source: str) -> None:
    message = str(err)
    assert len(message.splitlines()) == 1, message
    assert message.startswith(f"{source}: "), message
    assert err.path == source


# --- strategies: valid maps as model objects ----------------------------------------------------

names = st.from_regex(r"[a-z][a-z0-9_]{0,10}", fullmatch=True)
one_line = st.text(min_size=1, max_size=20).filter(
    lambda s: s.strip() and not any(c in LINE_BREAKS for c in s)
)
unit = st.floats(min_value=0.0, max_value=1.0, exclude_min=True)
deadzones = st.floats(min_value=0.0, max_value=0.95)
toml_scalars = (
    st.text(max_size=10)
    | st.integers(min_value=-(2**63), max_value=2**63 - 1)
    | st.booleans()
    | st.floats(allow_nan=False)
    | st.dates()
    | st.times()
    | st.datetimes()
)
toml_values = st.recursive(
    toml_scalars,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=8,
)
versions = st.builds(
    lambda a, b, c, pre, build: (
        f"{a}.{b}.{c}" + (f"-{pre}" if pre else "") + (f"+{build}" if build else "")
    ),
    st.integers(0, 99),
    st.integers(0, 99),
    st.integers(0, 999),
    st.sampled_from(["", "alpha", "beta.1", "rc.2", "0.3.7", "x-y"]),
    st.sampled_from(["", "build.5", "sha-1a2b"]),
)


@st.composite
def bindings(draw: st.DrawFn, action: ActionDef) -> Binding:
    kind = action.kind
    if kind == "button":
        sources = draw(st.lists(st.sampled_from(BUTTONS + TRIGGERS), min_size=1, max_size=3))
        threshold = (
            draw(unit) if any(s in TRIGGERS for s in sources) and draw(st.booleans()) else 0.5
        )
        return Binding(
            action.name,
            sources=tuple(sources),
            mode=draw(st.sampled_from(BUTTON_MODES)),
            threshold=threshold,
        )
    if kind == "delta2d":
        return Binding(action.name, sources=("mouse:delta",))
    if kind == "axis1d":
        if draw(st.booleans()):
            return Binding(
                action.name,
                sources=tuple(draw(st.lists(st.sampled_from(TRIGGERS), min_size=1, max_size=2))),
            )
        parts = draw(st.sampled_from([("positive",), ("negative",), ("positive", "negative")]))
        return Binding(
            action.name, composite=tuple((p, draw(st.sampled_from(BUTTONS))) for p in parts)
        )
    if draw(st.booleans()):
        return Binding(
            action.name,
            sources=tuple(draw(st.lists(st.sampled_from(STICKS), min_size=1, max_size=2))),
            deadzone=draw(deadzones),
        )
    return Binding(
        action.name,
        composite=tuple(
            (d, draw(st.sampled_from(BUTTONS))) for d in ("up", "down", "left", "right")
        ),
    )


@st.composite
def action_maps(draw: st.DrawFn) -> ActionMap:
    action_names = draw(st.lists(names, min_size=1, max_size=6, unique=True))
    actions = tuple(
        ActionDef(n, draw(st.sampled_from(ACTION_KINDS)), draw(one_line)) for n in action_names
    )
    set_names = draw(
        st.lists(names.filter(lambda n: n != "unfocused"), min_size=1, max_size=4, unique=True)
    )
    sets = []
    for name in set_names:
        record = draw(st.sampled_from(["actions", "marker"]))
        binds = (
            ()
            if record == "marker"
            else tuple(
                draw(bindings(draw(st.sampled_from(actions))))
                for _ in range(draw(st.integers(0, 5)))
            )
        )
        switches = tuple(
            Switch(
                on=tuple(draw(st.lists(st.sampled_from(BUTTONS), min_size=1, max_size=3))),
                to=draw(st.sampled_from(set_names)),
            )
            for _ in range(draw(st.integers(0, 3)))
        )
        sets.append(ActionSet(name, record, binds, switches))
    exe = tuple(
        draw(st.lists(one_line.filter(lambda s: "/" not in s and "\\" not in s), max_size=3))
    )
    appid = draw(st.none() | st.integers(1, 2**40)) if exe else draw(st.integers(1, 2**40))
    overlay = draw(
        st.dictionaries(
            st.text(max_size=8).filter(lambda k: k != "template"), toml_values, max_size=3
        )
    )
    template = draw(st.sampled_from([None, "keyboard_mouse", "controller"]))
    if template:
        overlay["template"] = template
    return ActionMap(
        id=draw(st.from_regex(r"[a-z0-9-]{1,8}\.[a-z0-9-]{1,12}", fullmatch=True)),
        version=draw(versions),
        title=draw(one_line),
        match=MatchRule(exe=exe, steam_appid=appid),
        actions=actions,
        sets=tuple(sets),
        overlay=freeze(overlay),
    )


@PROPERTY
@given(action_maps())
def test_dump_then_parse_round_trips(amap: ActionMap) -> None:
    text = dump_map(amap)
    parsed = parse_map(text, "generated.toml")
    assert _strip(parsed) == _strip(amap)
    assert parsed.text == text and parsed.source == "generated.toml"
    assert dump_map(parsed) == text  # canonical: a fixed point


def test_parse_fills_text_source_and_sha256() -> None:
    import hashlib

    m = parse_map(GOOD, "cs2.toml")
    assert m.text == GOOD and m.source == "cs2.toml"
    assert m.sha256 == hashlib.sha256(GOOD.encode()).hexdigest()
    assert m.initial_set.name == "gameplay" and [s.name for s in m.sets] == [
        "gameplay",
        "menu",
        "chat",
    ]
    assert m.set_named("gameplay").bindings[1] == Binding(
        "move", sources=("pad:left_stick",), deadzone=0.2
    )
    assert m.set_named("gameplay").bindings[4] == Binding(
        "attack", sources=("mouse:left", "pad:right_trigger"), mode="press", threshold=0.3
    )
    assert m.set_named("gameplay").bindings[0].composite == (
        ("up", "key:W"),
        ("down", "key:S"),
        ("left", "key:A"),
        ("right", "key:D"),
    )
    assert m.set_named("chat").record == "marker" and m.extends is None
    assert dict(m.overlay) == {"template": "keyboard_mouse"}
    assert _strip(parse_map(dump_map(m))) == _strip(m)


# --- junk never crashes the loader --------------------------------------------------------------


def _loads_or_one_line_error(text: str, source: str = "junk.toml") -> None:
    try:
        parse_map(text, source)
    except ActionMapError as err:
        assert_one_line_error(err, source)


@PROPERTY
@given(st.text(max_size=300))
def test_random_text_only_raises_action_map_error(text: str) -> None:
    _loads_or_one_line_error(text)


TOML_BITS = [
    'schema = "hindsight.actionmap/1"\n',
    'id = "a.b"\n',
    'version = "1.0.0"\n',
    'title = "T"\n',
    "[match]\n",
    "exe = ",
    "steam_appid = ",
    "[actions]\n",
    "[sets.a]\n",
    "[sets.b]\n",
    "bind = ",
    "switch = ",
    "record = ",
    "[overlay]\n",
    "[",
    "]",
    "{",
    "}",
    "=",
    ",",
    '"',
    "'",
    "\n",
    " ",
    "x",
    "1",
    "-1",
    "0.5",
    "true",
    '"key:W"',
    '"pad:left_stick"',
    '"mouse:delta"',
    '"marker"',
    'kind = "button"',
    'label = "L"',
    "action = ",
    "source = ",
    "composite = ",
    "up = ",
    "to = ",
    "on = ",
    "mode = ",
    "deadzone = ",
    "threshold = ",
    "extends = ",
    "nan",
    "inf",
    "1979-05-27",
]


@PROPERTY
@given(st.lists(st.sampled_from(TOML_BITS), max_size=60).map("".join))
def test_random_toml_ish_text_only_raises_action_map_error(text: str) -> None:
    _loads_or_one_line_error(text)


def _document_text(doc: dict[str, Any]) -> str:
    return "".join(f"{toml_value(k)} = {toml_value(v)}\n" for k, v in doc.items())


KEYS = st.sampled_from(
    [
        "schema",
        "id",
        "version",
        "title",
        "match",
        "exe",
        "steam_appid",
        "actions",
        "kind",
        "label",
        "sets",
        "record",
        "bind",
        "switch",
        "action",
        "source",
        "composite",
        "mode",
        "deadzone",
        "threshold",
        "on",
        "to",
        "up",
        "down",
        "left",
        "right",
        "positive",
        "negative",
        "overlay",
        "template",
        "extends",
        "gameplay",
        "jump",
    ]
) | st.text(max_size=5)
VALUES = st.recursive(
    toml_scalars
    | st.sampled_from(
        [
            "hindsight.actionmap/1",
            "hindsight.actionmap/2",
            "a.b",
            "1.0.0",
            "button",
            "axis2d",
            "delta2d",
            "marker",
            "key:W",
            "pad:left_stick",
            "mouse:delta",
            "jump",
        ]
    ),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(KEYS, inner, max_size=4),
    max_leaves=25,
)


@PROPERTY
@given(st.dictionaries(KEYS, VALUES, max_size=8))
def test_random_documents_only_raise_action_map_error(doc: dict[str, Any]) -> None:
    doc.setdefault("schema", "hindsight.actionmap/1")
    _loads_or_one_line_error(_document_text(doc))


def _positions(node: Any, out: list[tuple[Any, Any]]) -> list[tuple[Any, Any]]:
    items = (
        node.items()
        if isinstance(node, dict)
        else enumerate(node)
        if isinstance(node, list)
        else ()
    )
    for key, child in list(items):
        out.append((node, key))
        _positions(child, out)
    return out


def _misspell(s: str, i: int) -> str:
    return s[:i] + s[i + 1 :] if len(s) > 1 else s + "x"


@PROPERTY
@given(action_maps(), st.data())
def test_mutated_valid_maps_only_raise_action_map_error(
    amap: ActionMap, data: st.DataObject
) -> None:
    doc = tomllib.loads(dump_map(amap))
    for _ in range(data.draw(st.integers(1, 3))):
        positions = _positions(doc, [])
        assume(positions)
        parent, key = data.draw(st.sampled_from(positions))
        how = data.draw(st.sampled_from(["delete", "retype", "misspell"]))
        if how == "delete":
            del parent[key]
        elif how == "retype":
            parent[key] = data.draw(VALUES)
        elif isinstance(parent[key], str):
            parent[key] = _misspell(
                parent[key], data.draw(st.integers(0, max(0, len(parent[key]) - 1)))
            )
    _loads_or_one_line_error(_document_text(doc), "mutated.toml")


def test_error_is_one_line_even_with_line_breaks_in_names() -> None:
    text = GOOD.replace('to = "menu"', 'to = "me\\nnu"').replace(
        "[sets.chat]", '[sets."ch\\u2028at"]'
    )
    with pytest.raises(ActionMapError) as info:
        parse_map(text, "odd\nname.toml")
    assert len(str(info.value).splitlines()) == 1
    assert str(info.value).startswith("odd\\nname.toml: ")


# --- exact errors --------------------------------------------------------------------------------


def _error(text: str) -> str:
    with pytest.raises(ActionMapError) as info:
        parse_map(text, "cs2.toml")
    assert_one_line_error(info.value, "cs2.toml")
    return str(info.value)


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            '"key:Space"',
            '"key:Spcae"',
            "cs2.toml: sets.gameplay.bind[3].source[0]: unknown input name 'key:Spcae' "
            "(did you mean 'key:Space'?)",
        ),
        (
            '"pad:south"',
            '"pad:South"',
            "cs2.toml: sets.gameplay.bind[3].source[1]: unknown input name 'pad:South' "
            "(did you mean 'pad:south'?)",
        ),
        (
            'on = "key:Escape"',
            'on = "key:Esc"',
            "cs2.toml: sets.menu.switch[0].on: unknown input name 'key:Esc' "
            "(did you mean 'key:Escape'?)",
        ),
        (
            'on = "key:Escape"',
            'on = "key:Nothing"',
            "cs2.toml: sets.menu.switch[0].on: unknown input name 'key:Nothing'",
        ),
        (
            'action = "look"',
            'action = "lok"',
            "cs2.toml: sets.gameplay.bind[2].action: action 'lok' used but not declared in "
            "[actions] (did you mean 'look'?)",
        ),
        (
            'to = "chat"',
            'to = "chta"',
            "cs2.toml: sets.gameplay.switch[0].to: switch to a missing set 'chta' "
            "(did you mean 'chat'?)",
        ),
        (
            'to = "chat"',
            'to = "lobby"',
            "cs2.toml: sets.gameplay.switch[0].to: switch to a missing set 'lobby' "
            "(sets: gameplay, menu, chat)",
        ),
        (
            'version = "1.0.0"',
            'version = "1.0"',
            "cs2.toml: version: '1.0' is not a semantic version "
            "(expected MAJOR.MINOR.PATCH, e.g. '1.0.0')",
        ),
        (
            'version = "1.0.0"',
            'version = "01.0.0"',
            "cs2.toml: version: '01.0.0' is not a semantic version "
            "(expected MAJOR.MINOR.PATCH, e.g. '1.0.0')",
        ),
        ('version = "1.0.0"', "version = 1.0", "cs2.toml: version: expected a string, got a float"),
        (
            '"hindsight.actionmap/1"',
            '"hindsight.actionmap/2"',
            "cs2.toml: schema: unsupported schema major 2 "
            "(this Hindsight reads 'hindsight.actionmap/1')",
        ),
        (
            '"hindsight.actionmap/1"',
            '"steam.input/1"',
            "cs2.toml: schema: unknown schema 'steam.input/1' (expected 'hindsight.actionmap/1')",
        ),
        (
            ', right = "key:D"',
            "",
            "cs2.toml: sets.gameplay.bind[0].composite: missing direction 'right' "
            "(an axis2d composite needs up, down, left and right)",
        ),
        (
            'source = "mouse:delta"',
            'source = "key:Q"',
            "cs2.toml: sets.gameplay.bind[2].source: cannot bind button input 'key:Q' to delta2d "
            "action 'look' "
            "(a delta2d action takes mouse:delta only)",
        ),
        (
            'source = "pad:left_stick"',
            'source = "mouse:delta"',
            "cs2.toml: sets.gameplay.bind[1].source: cannot bind delta input 'mouse:delta' to "
            "axis2d action 'move' "
            "(an axis2d action takes a stick, or a composite of buttons)",
        ),
        (
            'record = "marker"',
            'record = "marker"\nbind = [ { action = "jump", source = "key:J" } ]',
            "cs2.toml: sets.chat.bind: a marker set drops every input, so it takes no bind",
        ),
        (
            'source = "pad:left_stick"',
            'soruce = "pad:left_stick"',
            "cs2.toml: sets.gameplay.bind[1].soruce: unknown key 'soruce' (did you mean 'source'?)",
        ),
        (
            'title = "Counter-Strike 2"',
            'title = "Counter-Strike 2"\ncolour = 1',
            "cs2.toml: colour: unknown key 'colour' (allowed: schema, id, version, title, match, "
            "actions, sets, overlay)",
        ),
        (
            'id = "valve.counter-strike-2"',
            'id = "Valve.CS2"',
            "cs2.toml: id: bad id 'Valve.CS2': expected '<publisher>.<game>' in lowercase "
            "letters, digits and hyphens "
            "with exactly one dot, e.g. 'valve.counter-strike-2'",
        ),
        (
            'id = "valve.counter-strike-2"',
            'id = "valve.cs2.beta"',
            "cs2.toml: id: bad id 'valve.cs2.beta': expected '<publisher>.<game>' in lowercase "
            "letters, digits and hyphens "
            "with exactly one dot, e.g. 'valve.counter-strike-2'",
        ),
        ('title = "Counter-Strike 2"\n', "", "cs2.toml: title: required key is missing"),
        ('title = "Counter-Strike 2"', 'title = "  "', "cs2.toml: title: must not be empty"),
        (
            'exe = ["cs2.exe", "cs2"]\nsteam_appid = 730',
            "",
            "cs2.toml: match: give exe, steam_appid or both, so the game can be recognised",
        ),
        (
            "steam_appid = 730",
            "steam_appid = -5",
            "cs2.toml: match.steam_appid: expected a positive integer, got -5",
        ),
        (
            'exe = ["cs2.exe", "cs2"]',
            'exe = ["C:\\\\Games\\\\cs2.exe"]',
            "cs2.toml: match.exe[0]: 'C:\\\\Games\\\\cs2.exe' is a path; give the executable's "
            "file name only",
        ),
        (
            'kind = "button", label = "Jump"',
            'kind = "trigger", label = "Jump"',
            "cs2.toml: actions.jump.kind: unknown kind 'trigger' "
            "(expected one of button, axis1d, axis2d, delta2d)",
        ),
        (
            'kind = "button", label = "Jump"',
            'kind = "button"',
            "cs2.toml: actions.jump.label: required key is missing",
        ),
        (
            "move = {",
            "Move = {",
            "cs2.toml: actions.Move: bad action name 'Move': use lowercase letters, digits and "
            "'_', starting with a letter",
        ),
        (
            'mode = "press"',
            'mode = "tap"',
            "cs2.toml: sets.gameplay.bind[4].mode: unknown mode 'tap' "
            "(expected one of hold, press, toggle)",
        ),
        (
            'source = "pad:left_stick", deadzone = 0.2',
            'source = "pad:left_stick", deadzone = 0.99',
            "cs2.toml: sets.gameplay.bind[1].deadzone: 0.99 is out of range [0, 0.95]",
        ),
        (
            "threshold = 0.3",
            "threshold = 0",
            "cs2.toml: sets.gameplay.bind[4].threshold: 0 is out of range (0, 1]",
        ),
        (
            'source = "mouse:delta"',
            'source = "mouse:delta", deadzone = 0.1',
            "cs2.toml: sets.gameplay.bind[2].deadzone: deadzone applies to stick inputs only",
        ),
        (
            'source = ["key:Space", "pad:south"]',
            'source = ["key:Space", "pad:south"], threshold = 0.5',
            "cs2.toml: sets.gameplay.bind[3].threshold: threshold applies only to a trigger "
            "driving a button action",
        ),
        (
            'source = "pad:left_stick", deadzone = 0.2',
            'source = "pad:left_stick", mode = "toggle"',
            "cs2.toml: sets.gameplay.bind[1].mode: mode is only for button actions; 'move' is an "
            "axis2d action",
        ),
        (
            '{ action = "look", source = "mouse:delta" }',
            '{ action = "look" }',
            "cs2.toml: sets.gameplay.bind[2]: give exactly one of 'source' or 'composite'",
        ),
        (
            'source = ["key:Space", "pad:south"]',
            'composite = { up = "key:W" }',
            "cs2.toml: sets.gameplay.bind[3].composite: a composite is only for axis1d and axis2d "
            "actions; 'jump' is a button action",
        ),
        (
            'up = "key:W"',
            'up = "pad:left_trigger"',
            "cs2.toml: sets.gameplay.bind[0].composite.up: composite directions take button "
            "inputs; 'pad:left_trigger' is a trigger",
        ),
        (
            'up = "key:W"',
            'forward = "key:W"',
            "cs2.toml: sets.gameplay.bind[0].composite.forward: unknown key 'forward' "
            "(allowed: up, down, left, right)",
        ),
        (
            '{ action = "throttle", source = "pad:right_trigger" }',
            '{ action = "throttle", composite = {} }',
            "cs2.toml: sets.gameplay.bind[5].composite: give positive, negative or both",
        ),
        (
            'on = "key:Escape"',
            'on = "pad:left_stick"',
            "cs2.toml: sets.menu.switch[0].on: switches take button inputs; 'pad:left_stick' is a "
            "stick",
        ),
        (
            'record = "marker"',
            'record = "redacted"',
            "cs2.toml: sets.chat.record: unknown record 'redacted' "
            "(expected one of actions, marker)",
        ),
        (
            "[sets.menu]",
            "[sets.unfocused]",
            "cs2.toml: sets.unfocused: 'unfocused' is reserved for the context the recorder "
            "reports itself",
        ),
        (
            'template = "keyboard_mouse"',
            'template = "gamepad"',
            "cs2.toml: overlay.template: unknown template 'gamepad' "
            "(expected one of keyboard_mouse, controller)",
        ),
        (
            'schema = "hindsight.actionmap/1"\n',
            'schema = "hindsight.actionmap/1"\nextends = "valve.counter-strike-2"\n',
            "cs2.toml: extends: this is a local override; it is loaded on top of the map it "
            "extends, not alone",
        ),
        (
            "[sets.chat]",
            "[sets.chat",
            "cs2.toml: not valid TOML: Expected ']' at the end of a table declaration "
            "(at line 31, column 11)",
        ),
    ],
)
def test_exact_errors(old: str, new: str, message: str) -> None:
    assert old in GOOD
    assert _error(GOOD.replace(old, new, 1)) == message


def test_missing_schema_and_empty_tables() -> None:
    assert (
        _error('id = "a.b"')
        == "cs2.toml: schema: required key is missing (expected 'hindsight.actionmap/1')"
    )
    no_actions = GOOD.split("[actions]")[0] + "[actions]\n[sets.a]\n"
    assert _error(no_actions) == "cs2.toml: actions: declare at least one action"
    no_sets = GOOD.split("[sets.gameplay]")[0]
    assert _error(no_sets) == "cs2.toml: sets: required key is missing"


def test_action_map_error_is_a_config_error_with_parts() -> None:
    with pytest.raises(ActionMapError) as info:
        parse_map(GOOD.replace('"key:Space"', '"key:Spcae"'), "cs2.toml")
    err = info.value
    assert isinstance(err, ConfigError) and isinstance(err, HindsightError)
    assert (err.path, err.key_path) == ("cs2.toml", "sets.gameplay.bind[3].source[0]")
    assert err.problem == "unknown input name 'key:Spcae' (did you mean 'key:Space'?)"


def test_action_map_error_pickles() -> None:
    import pickle

    err = pickle.loads(pickle.dumps(ActionMapError("a.toml", "id", "bad id 'X'")))
    assert (str(err), err.path, err.key_path, err.problem) == (
        "a.toml: id: bad id 'X'",
        "a.toml",
        "id",
        "bad id 'X'",
    )


def test_schema_minor_versions_are_read() -> None:
    m = parse_map(GOOD.replace('"hindsight.actionmap/1"', '"hindsight.actionmap/1.2"'))
    assert m.schema == "hindsight.actionmap/1.2"


def test_axis1d_composite_may_give_one_direction() -> None:
    m = parse_map(
        GOOD.replace(
            '{ action = "throttle", source = "pad:right_trigger" }',
            '{ action = "throttle", composite = { negative = "key:S", positive = "key:W" } }',
        )
    )
    assert m.set_named("gameplay").bindings[5].composite == (
        ("positive", "key:W"),
        ("negative", "key:S"),
    )


def test_action_kinds_are_an_enum_spelled_as_the_map_spells_them(tmp_path: Path) -> None:
    path = tmp_path / "cs2.toml"
    path.write_text(GOOD)
    kinds = [a.kind for a in load_map(path).actions]
    assert kinds and all(type(k) is ActionKind for k in kinds)
    assert ACTION_KINDS == ("button", "axis1d", "axis2d", "delta2d") == tuple(ActionKind)
    assert ActionKind("axis2d") is ActionKind.AXIS2D and ActionKind.AXIS2D.is_axis
    assert not ActionKind.DELTA2D.is_axis


# --- files ---------------------------------------------------------------------------------------


def test_load_map_reads_a_file(tmp_path: Path) -> None:
    path = tmp_path / "cs2.toml"
    path.write_bytes(b"\xef\xbb\xbf" + GOOD.encode())  # a byte-order mark from a Windows editor
    m = load_map(path)
    assert m.source == str(path) and m.text == GOOD


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (None, "no such file"),
        (b'title = "\xff"', "not UTF-8 text (byte 0xff at offset 9)"),
        (b"schema = \n", "not valid TOML: Invalid value (at line 1, column 10)"),
    ],
)
def test_load_map_file_errors(tmp_path: Path, content: bytes | None, problem: str) -> None:
    path = tmp_path / "broken.toml"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(ActionMapError) as info:
        load_map(path)
    assert str(info.value) == f"{path}: {problem}"
    assert info.value.key_path == ""


def test_load_map_on_a_folder(tmp_path: Path) -> None:
    with pytest.raises(ActionMapError, match="is a folder"):
        load_map(tmp_path)


# --- overrides -----------------------------------------------------------------------------------

OVERRIDE = """\
schema = "hindsight.actionmap/1"
extends = "valve.counter-strike-2"

[sets.gameplay]
bind = [
  { action = "jump", source = "mouse:wheel_down" },
  { action = "jump", source = "key:J", mode = "press" },
]
"""


def test_override_replaces_only_the_actions_it_names() -> None:
    base = parse_map(GOOD, "cs2.toml")
    merged = apply_override(base, OVERRIDE, "my-cs2.toml")
    assert merged.extends == base.id and merged.source == "my-cs2.toml"
    assert (merged.id, merged.version, merged.title) == (base.id, base.version, base.title)
    assert (merged.text, merged.sha256) == (
        base.text,
        base.sha256,
    )  # the override itself never travels
    old, new = base.set_named("gameplay").bindings, merged.set_named("gameplay").bindings
    assert new[:3] == old[:3] and new[5:] == old[4:]
    assert new[3:5] == (
        Binding("jump", sources=("mouse:wheel_down",)),
        Binding("jump", sources=("key:J",), mode="press"),
    )
    assert merged.sets[1:] == base.sets[1:] and merged.actions == base.actions
    assert override_target(OVERRIDE) == "valve.counter-strike-2" and override_target(GOOD) is None


def test_override_switches_match_and_new_bindings() -> None:
    base = parse_map(GOOD, "cs2.toml")
    text = (
        OVERRIDE.replace(
            "bind = [",
            'switch = [ { on = "key:T", to = "chat" } ]\nbind = [\n'
            '  { action = "throttle", composite = { positive = "key:W" } },',
        )
        + '\n[match]\nexe = "cs2-beta"\n'
    )
    merged = apply_override(base, text, "o.toml")
    gameplay = merged.set_named("gameplay")
    assert gameplay.switches == (Switch(on=("key:T",), to="chat"),)
    assert merged.match == MatchRule(exe=("cs2-beta",), steam_appid=730)
    assert [b.action for b in gameplay.bindings][-1] == "throttle"
    assert dump_map(merged).startswith("# valve.counter-strike-2 merged with a local override")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            OVERRIDE.replace('extends = "valve.counter-strike-2"', 'extends = "valve.dota-2"'),
            "o.toml: extends: extends 'valve.dota-2' but was applied to 'valve.counter-strike-2'",
        ),
        (
            OVERRIDE.replace("[sets.gameplay]", "[sets.lobby]"),
            "o.toml: sets.lobby: set 'lobby' is not in 'valve.counter-strike-2' "
            "(sets: gameplay, menu, chat); "
            "an override cannot add sets",
        ),
        (
            OVERRIDE + '\n[actions]\nspray = { kind = "button", label = "Spray" }\n',
            "o.toml: actions: an override only rebinds; it cannot change [actions] of the map it "
            "extends",
        ),
        (
            OVERRIDE.replace('"mouse:wheel_down"', '"mouse:wheel_dwn"'),
            "o.toml: sets.gameplay.bind[0].source: unknown input name 'mouse:wheel_dwn' "
            "(did you mean 'mouse:wheel_down'?)",
        ),
        (
            OVERRIDE.replace(
                'action = "jump", source = "key:J"', 'action = "spray", source = "key:J"'
            ),
            "o.toml: sets.gameplay.bind[1].action: action 'spray' used but not declared in "
            "[actions]",
        ),
        (
            OVERRIDE.replace("[sets.gameplay]", "[sets.chat]"),
            "o.toml: sets.chat.bind: a marker set drops every input, so it takes no bind",
        ),
        (
            OVERRIDE.replace(
                'extends = "valve.counter-strike-2"',
                'extends = "valve.counter-strike-2"\nversion = "2.0.0"',
            ),
            "o.toml: version: an override keeps the id, version and title of the map it extends; "
            "remove this key",
        ),
        (
            OVERRIDE.replace('extends = "valve.counter-strike-2"\n', ""),
            "o.toml: extends: required key is missing",
        ),
        (
            OVERRIDE.replace('schema = "hindsight.actionmap/1"\n', ""),
            "o.toml: schema: required key is missing (expected 'hindsight.actionmap/1')",
        ),
    ],
)
def test_override_errors(text: str, message: str) -> None:
    base = parse_map(GOOD, "cs2.toml")
    with pytest.raises(ActionMapError) as info:
        apply_override(base, text, "o.toml")
    assert str(info.value) == message


@PROPERTY
@given(st.dictionaries(KEYS, VALUES, max_size=6))
def test_random_overrides_only_raise_action_map_error(doc: dict[str, Any]) -> None:
    doc.update(schema="hindsight.actionmap/1", extends="valve.counter-strike-2")
    base = parse_map(GOOD, "cs2.toml")
    try:
        apply_override(base, _document_text(doc), "o.toml")
    except ActionMapError as err:
        assert_one_line_error(err, "o.toml")


def test_dump_writes_times_and_odd_keys() -> None:
    m = parse_map(
        GOOD.replace(
            'template = "keyboard_mouse"',
            'template = "controller"\n"odd key" = { at = 1979-05-27T07:32:00Z, d = 2000-01-02, '
            't = 07:32:00.5, xs = [nan, inf, -0.0, "q\\"\\u007f"] }',
        )
    )
    again = parse_map(dump_map(m))
    xs = again.overlay["odd key"]["xs"]
    assert xs[1] == float("inf") and xs[3] == 'q"\x7f' and xs[0] != xs[0]
    assert again.overlay["odd key"]["at"] == dt.datetime(1979, 5, 27, 7, 32, tzinfo=dt.UTC)
