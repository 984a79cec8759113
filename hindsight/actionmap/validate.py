"""Checking a parsed action-map document (the dict ``tomllib`` returns) and building the frozen
model.

Every check raises :class:`Invalid` with the key path of the offending value and one
line saying what is wrong; :mod:`hindsight.actionmap.load` adds the file
name and turns it into an ``ActionMapError``. Unknown keys are checked before missing
ones, so a typo (``soruce``) is reported as a typo and not as a missing key.
:func:`build_map` checks a whole map; the override loader in ``actionmap`` reuses the
per-part checks (``bind_list``, ``switch_list``, ``match_rule``...).

Over 500 lines by design: one check per key of the map format, kept in one module so
that every message is worded the same way and a map author's error reads alike
wherever it is.
"""

from __future__ import annotations

import datetime as dt
import difflib
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from types import MappingProxyType
from typing import Any

from hindsight.actionmap.model import (
    ACTION_KINDS,
    BUTTON_MODES,
    COMPOSITE_PARTS,
    RECORD_KINDS,
    SCHEMA,
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
    input_kind,
)

__all__ = [
    "Invalid",
    "bind_list",
    "build_map",
    "check_id",
    "check_keys",
    "check_schema",
    "format_key_path",
    "freeze",
    "marker_has_no_bind",
    "match_rule",
    "suggest_input",
    "switch_list",
    "table_at",
]

Path = tuple[str | int, ...]

TOP_KEYS = ("schema", "id", "version", "title", "match", "actions", "sets", "overlay")
BINDING_KEYS = ("action", "source", "composite", "mode", "deadzone", "threshold")
OVERLAY_TEMPLATES = ("keyboard_mouse", "controller")
# The translator reports this context itself when the game's window has no focus
# (DESIGN 4.2 rule 4).
RESERVED_SETS = ("unfocused",)
DEFAULT_DEADZONE = Binding.__dataclass_fields__["deadzone"].default
DEFAULT_THRESHOLD = Binding.__dataclass_fields__["threshold"].default

_SCHEMA_RE = re.compile(r"hindsight\.actionmap/(0|[1-9][0-9]*)(?:\.(?:0|[1-9][0-9]*))*", re.ASCII)
_ID_RE = re.compile(r"[a-z0-9-]+\.[a-z0-9-]+", re.ASCII)
_NAME_RE = re.compile(r"[a-z][a-z0-9_]*", re.ASCII)
_BARE_KEY_RE = re.compile(r"[A-Za-z0-9_-]+", re.ASCII)
_IDENT = r"(?:0|[1-9][0-9]*|[0-9]*[a-zA-Z-][0-9a-zA-Z-]*)"
_SEMVER_RE = re.compile(
    r"(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)"
    rf"(?:-{_IDENT}(?:\.{_IDENT})*)?(?:\+[0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*)?",
    re.ASCII,
)
_NAME_RULE = "use lowercase letters, digits and '_', starting with a letter"
_LINE_BREAKS = frozenset("\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029")

ALL_INPUTS: tuple[str, ...] = tuple(
    sorted(
        [f"key:{k}" for k in KEY_NAMES]
        + [f"mouse:{m}" for m in MOUSE_BUTTONS]
        + ["mouse:delta"]
        + [f"pad:{p}" for p in PAD_BUTTONS | PAD_TRIGGERS | PAD_STICKS]
    )
)
_INPUTS_BY_FOLD = {name.casefold(): name for name in ALL_INPUTS}
# Names people reach for that the vocabulary spells differently.
_INPUT_ALIASES = {
    "ctrl": "LeftCtrl",
    "lctrl": "LeftCtrl",
    "control": "LeftCtrl",
    "rctrl": "RightCtrl",
    "shift": "LeftShift",
    "lshift": "LeftShift",
    "rshift": "RightShift",
    "alt": "LeftAlt",
    "lalt": "LeftAlt",
    "ralt": "RightAlt",
    "esc": "Escape",
    "return": "Enter",
    "spacebar": "Space",
    "tilde": "Grave",
    "backquote": "Grave",
    "backtick": "Grave",
    "del": "Delete",
    "pgup": "PageUp",
    "pgdn": "PageDown",
    "caps": "CapsLock",
    "win": "LeftMeta",
    "super": "LeftMeta",
}

