"""The one error of the data-team side: a source or an option the dataset tools cannot use."""

from __future__ import annotations

from hindsight.errors import HindsightError

__all__ = ["DatasetError"]


class DatasetError(HindsightError):
    """A source that is not a folder of clips nor a reachable ``s3://bucket/prefix``, or an
    option the dataset tools cannot use; the message is the one line to show."""

    exit_code = 2
