"""The one error of the data-team side: a source, an option or an output the dataset tools
cannot use."""

from __future__ import annotations

from hindsight.errors import HindsightError

__all__ = ["DatasetError"]


class DatasetError(HindsightError):
    """A source that is not a folder of clips nor a reachable ``s3://bucket/prefix``, an
    option the tools cannot use, no matching clip, an output in the way; the message is
    the one line to show."""

    exit_code = 2
