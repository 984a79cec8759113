"""Reading ``settings.toml``: the file once, then one table checked against its known keys and
types.

Each package owns its table (``[record]``, ``[upload]``, ``[library]``) and its error
class; this module only reads and checks, so a typo is rejected with the file and the
key instead of silently falling back to a default.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from hindsight.errors import HindsightError

__all__ = ["read_settings_file", "checked_table"]

KeyTypes = Mapping[str, type | tuple[type, ...]]


def read_settings_file(path: Path, error: type[HindsightError]) -> dict[str, Any]:
    """The whole file as a dict (empty when there is no file); unreadable or bad TOML raises
    ``error``."""
    if not path.exists():
        return {}
    try:
        with open(path, "rb") as fh:
            return tomllib.load(fh)
    except tomllib.TOMLDecodeError as err:
        raise error(f"{path}: not valid TOML: {err}") from None
    except OSError as err:
        raise error(f"{path}: cannot be read: {err.strerror}") from None


def checked_table(
    data: Mapping[str, Any], table: str, known: KeyTypes, path: Path, error: type[HindsightError]
) -> dict[str, Any]:
    """``data[table]`` with every key known and of its type (ints are not bools), else ``error``."""
    values = data.get(table, {})
    if not isinstance(values, dict):
        raise error(f"{path}: [{table}] must be a table")
    for key, value in values.items():
        expected = known.get(key)
        if expected is None:
            raise error(
                f"{path}: {table}.{key}: unknown setting (known: {', '.join(sorted(known))})"
            )
        if not isinstance(value, expected) or (expected is int and isinstance(value, bool)):
            raise error(f"{path}: {table}.{key}: expected {_type_name(expected)}, got {value!r}")
    return dict(values)


def _type_name(expected: type | tuple[type, ...]) -> str:
    if isinstance(expected, tuple):
        return " or ".join(t.__name__ for t in expected)
    return expected.__name__
