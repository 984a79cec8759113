"""Loading, validating and writing action maps (``action_maps/<game-id>.toml``, DESIGN 4.1).

:func:`parse_map` / :func:`load_map` turn TOML into the frozen
:class:`~hindsight.actionmap.model.ActionMap` or raise :class:`ActionMapError`,
whose message is one line: ``<file>: <key.path>: <what is wrong>``. :func:`dump_map`
writes the canonical TOML of a map, and :func:`apply_override` puts a user's local
rebinding file on top of the map it extends. The checks themselves live in
:mod:`hindsight.actionmap.validate`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import math
import re
import tomllib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from hindsight.actionmap import validate as _validate
from hindsight.actionmap.model import ActionKind, ActionMap, ActionSet, Binding, MatchRule
from hindsight.actionmap.names import input_kind
from hindsight.actionmap.validate import Invalid, format_key_path
from hindsight.errors import ConfigError

__all__ = [
    "ActionMapError",
    "apply_override",
    "dump_map",
    "load_map",
    "override_target",
    "parse_map",
    "read_map_file",
]

# Every character str.splitlines() breaks on, shown escaped so a message stays one line.
_LINE_BREAK_ESCAPES = {ord(ch): repr(ch)[1:-1] for ch in "\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"}
_BARE_KEY_RE = re.compile(r"[A-Za-z0-9_-]+", re.ASCII)


class ActionMapError(ConfigError):
    """An action map that cannot be used: ``<file>: <key.path>: <what is wrong>`` on one line.

    ``path`` is the file (or source name), ``key_path`` the dotted key inside it (empty
    when the problem is the file as a whole), ``problem`` what is wrong.
    """

    def __init__(self, path: str, key_path: str, problem: str) -> None:
        self.path = str(path)
        self.key_path = key_path
        self.problem = problem
        parts = [self.path, key_path, problem] if key_path else [self.path, problem]
        super().__init__(": ".join(parts).translate(_LINE_BREAK_ESCAPES))

    def __reduce__(self) -> tuple[Any, ...]:
        # Survives pickling (worker processes, multiprocessing queues) with its parts.
        return (type(self), (self.path, self.key_path, self.problem))


def _error(source: str, err: Invalid) -> ActionMapError:
    return ActionMapError(source, format_key_path(err.path), err.problem)


def _document(text: str, source: str) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        # tomllib puts "(at line L, column C)" in the message; that is the position to show.
        raise ActionMapError(source, "", f"not valid TOML: {err}") from None
    except RecursionError:
        raise ActionMapError(source, "", "not valid TOML: nested too deeply") from None


def _sha256(text: str, source: str) -> str:
    try:
        return hashlib.sha256(text.encode("utf-8")).hexdigest()
    except UnicodeEncodeError:
        raise ActionMapError(
            source, "", "text cannot be stored as UTF-8 (it holds a lone surrogate)"
        ) from None


def parse_map(text: str, source: str = "<string>") -> ActionMap:
    """Validate a full map's TOML text; ``source`` names it in errors and on the result."""
    doc = _document(text, source)
    digest = _sha256(text, source)
    try:
        amap = _validate.build_map(doc)
    except Invalid as err:
        raise _error(source, err) from None
    except RecursionError:
        raise ActionMapError(source, "", "nested too deeply") from None
    return _replace(amap, source=source, text=text, sha256=digest)


def read_map_file(path: Path) -> str:
    """A map file's text, or an :class:`ActionMapError` saying why it cannot be read."""
    source = str(path)
    try:
        data = Path(path).read_bytes()
    except FileNotFoundError:
        raise ActionMapError(source, "", "no such file") from None
    except IsADirectoryError:
        raise ActionMapError(source, "", "is a folder, not a map file") from None
    except OSError as err:
        raise ActionMapError(source, "", f"cannot read: {err.strerror or err}") from None
    try:
        # Tolerate the byte-order mark some Windows editors write.
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        problem = f"not UTF-8 text (byte 0x{data[err.start]:02x} at offset {err.start})"
        raise ActionMapError(source, "", problem) from None


def load_map(path: Path) -> ActionMap:
    """Read and validate one full map file."""
    return parse_map(read_map_file(path), str(path))


