"""The data-team side's one error: bad input to ``hindsight dataset`` (a source, an option)."""

from __future__ import annotations

from hindsight.errors import HindsightError

__all__ = ["DatasetError"]


class DatasetError(HindsightError):
    """A dataset source, option or output that cannot be used; the message is one line."""
