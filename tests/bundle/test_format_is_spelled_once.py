"""No part of Hindsight outside ``hindsight/bundle/`` types the clip format's names by hand.

Scans every module's syntax tree (docstrings excepted) for the bundle's file names,
the format name, the track's column names (``act.`` columns too, in f-strings) and
manifest section keys used to index something named like a manifest. A reader
imports these from :mod:`hindsight.bundle` instead.
"""

from __future__ import annotations

import ast
from dataclasses import fields
from pathlib import Path

import hindsight
from hindsight.bundle import BUNDLE_FILES, FORMAT_NAME, MANIFEST_FILE, Manifest
from hindsight.bundle import schema as col

ROOT = Path(hindsight.__file__).parent
OWNER = ROOT / "bundle"

# Strings no module outside the bundle package may contain in a literal: file names also inside
# a longer one without spaces (a key suffix ``"/manifest.json"``); prose for people (help text,
# messages) may name a file.
FILE_NAMES = (*BUNDLE_FILES, MANIFEST_FILE)
NAMES = {FORMAT_NAME, col.FRAME_INDEX, col.PTS_US, col.DUP_FRAME}
# Keys of the manifest's top level: indexing a manifest-named value with one re-types the format.
SECTIONS = {f.name for f in fields(Manifest)} - {"extra"}
# Column names that are ordinary words elsewhere: flagged only when indexing a table-like value.
TRACK_WORDS = {col.TIMESTAMP, col.CONTEXT, col.VALID}
TABLE_HINTS = ("manifest", "table", "track", "columns", "df")


def _docstrings(tree: ast.AST) -> set[int]:
    ids = set()
    for node in ast.walk(tree):
        if (
            isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
            and node.body
        ):
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                ids.add(id(first.value))
    return ids


def _named(node: ast.AST, hints: tuple[str, ...]) -> bool:
    """Whether the indexed value reads like one of ``hints`` (``manifest``, ``clip.manifest``)."""
    text = ast.unparse(node).lower()
    return any(h in text for h in hints)


def _key(node: ast.AST) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def violations(path: Path, root: Path = ROOT.parent) -> list[str]:
    """One line per hand-typed name: ``<path>:<line>: <what>``, in line order."""
    source = path.read_text(encoding="utf-8")
    tree = ast.parse(source, str(path))
    docs = _docstrings(tree)
    found: dict[int, str] = {}

    def flag(node: ast.AST, what: str) -> None:
        found.setdefault(node.lineno, f"{path.relative_to(root)}:{node.lineno}: {what}")

    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docs:
            words = node.value.split()
            if node.value in NAMES or (
                len(words) == 1 and any(name in words[0] for name in FILE_NAMES)
            ):
                flag(node, f"literal {node.value!r}")
            elif node.value.startswith(col.ACTION_PREFIX):
                flag(node, f"action column spelled by hand: {node.value!r}")
        elif isinstance(node, ast.JoinedStr):
            head = node.values[0] if node.values else None
            if isinstance(head, ast.Constant) and str(head.value).startswith(col.ACTION_PREFIX):
                flag(node, "action column spelled by hand in an f-string")
        elif isinstance(node, ast.Subscript):
            key = _key(node.slice)
            if key in SECTIONS and _named(node.value, ("manifest",)):
                flag(node, f"manifest section {key!r} indexed by hand")
            elif key in TRACK_WORDS and _named(node.value, TABLE_HINTS):
                flag(node, f"track column {key!r} indexed by hand")
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "get"
        ):
            key = _key(node.args[0]) if node.args else None
            if key in SECTIONS and _named(node.func.value, ("manifest",)):
                flag(node, f"manifest section {key!r} read with .get")
            elif key in TRACK_WORDS and _named(node.func.value, TABLE_HINTS):
                flag(node, f"track column {key!r} read with .get")
    return [found[line] for line in sorted(found)]


def test_only_the_bundle_package_spells_the_clip_format() -> None:
    modules = [p for p in sorted(ROOT.rglob("*.py")) if OWNER not in p.parents]
    assert len(modules) > 50  # the scan really walked the package
    found = [v for p in modules for v in violations(p)]
    assert found == [], "import these from hindsight.bundle instead:\n" + "\n".join(found)


def test_the_scan_catches_each_kind_of_hand_typed_name(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"  # only parsed, never imported
    sample.write_text(
        '"""A docstring may say manifest.json."""\n'
        'a = clip / "video.mp4"\n'
        'b = manifest["video"]["frames"]\n'
        'c = self.manifest.get("files")\n'
        'd = table["valid"]\n'
        'e = f"act.{name}.n"\n'
        'f = "act.jump"\n'
        'g = [k for k in keys if k.endswith("/manifest.json")]\n'
        'h = settings.get("game")\n'  # a settings key that happens to share a name: fine
        'i = reply["clip_id"]\n'  # so is a status reply's
    )
    found = violations(sample, tmp_path)
    assert [line.split(":")[1] for line in found] == ["2", "3", "4", "5", "6", "7", "8"]