def override_target(text: str, source: str = "<string>") -> str | None:
    """The id a file ``extends`` if it is a local override, else None (raises on broken TOML)."""
    doc = _document(text, source)
    if "extends" not in doc:
        return None
    try:
        return _validate.check_id(doc["extends"], ("extends",))
    except Invalid as err:
        raise _error(source, err) from None


def apply_override(base: ActionMap, override_text: str, source: str) -> ActionMap:
    """``base`` with a user's local rebinding file applied.

    The override's ``[sets.<name>] bind`` lists replace the base's bindings of the
    actions they mention in that set (others keep theirs); ``switch`` replaces the set's
    switches; ``[match]`` keys replace the base's. The result keeps the base's id,
    version, title, ``text`` and ``sha256``: an override is local and never leaves the
    machine (DESIGN 4.1), so what travels with a clip is the map it extends.
    ``extends`` is set to the base id and ``source`` to the override's path;
    :func:`dump_map` gives the merged map when the effective bindings are needed.
    """
    doc = _document(override_text, source)
    try:
        merged = _override(doc, base)
    except Invalid as err:
        raise _error(source, err) from None
    except RecursionError:
        raise ActionMapError(source, "", "nested too deeply") from None
    return _replace(merged, source=source)


def _replace(amap: ActionMap, **changes: Any) -> ActionMap:
    return dataclasses.replace(amap, **changes)


# --- local overrides ---------------------------------------------------------------------------

_OVERRIDE_KEYS = ("schema", "extends", "match", "sets")


def _merge_bindings(base: Sequence[Binding], new: Sequence[Binding]) -> tuple[Binding, ...]:
    """Replace the base's bindings of every action ``new`` mentions, where the first of them
    stood."""
    by_action: dict[str, list[Binding]] = {}
    for b in new:
        by_action.setdefault(b.action, []).append(b)
    out: list[Binding] = []
    placed: set[str] = set()
    for b in base:
        if b.action not in by_action:
            out.append(b)
        elif b.action not in placed:
            out.extend(by_action[b.action])
            placed.add(b.action)
    for action, bindings in by_action.items():
        if action not in placed:
            out.extend(bindings)
    return tuple(out)


def _override(doc: Mapping[str, Any], base: ActionMap) -> ActionMap:
    """``base`` with an override document applied; identity, actions and sets stay the base's."""
    v = _validate
    v.check_schema(doc)
    for key in ("id", "version", "title"):
        if key in doc:
            raise Invalid(
                (key,),
                "an override keeps the id, version and title of the map it extends; "
                "remove this key",
            )
    for key in ("actions", "overlay"):
        if key in doc:
            raise Invalid(
                (key,), f"an override only rebinds; it cannot change [{key}] of the map it extends"
            )
    v.check_keys(doc, (), _OVERRIDE_KEYS, ("extends",))
    target = v.check_id(doc["extends"], ("extends",))
    if target != base.id:
        raise Invalid(("extends",), f"extends {target!r} but was applied to {base.id!r}")
    match = base.match
    if "match" in doc:
        given = v.table_at(doc["match"], ("match",))
        m = v.match_rule(given, ("match",), required=False)
        # Only the keys the override gives replace the base's.
        match = MatchRule(
            exe=m.exe if "exe" in given else match.exe,
            steam_appid=m.steam_appid if "steam_appid" in given else match.steam_appid,
        )
    kinds = {a.name: a.kind for a in base.actions}
    set_names = [s.name for s in base.sets]
    changed: dict[str, ActionSet] = {}
    for name, raw in v.table_at(doc.get("sets", {}), ("sets",)).items():
        p = ("sets", name)
        if name not in set_names:
            raise Invalid(
                p,
                f"set {name!r} is not in {base.id!r} (sets: {', '.join(set_names)}); "
                "an override cannot add sets",
            )
        spec = v.table_at(raw, p)
        v.check_keys(spec, p, ("bind", "switch"))
        new = old = base.set_named(name)
        v.marker_has_no_bind(spec, p, old.record)
        if "bind" in spec:
            bindings = v.bind_list(spec["bind"], p + ("bind",), kinds)
            new = dataclasses.replace(new, bindings=_merge_bindings(old.bindings, bindings))
        if "switch" in spec:
            new = dataclasses.replace(
                new, switches=v.switch_list(spec["switch"], p + ("switch",), set_names)
            )
        changed[name] = new
    sets = tuple(changed.get(s.name, s) for s in base.sets)
    return dataclasses.replace(base, match=match, sets=sets, extends=base.id)