# Which input kinds each action kind accepts as a ``source``, and how to say it.
ACCEPTS = {
    ActionKind.BUTTON: ("button", "trigger"),
    ActionKind.AXIS1D: ("trigger",),
    ActionKind.AXIS2D: ("stick",),
    ActionKind.DELTA2D: ("delta",),
}
_ACCEPTS_TEXT = {
    ActionKind.BUTTON: "button inputs or triggers",
    ActionKind.AXIS1D: "a trigger, or a composite of buttons",
    ActionKind.AXIS2D: "a stick, or a composite of buttons",
    ActionKind.DELTA2D: "mouse:delta only",
}


class Invalid(Exception):
    """One problem at one key path; the loader adds the file name."""

    def __init__(self, path: Path, problem: str) -> None:
        super().__init__(problem)
        self.path = path
        self.problem = problem


def format_key_path(path: Path) -> str:
    """``("sets", "gameplay", "bind", 3, "source", 1)`` -> ``sets.gameplay.bind[3].source[1]``."""
    out = ""
    for seg in path:
        if isinstance(seg, int):
            out += f"[{seg}]"
        else:
            # Quoted the way TOML quotes keys; json escapes line breaks, so the path stays one line.
            text = seg if _BARE_KEY_RE.fullmatch(seg) else json.dumps(seg)
            out += f".{text}" if out else text
    return out


def _q(value: object) -> str:
    """A user value quoted for a message; repr escapes line breaks and control characters."""
    return repr(value)


def _a(word: str) -> str:
    return f"an {word}" if word[:1] in "aeiou" else f"a {word}"


def _type_name(value: object) -> str:
    if isinstance(value, bool):
        return "a boolean"
    for kind, name in (
        (str, "a string"),
        (int, "an integer"),
        (float, "a float"),
        (list, "an array"),
        (dict, "a table"),
        (dt.datetime, "a date-time"),
        (dt.date, "a date"),
        (dt.time, "a time"),
    ):
        if isinstance(value, kind):
            return name
    return type(value).__name__


def _did_you_mean(word: str, choices: Iterable[str], cutoff: float = 0.7) -> str:
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=cutoff)
    return f" (did you mean {_q(close[0])}?)" if close else ""


def suggest_input(name: str) -> str | None:
    """The valid input name closest to a misspelt one, or None."""
    folded = name.casefold()
    if folded in _INPUTS_BY_FOLD:
        return _INPUTS_BY_FOLD[folded]
    device, colon, part = folded.rpartition(":")
    alias = _INPUT_ALIASES.get(part)
    if alias and device in ("key", ""):
        return f"key:{alias}"
    if not colon:
        for dev in ("key", "mouse", "pad"):
            if f"{dev}:{folded}" in _INPUTS_BY_FOLD:
                return _INPUTS_BY_FOLD[f"{dev}:{folded}"]
    close = difflib.get_close_matches(name, ALL_INPUTS, n=1, cutoff=0.7)
    return close[0] if close else None


# --- small typed readers ---------------------------------------------------------------------


def table_at(value: object, path: Path) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise Invalid(path, f"expected a table, got {_type_name(value)}")
    return value


def check_keys(
    table: Mapping[str, Any], path: Path, allowed: Sequence[str], required: Sequence[str] = ()
) -> None:
    unknown = [k for k in table if k not in allowed]
    if len(unknown) == 1:
        hint = _did_you_mean(unknown[0], allowed) or f" (allowed: {', '.join(allowed)})"
        raise Invalid(path + (unknown[0],), f"unknown key {_q(unknown[0])}{hint}")
    if unknown:
        raise Invalid(
            path,
            f"unknown keys {', '.join(_q(k) for k in unknown)} (allowed: {', '.join(allowed)})",
        )
    for key in required:
        if key not in table:
            raise Invalid(path + (key,), "required key is missing")


def _string(value: object, path: Path, *, one_line: bool = True) -> str:
    if not isinstance(value, str):
        raise Invalid(path, f"expected a string, got {_type_name(value)}")
    if not value.strip():
        raise Invalid(path, "must not be empty")
    if one_line and any(ch in _LINE_BREAKS for ch in value):
        raise Invalid(path, "must be one line")
    return value


