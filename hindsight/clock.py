"""The one clock: every ``*_ns`` timestamp in Hindsight comes from :func:`now_ns`.

Frames, input events, audio blocks and save requests are stamped on it at the moment
they are observed. It is monotonic, so it never jumps with wall-clock changes; wall
time appears only in names and manifests (:func:`wall_utc`).
"""

from __future__ import annotations

import datetime as _dt
import time

__all__ = ["now_ns", "sleep_until_ns", "wall_utc", "NS_PER_S"]

NS_PER_S = 1_000_000_000

now_ns = time.monotonic_ns


def sleep_until_ns(deadline_ns: int) -> None:
    """Sleep until the clock reaches ``deadline_ns`` (returns at once if it has)."""
    remaining_ns = deadline_ns - now_ns()
    if remaining_ns > 0:
        time.sleep(remaining_ns / NS_PER_S)


def wall_utc() -> _dt.datetime:
    """Current wall-clock time in UTC, for names and manifests only."""
    return _dt.datetime.now(_dt.UTC)
