"""Judging an edit of ``settings.toml`` as the command line would: the same checks, the same line.

A change is judged by the very functions ``hindsight record`` / ``upload`` /
``overlay`` run on the settings file, on a copy of the edited file, so the settings
window refuses exactly what a command would refuse, with its words (the copy's path
replaced by the real one). Qt-free.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import tomlkit
from tomlkit.exceptions import TOMLKitError

from hindsight.app.settings_schema import Change
from hindsight.app.settings_writer import set_value
from hindsight.errors import HindsightError
from hindsight.overlay.settings import load_overlay_settings
from hindsight.recorder import settings as record_settings
from hindsight.recorder.input.hotkey import parse_hotkey
from hindsight.uploader.settings import build_upload_config, load_uploader_settings

__all__ = ["CHECKS", "apply_changes", "check_text", "field_errors"]


def _check_record(path: Path) -> None:
    # What `hindsight record --settings FILE` runs before it starts anything, then the
    # hotkey parser the recorder runs when it installs the hotkey.
    config = record_settings.build_recorder_config({}, record_settings.load_settings(path))
    parse_hotkey(config.hotkey)


def _check_upload(path: Path) -> None:
    # What `hindsight upload --settings FILE` runs (policy.upload_config).
    build_upload_config({}, load_uploader_settings(path)["upload"])


def _check_overlay(path: Path) -> None:
    # What `hindsight overlay live|render --settings FILE` runs.
    load_overlay_settings(path)


CHECKS: tuple[Callable[[Path], None], ...] = (_check_record, _check_upload, _check_overlay)


def check_text(text: str, path: Path) -> str | None:
    """The command line's one-line complaint about a settings file holding ``text`` at ``path``,
    or None when every command would accept it."""
    with tempfile.TemporaryDirectory(prefix="hindsight-settings-") as tmp:
        copy = Path(tmp) / path.name
        copy.write_text(text, "utf-8")
        for check in CHECKS:
            try:
                check(copy)
            except HindsightError as err:
                # The message names the copy; the user knows the file by its real path.
                return str(err).replace(str(copy), str(path))
    return None


def apply_changes(text: str, changes: Mapping[Change, Any]) -> str:
    """``text`` with each (table, key) set to its value (None removes the key)."""
    doc = tomlkit.parse(text)
    for (table, key), value in changes.items():
        set_value(doc, table, key, value)
    return tomlkit.dumps(doc)


def field_errors(
    text: str, changes: Mapping[Change, Any], path: Path
) -> tuple[dict[Change, str], str | None]:
    """Which changed fields the command line would refuse, each with its line, and a line for
    what no single field explains (a file already broken, or two fields that clash).

    A field is at fault when its change alone makes a good file bad, or, for a clash,
    when taking its change back makes the whole edit good.
    """
    try:
        whole = check_text(apply_changes(text, changes), path)
    except TOMLKitError:
        # Not TOML at all: nothing can be edited in it; the command line's line says where.
        return {}, check_text(text, path)
    if whole is None:
        return {}, None
    base_error = check_text(text, path)
    errors: dict[Change, str] = {}
    for change, value in changes.items():
        error = check_text(apply_changes(text, {change: value}), path)
        if error is not None and error != base_error:
            errors[change] = error
    if errors:
        return errors, None
    for change in changes:
        rest = {c: v for c, v in changes.items() if c != change}
        if check_text(apply_changes(text, rest), path) is None:
            errors[change] = whole
    return errors, (None if errors else whole)
