"""The one exception base of Hindsight.

Every error a user can cause derives from :class:`HindsightError`; its message is
one line that says what is wrong and, where possible, what to do. The CLI prints
that line and exits non-zero; anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

__all__ = ["ConfigError", "HindsightError"]


class HindsightError(Exception):
    """Base of all errors a user can cause; ``str(err)`` is the line to show."""

    exit_code: int = 1


class ConfigError(HindsightError):
    """A setting, option or action map has a value that cannot be used."""

    exit_code = 2
