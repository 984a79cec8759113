"""Editing ``settings.toml`` in place: set or remove one key of one table, keep everything else.

The user's file is theirs: their comments, blank lines, key order and quoting stay as
they wrote them. The document is parsed with tomlkit and edited, never rebuilt from
a dict; a key that is not in the file yet goes at the end of its table, and a table
that is not there yet goes at the end of the file. Writing is atomic (a temp file in
the same folder, fsynced, then renamed), so a crash never leaves half a settings file.
Qt-free: the settings window and the command line can both use it.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

import tomlkit
from tomlkit.exceptions import TOMLKitError

from hindsight.errors import HindsightError

__all__ = ["SettingsWriteError", "load_document", "set_value", "write_document"]


class SettingsWriteError(HindsightError):
    """The settings file cannot be read as TOML or cannot be written."""


def load_document(path: Path) -> tomlkit.TOMLDocument:
    """The file as an editable document (an empty one when there is no file yet)."""
    try:
        text = path.read_text("utf-8")
    except FileNotFoundError:
        return tomlkit.document()
    except OSError as err:
        raise SettingsWriteError(f"{path}: cannot be read: {err.strerror}") from None
    try:
        return tomlkit.parse(text)
    except TOMLKitError as err:
        raise SettingsWriteError(f"{path}: not valid TOML: {err}") from None


def set_value(doc: tomlkit.TOMLDocument, table: str, key: str, value: Any) -> None:  # noqa: ANN401
    """Set ``[table] key = value``; ``None`` removes the key, so the built-in default applies.

    Assigning over an existing key keeps its trailing comment (tomlkit carries the
    item's trivia over); an emptied table stays, with its comments.
    """
    section = doc.get(table)
    if value is None:
        if section is not None and key in section:
            del section[key]
        return
    if section is None:
        # A new table goes last; a blank line keeps it apart from what the user wrote.
        section = tomlkit.table()
        doc.add(table, section)
    elif not isinstance(section, dict):
        raise SettingsWriteError(f"[{table}] in the settings file is not a table")
    # tomlkit puts a new key after the table's last key, before its closing blank lines.
    section[key] = value


def write_document(doc: tomlkit.TOMLDocument, path: Path) -> None:
    """Write ``doc`` to ``path`` atomically, keeping the file's permissions."""
    text = tomlkit.dumps(doc)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        mode = path.stat().st_mode & 0o777 if path.exists() else 0o644
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(text)
                fh.flush()
                os.fsync(fh.fileno())
            os.chmod(tmp, mode)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    except OSError as err:
        raise SettingsWriteError(f"{path}: cannot be written: {err.strerror}") from None
