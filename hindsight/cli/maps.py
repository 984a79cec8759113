"""The ``hindsight maps`` commands: list, show and validate action maps.

``register(sub)`` adds them to the ``hindsight`` parser; ``main(argv)`` runs them on
their own (``argv`` without the leading ``maps``), with the same one-line errors.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from hindsight.actionmap.load import (
    ActionMapError,
    apply_override,
    dump_map,
    override_target,
    parse_map,
    read_map_file,
)
from hindsight.actionmap.model import ActionKind, ActionMap, Binding
from hindsight.actionmap.names import input_kind
from hindsight.actionmap.registry import (
    SHIPPED_DIR,
    MapRegistry,
    unknown_base,
    user_maps_dir,
)
from hindsight.errors import HindsightError
from hindsight.recorder.errors import ConfigError

__all__ = ["main", "register"]

_MAPS_HELP = """\
Action maps translate keyboard, mouse and controller input into a game's named actions
(move, jump, attack); only those actions are recorded, never the keys.

  shipped maps:   {shipped}
  your own maps:  {user}
                  (full maps, and local rebinding files that never leave this computer)

--maps-dir adds more folders; later folders win. SCHEMA.md beside the shipped maps
describes the format.
"""


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "maps",
        help="list / show / validate action maps",
        description=_MAPS_HELP.format(shipped=SHIPPED_DIR, user=user_maps_dir()),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.set_defaults(func=lambda args, p=p: _help(p))
    msub = p.add_subparsers(dest="maps_command", metavar="SUBCOMMAND")

    def maps_dir(q: argparse.ArgumentParser) -> None:
        q.add_argument(
            "--maps-dir",
            dest="maps_dirs",
            action="append",
            type=Path,
            default=[],
            metavar="DIR",
            help="also load the maps in DIR (repeatable; later folders win)",
        )

    q = msub.add_parser(
        "list", help="the known maps: id, version, title, how each game is recognised"
    )
    maps_dir(q)
    q.set_defaults(func=cmd_list)

    q = msub.add_parser("show", help="print one map's TOML (or a JSON summary with --json)")
    q.add_argument("game", metavar="GAME", help="the map's id, e.g. valve.counter-strike-2")
    q.add_argument("--json", action="store_true", help="print a JSON summary instead of the TOML")
    maps_dir(q)
    q.set_defaults(func=cmd_show)

    q = msub.add_parser(
        "validate", help="check map files; prints ok or the problem, one line per file"
    )
    q.add_argument(
        "files",
        nargs="+",
        type=Path,
        metavar="FILE",
        help="map files; a local override is checked against the map it extends",
    )
    maps_dir(q)
    q.set_defaults(func=cmd_validate)


def _help(parser: argparse.ArgumentParser) -> int:
    parser.print_help()
    return 0


def _registry(args: argparse.Namespace) -> MapRegistry:
    # The registry's own warnings would go through logging; here each is one stderr line.
    registry = MapRegistry(args.maps_dirs, log_errors=False)
    for err in registry.errors:
        print(f"hindsight: warning: skipped {err}", file=sys.stderr)
    return registry


def _origin(amap: ActionMap) -> str:
    try:
        Path(amap.source).relative_to(SHIPPED_DIR)
        origin = "shipped"
    except ValueError:
        origin = amap.source
    return origin + (" (local override)" if amap.extends else "")


def _match_text(amap: ActionMap) -> str:
    parts = list(amap.match.exe[:3])
    if len(amap.match.exe) > 3:
        parts.append(f"+{len(amap.match.exe) - 3} more")
    if amap.match.steam_appid is not None:
        parts.append(f"steam:{amap.match.steam_appid}")
    return ", ".join(parts) or "-"


def cmd_list(args: argparse.Namespace) -> int:
    registry = _registry(args)
    rows = [("ID", "VERSION", "TITLE", "MATCH", "FROM")]
    rows += [(m.id, m.version, m.title, _match_text(m), _origin(m)) for m in registry.maps()]
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    for row in rows:
        print(
            "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=False)) + "  " + row[4]
        )
    if not registry.maps():
        print(f"(no action maps; user maps go in {user_maps_dir()})")
    return 0


def _binding_summary(b: Binding, kind: str) -> dict[str, Any]:
    out: dict[str, Any] = {"action": b.action}
    if b.composite:
        out["composite"] = dict(b.composite)
    else:
        out["sources"] = list(b.sources)
    kinds = {input_kind(s) for s in b.sources}
    # Only the settings that apply to this binding (the loader rejects the others).
    if kind == ActionKind.BUTTON:
        out["mode"] = b.mode
    if "stick" in kinds:
        out["deadzone"] = b.deadzone
    if kind == ActionKind.BUTTON and "trigger" in kinds:
        out["threshold"] = b.threshold
    return out


def summary(amap: ActionMap) -> dict[str, Any]:
    """A JSON-ready description of a map (what ``maps show --json`` prints)."""
    kinds = {a.name: a.kind for a in amap.actions}
    return {
        "id": amap.id,
        "version": amap.version,
        "title": amap.title,
        "schema": amap.schema,
        "source": amap.source,
        "sha256": amap.sha256,
        "extends": amap.extends,
        "match": {"exe": list(amap.match.exe), "steam_appid": amap.match.steam_appid},
        "actions": [{"name": a.name, "kind": a.kind, "label": a.label} for a in amap.actions],
        "initial_set": amap.initial_set.name,
        "sets": [
            {
                "name": s.name,
                "record": s.record,
                "bindings": [_binding_summary(b, kinds.get(b.action, "")) for b in s.bindings],
                "switches": [{"on": list(w.on), "to": w.to} for w in s.switches],
            }
            for s in amap.sets
        ],
        "overlay": _plain(amap.overlay),
    }


def _plain(value: Any) -> Any:
    if hasattr(value, "items"):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    return value


def cmd_show(args: argparse.Namespace) -> int:
    amap = _registry(args).get(args.game)
    if args.json:
        print(json.dumps(summary(amap), indent=2, default=str))
    elif amap.extends:
        # The effective bindings, not the shipped text the override was applied to.
        sys.stdout.write(dump_map(amap))
    else:
        sys.stdout.write(amap.text if amap.text.endswith("\n") else amap.text + "\n")
    return 0


def _check_file(path: Path, args: argparse.Namespace, registry: list[MapRegistry]) -> ActionMap:
    text = read_map_file(path)
    target = override_target(text, str(path))
    if target is None:
        return parse_map(text, str(path))
    if not registry:  # only overrides need the other maps; load them once
        registry.append(MapRegistry(args.maps_dirs, log_errors=False))
    try:
        base = registry[0].base(target)
    except ConfigError:
        raise unknown_base(str(path), target) from None
    return apply_override(base, text, str(path))


def cmd_validate(args: argparse.Namespace) -> int:
    failed = 0
    registry: list[MapRegistry] = []
    for path in args.files:
        try:
            amap = _check_file(path, args, registry)
        except ActionMapError as err:
            failed += 1
            print(f"hindsight: error: {err}", file=sys.stderr)
            continue
        kind = f"override of {amap.ref}" if amap.extends else amap.ref
        print(f"ok: {path} ({kind}, {len(amap.actions)} actions, {len(amap.sets)} sets)")
    return 1 if failed else 0


def main(argv: Sequence[str] | None = None) -> int:
    """``hindsight maps ...`` on its own; ``argv`` is what follows ``maps`` (a leading "maps" is
    allowed)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["maps"]:
        argv = argv[1:]
    parser = argparse.ArgumentParser(prog="hindsight")
    register(parser.add_subparsers(dest="command", metavar="COMMAND"))
    try:
        args = parser.parse_args(["maps", *argv])
    except SystemExit as exit_:  # argparse has printed its usage line and error
        return int(exit_.code or 0)
    try:
        return int(args.func(args) or 0)
    except HindsightError as err:
        print(f"hindsight: error: {err}", file=sys.stderr)
        return err.exit_code
