"""Grouping clips that show the same seconds of one recording run.

A clip saved twice from one replay buffer (a hotkey pressed twice within the buffer's
length) holds some frames twice. The recorder writes the run's random ``session_id``
and the clip's first frame on that run's frame timeline into the manifest
(:class:`~hindsight.bundle.SessionFacts`), so a clip covers the half-open frame range
``[first_frame, first_frame + frames)`` of its session.

How ranges chain: a group is a *connected* run of ranges on one session's timeline.
Two clips sharing at least one frame are in the same group, and so, transitively, are
clips linked through a chain of such pairs (A overlaps B, B overlaps C: A, B and C are
one group even when A and C share nothing). So no frame is in two groups, and picking
one group's frames once (or one clip per group) never trains on the same second twice.
Ranges that only touch (one ends where the next begins) share no frame: separate groups.
A group's id is ``<session_id>:<first frame of the group>``, stable across runs and
whatever the clips' order. A clip without session facts (recorded before they
existed) cannot be grouped: its group is ``None``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["FrameSpan", "group_overlaps"]


@dataclass(frozen=True)
class FrameSpan:
    """Where one clip lies on its recording run's frame timeline (``session_id`` None: unknown)."""

    session_id: str | None
    first_frame: int
    frames: int

    @property
    def end_frame(self) -> int:
        return self.first_frame + self.frames


def group_overlaps(spans: Sequence[FrameSpan]) -> list[str | None]:
    """The overlap group of each span, in the order given (None where a span has no session)."""
    groups: list[str | None] = [None] * len(spans)
    by_session: dict[str, list[int]] = defaultdict(list)
    for i, span in enumerate(spans):
        if span.session_id is not None:
            by_session[span.session_id].append(i)
    for session_id, members in by_session.items():
        # Sweep in timeline order; a span starting before the group's furthest end joins it.
        members.sort(key=lambda i: (spans[i].first_frame, spans[i].end_frame))
        group_start = group_end = 0
        for n, i in enumerate(members):
            span = spans[i]
            if n == 0 or span.first_frame >= group_end:
                group_start, group_end = span.first_frame, span.end_frame
            else:
                group_end = max(group_end, span.end_frame)
            groups[i] = f"{session_id}:{group_start}"
    return groups