def _strings(value: object, path: Path) -> list[tuple[str, Path]]:
    """A string or a non-empty array of strings, each with its own key path."""
    if isinstance(value, str):
        return [(value, path)]
    if not isinstance(value, list):
        raise Invalid(path, f"expected a string or an array of strings, got {_type_name(value)}")
    if not value:
        raise Invalid(path, "empty array; give at least one")
    out = []
    for i, item in enumerate(value):
        if not isinstance(item, str):
            raise Invalid(path + (i,), f"expected a string, got {_type_name(item)}")
        out.append((item, path + (i,)))
    return out


def _number(value: object, path: Path, lo: float, hi: float, *, lo_open: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise Invalid(path, f"expected a number, got {_type_name(value)}")
    x = float(value)
    ok = (lo < x if lo_open else lo <= x) and x <= hi  # also false for nan
    if not ok:
        raise Invalid(path, f"{value!r} is out of range {'(' if lo_open else '['}{lo:g}, {hi:g}]")
    return x


def _input(value: str, path: Path) -> str:
    kind = input_kind(value)
    if kind is None:
        hint = suggest_input(value)
        raise Invalid(
            path,
            f"unknown input name {_q(value)}" + (f" (did you mean {_q(hint)}?)" if hint else ""),
        )
    return value


def _button_input(value: str, path: Path, role: str) -> str:
    kind = input_kind(_input(value, path))
    if kind != "button":
        raise Invalid(path, f"{role} take button inputs; {_q(value)} is {_a(kind or '')}")
    return value


def freeze(value: Any) -> Any:
    """Overlay values, read-only all the way down (tables -> mappings, arrays -> tuples)."""
    if isinstance(value, dict):
        return MappingProxyType({k: freeze(v) for k, v in value.items()})
    if isinstance(value, list):
        return tuple(freeze(v) for v in value)
    return value


# --- the parts of a map ------------------------------------------------------------------------


def check_schema(doc: Mapping[str, Any]) -> str:
    if "schema" not in doc:
        raise Invalid(("schema",), f"required key is missing (expected {_q(SCHEMA)})")
    value = doc["schema"]
    if not isinstance(value, str):
        raise Invalid(("schema",), f"expected a string, got {_type_name(value)}")
    m = _SCHEMA_RE.fullmatch(value)
    if not m:
        raise Invalid(("schema",), f"unknown schema {_q(value)} (expected {_q(SCHEMA)})")
    major = int(m.group(1))
    if major != 1:
        raise Invalid(
            ("schema",), f"unsupported schema major {major} (this Hindsight reads {_q(SCHEMA)})"
        )
    return value


def check_id(value: object, path: Path) -> str:
    if not isinstance(value, str):
        raise Invalid(path, f"expected a string, got {_type_name(value)}")
    if not _ID_RE.fullmatch(value):
        raise Invalid(
            path,
            f"bad id {_q(value)}: expected '<publisher>.<game>' in lowercase letters, digits and "
            "hyphens with exactly one dot, e.g. 'valve.counter-strike-2'",
        )
    return value


def _version(value: object, path: Path) -> str:
    if not isinstance(value, str):
        raise Invalid(path, f"expected a string, got {_type_name(value)}")
    if not _SEMVER_RE.fullmatch(value):
        raise Invalid(
            path,
            f"{_q(value)} is not a semantic version (expected MAJOR.MINOR.PATCH, e.g. '1.0.0')",
        )
    return value


def match_rule(value: object, path: Path, *, required: bool) -> MatchRule:
    table = table_at(value, path)
    check_keys(table, path, ("exe", "steam_appid"))
    exe: tuple[str, ...] = ()
    if "exe" in table:
        raw = table["exe"]
        if isinstance(raw, list) and not raw:
            items = []
        else:
            items = _strings(raw, path + ("exe",))
        for name, p in items:
            _string(name, p)
            if "/" in name or "\\" in name:
                raise Invalid(p, f"{_q(name)} is a path; give the executable's file name only")
        exe = tuple(name for name, _ in items)
    appid = table.get("steam_appid")
    if appid is not None and (isinstance(appid, bool) or not isinstance(appid, int) or appid <= 0):
        raise Invalid(path + ("steam_appid",), f"expected a positive integer, got {_q(appid)}")
    if required and not exe and appid is None:
        raise Invalid(path, "give exe, steam_appid or both, so the game can be recognised")
    return MatchRule(exe=exe, steam_appid=appid)


def _actions(value: object, path: Path) -> tuple[ActionDef, ...]:
    table = table_at(value, path)
    if not table:
        raise Invalid(path, "declare at least one action")
    out = []
    for name, spec in table.items():
        p = path + (name,)
        if not _NAME_RE.fullmatch(name):
            raise Invalid(p, f"bad action name {_q(name)}: {_NAME_RULE}")
        spec = table_at(spec, p)
        check_keys(spec, p, ("kind", "label"), ("kind", "label"))
        kind = spec["kind"]
        if kind not in ACTION_KINDS:
            raise Invalid(
                p + ("kind",),
                f"unknown kind {_q(kind)} (expected one of {', '.join(ACTION_KINDS)})",
            )
        out.append(
            ActionDef(
                name=name, kind=ActionKind(kind), label=_string(spec["label"], p + ("label",))
            )
        )
    return tuple(out)


def _binding(raw: object, path: Path, kinds: Mapping[str, str]) -> Binding:
    table = table_at(raw, path)
    check_keys(table, path, BINDING_KEYS, ("action",))
    action = table["action"]
    if not isinstance(action, str):
        raise Invalid(path + ("action",), f"expected a string, got {_type_name(action)}")
    if action not in kinds:
        raise Invalid(
            path + ("action",),
            f"action {_q(action)} used but not declared in [actions]{_did_you_mean(action, kinds)}",
        )
    akind = ActionKind(kinds[action])  # declared kinds were checked already
    if ("source" in table) == ("composite" in table):
        raise Invalid(path, "give exactly one of 'source' or 'composite'")
    sources: tuple[str, ...] = ()
    composite: tuple[tuple[str, str], ...] = ()
    if "source" in table:
        checked = []
        for name, p in _strings(table["source"], path + ("source",)):
            ikind = input_kind(_input(name, p))
            if ikind not in ACCEPTS[akind]:
                raise Invalid(
                    p,
                    f"cannot bind {ikind} input {_q(name)} to {akind} action {_q(action)} "
                    f"({_a(akind)} action takes {_ACCEPTS_TEXT[akind]})",
                )
            checked.append(name)
        sources = tuple(checked)
    else:
        cpath = path + ("composite",)
        if akind not in COMPOSITE_PARTS:
            raise Invalid(
                cpath,
                "a composite is only for axis1d and axis2d actions; "
                f"{_q(action)} is {_a(akind)} action",
            )
        parts = COMPOSITE_PARTS[akind]
        ctable = table_at(table["composite"], cpath)
        check_keys(ctable, cpath, parts)
        if akind == ActionKind.AXIS2D:
            missing = [d for d in parts if d not in ctable]
            if missing:
                raise Invalid(
                    cpath,
                    f"missing direction {_q(missing[0])} "
                    "(an axis2d composite needs up, down, left and right)",
                )
        elif not ctable:
            raise Invalid(cpath, "give positive, negative or both")
        composite = tuple(
            (
                d,
                _button_input(
                    _string(ctable[d], cpath + (d,)), cpath + (d,), "composite directions"
                ),
            )
            for d in parts
            if d in ctable
        )
    kinds_in = {input_kind(s) for s in sources}
    fields: dict[str, Any] = {}
    if "mode" in table:
        if akind != ActionKind.BUTTON:
            raise Invalid(
                path + ("mode",),
                f"mode is only for button actions; {_q(action)} is {_a(akind)} action",
            )
        if table["mode"] not in BUTTON_MODES:
            raise Invalid(
                path + ("mode",),
                f"unknown mode {_q(table['mode'])} (expected one of {', '.join(BUTTON_MODES)})",
            )
        fields["mode"] = table["mode"]
    if "deadzone" in table:
        if "stick" not in kinds_in:
            raise Invalid(path + ("deadzone",), "deadzone applies to stick inputs only")
        fields["deadzone"] = _number(table["deadzone"], path + ("deadzone",), 0.0, 0.95)
    if "threshold" in table:
        if akind != ActionKind.BUTTON or "trigger" not in kinds_in:
            raise Invalid(
                path + ("threshold",), "threshold applies only to a trigger driving a button action"
            )
        fields["threshold"] = _number(
            table["threshold"], path + ("threshold",), 0.0, 1.0, lo_open=True
        )
    return Binding(action=action, sources=sources, composite=composite, **fields)


def switch_list(value: object, path: Path, set_names: Sequence[str]) -> tuple[Switch, ...]:
    if not isinstance(value, list):
        raise Invalid(path, f"expected an array of tables, got {_type_name(value)}")
    out = []
    for i, raw in enumerate(value):
        p = path + (i,)
        table = table_at(raw, p)
        check_keys(table, p, ("on", "to"), ("on", "to"))
        on = tuple(_button_input(n, np, "switches") for n, np in _strings(table["on"], p + ("on",)))
        to = table["to"]
        if not isinstance(to, str):
            raise Invalid(p + ("to",), f"expected a string, got {_type_name(to)}")
        if to not in set_names:
            hint = _did_you_mean(to, set_names) or f" (sets: {', '.join(set_names)})"
            raise Invalid(p + ("to",), f"switch to a missing set {_q(to)}{hint}")
        out.append(Switch(on=on, to=to))
    return tuple(out)


def bind_list(value: object, path: Path, kinds: Mapping[str, str]) -> tuple[Binding, ...]:
    if not isinstance(value, list):
        raise Invalid(path, f"expected an array of tables, got {_type_name(value)}")
    return tuple(_binding(raw, path + (i,), kinds) for i, raw in enumerate(value))


def marker_has_no_bind(table: Mapping[str, Any], path: Path, record: str) -> None:
    if record == "marker" and "bind" in table:
        raise Invalid(path + ("bind",), "a marker set drops every input, so it takes no bind")


def _sets(value: object, path: Path, kinds: Mapping[str, str]) -> tuple[ActionSet, ...]:
    table = table_at(value, path)
    if not table:
        raise Invalid(path, "declare at least one set; the first is the initial one")
    names = list(table)
    for name in names:
        if not _NAME_RE.fullmatch(name):
            raise Invalid(path + (name,), f"bad set name {_q(name)}: {_NAME_RULE}")
        if name in RESERVED_SETS:
            raise Invalid(
                path + (name,),
                f"{_q(name)} is reserved for the context the recorder reports itself",
            )
    out = []
    for name, raw in table.items():
        p = path + (name,)
        spec = table_at(raw, p)
        check_keys(spec, p, ("record", "bind", "switch"))
        record = spec.get("record", "actions")
        if record not in RECORD_KINDS:
            raise Invalid(
                p + ("record",),
                f"unknown record {_q(record)} (expected one of {', '.join(RECORD_KINDS)})",
            )
        marker_has_no_bind(spec, p, record)
        bindings = bind_list(spec["bind"], p + ("bind",), kinds) if "bind" in spec else ()
        switches = switch_list(spec["switch"], p + ("switch",), names) if "switch" in spec else ()
        out.append(ActionSet(name=name, record=record, bindings=bindings, switches=switches))
    return tuple(out)


def _overlay(value: object, path: Path) -> Mapping[str, Any]:
    table = table_at(value, path)
    if "template" in table and table["template"] not in OVERLAY_TEMPLATES:
        raise Invalid(
            path + ("template",),
            f"unknown template {_q(table['template'])} "
            f"(expected one of {', '.join(OVERLAY_TEMPLATES)})",
        )
    return freeze(table)


def build_map(doc: Mapping[str, Any]) -> ActionMap:
    """A full map from its document; ``source``/``text``/``sha256`` are left for the loader to
    fill."""
    schema = check_schema(doc)
    if "extends" in doc:
        raise Invalid(
            ("extends",),
            "this is a local override; it is loaded on top of the map it extends, not alone",
        )
    check_keys(doc, (), TOP_KEYS, ("id", "version", "title", "match", "actions", "sets"))
    actions = _actions(doc["actions"], ("actions",))
    kinds = {a.name: a.kind for a in actions}
    return ActionMap(
        id=check_id(doc["id"], ("id",)),
        version=_version(doc["version"], ("version",)),
        title=_string(doc["title"], ("title",)),
        match=match_rule(doc["match"], ("match",), required=True),
        actions=actions,
        sets=_sets(doc["sets"], ("sets",), kinds),
        schema=schema,
        overlay=_overlay(doc["overlay"], ("overlay",))
        if "overlay" in doc
        else MappingProxyType({}),
    )
