"""The dataset tools' error: one line saying which clips or options cannot be used and why."""

from __future__ import annotations

from hindsight.errors import HindsightError

__all__ = ["DatasetError"]


class DatasetError(HindsightError):
    """A dataset command cannot go on: bad options, no matching clip, an output in the way."""