# --- writing -----------------------------------------------------------------------------------


def _key(key: str) -> str:
    return key if _BARE_KEY_RE.fullmatch(key) else _string(key)


def _string(s: str) -> str:
    out = ['"']
    for ch in s:
        code = ord(ch)
        if ch == '"':
            out.append('\\"')
        elif ch == "\\":
            out.append("\\\\")
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\t":
            out.append("\\t")
        elif code < 0x20 or code == 0x7F:
            out.append(f"\\u{code:04X}")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def _value(value: Any) -> str:
    """One TOML value on one line (tables inline)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, str):
        return _string(value)
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, Mapping):
        if not value:
            return "{}"
        return "{ " + ", ".join(f"{_key(k)} = {_value(v)}" for k, v in value.items()) + " }"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    raise TypeError(f"cannot write {type(value).__name__} as TOML")


def _one_or_many(names: tuple[str, ...]) -> str:
    return _value(names[0]) if len(names) == 1 else _value(list(names))


def _binding_line(b: Binding, kind: str) -> str:
    fields = [f"action = {_value(b.action)}"]
    if b.composite:
        fields.append(f"composite = {_value(dict(b.composite))}")
    else:
        fields.append(f"source = {_one_or_many(b.sources)}")
    kinds = {input_kind(s) for s in b.sources}
    # Only keys the loader accepts for this binding, and only when they differ from the default.
    if kind == ActionKind.BUTTON and b.mode != "hold":
        fields.append(f"mode = {_value(b.mode)}")
    if "stick" in kinds and b.deadzone != _validate.DEFAULT_DEADZONE:
        fields.append(f"deadzone = {_value(b.deadzone)}")
    if (
        kind == ActionKind.BUTTON
        and "trigger" in kinds
        and b.threshold != _validate.DEFAULT_THRESHOLD
    ):
        fields.append(f"threshold = {_value(b.threshold)}")
    return "{ " + ", ".join(fields) + " }"


def dump_map(amap: ActionMap) -> str:
    """The canonical TOML of a map: sets, bindings and actions in their order, defaults left out."""
    lines: list[str] = []
    if amap.extends:
        lines.append(
            f"# {amap.id} merged with a local override ({amap.source}); the override is never "
            "uploaded"
        )
    lines += [
        f"schema = {_value(amap.schema)}",
        f"id = {_value(amap.id)}",
        f"version = {_value(amap.version)}",
        f"title = {_value(amap.title)}",
        "",
        "[match]",
    ]
    if amap.match.exe:
        lines.append(f"exe = {_one_or_many(amap.match.exe)}")
    if amap.match.steam_appid is not None:
        lines.append(f"steam_appid = {amap.match.steam_appid}")
    lines += ["", "[actions]"]
    lines += [
        f"{_key(a.name)} = {{ kind = {_value(a.kind)}, label = {_value(a.label)} }}"
        for a in amap.actions
    ]
    kinds = {a.name: a.kind for a in amap.actions}
    for s in amap.sets:
        lines += ["", f"[sets.{_key(s.name)}]", f"record = {_value(s.record)}"]
        if s.bindings and s.record != "marker":
            lines.append("bind = [")
            lines += [f"    {_binding_line(b, kinds.get(b.action, ''))}," for b in s.bindings]
            lines.append("]")
        if s.switches:
            lines.append("switch = [")
            lines += [
                f"    {{ on = {_one_or_many(w.on)}, to = {_value(w.to)} }}," for w in s.switches
            ]
            lines.append("]")
    if amap.overlay:
        lines += ["", "[overlay]"]
        lines += [f"{_key(k)} = {_value(v)}" for k, v in amap.overlay.items()]
    return "\n".join(lines) + "\n"
