"""Constant-frame-rate pacing on the one clock.

Slot ``i`` opens at ``t0_ns + i * 1e9 / fps``. The capture loop sleeps to the next
slot, grabs, and asks the pacer which slot the grab landed in; slots it skipped
(because a grab, the scheduler or a full encode queue held it up) are filled by
repeating the previous frame, flagged ``dup_frame``. Frame *i* then has pts *i* in
time base 1/fps, so the video is CFR and its timestamps map straight to the clock.
"""

from __future__ import annotations

from dataclasses import dataclass

from hindsight.clock import NS_PER_S

__all__ = ["FramePacer", "SlotPlan"]


@dataclass(frozen=True, slots=True)
class SlotPlan:
    """Where a grabbed frame goes: ``dups`` repeats of the previous frame, then the frame at
    ``index``."""

    index: int
    dups: int


class FramePacer:
    """Maps clock times to frame slots for one recording run."""

    def __init__(self, fps: int, t0_ns: int) -> None:
        self.fps = fps
        self.t0_ns = t0_ns
        self.next_index = 0

    def slot_start_ns(self, index: int) -> int:
        # Integer arithmetic (no drift over hours: 1e9/60 is not an integer), rounded up so
        # that slot_of(slot_start_ns(i)) == i exactly.
        return self.t0_ns - (-index * NS_PER_S // self.fps)

    def slot_of(self, t_ns: int) -> int:
        return (t_ns - self.t0_ns) * self.fps // NS_PER_S

    def next_deadline_ns(self) -> int:
        return self.slot_start_ns(self.next_index)

    def place(self, grab_t_ns: int) -> SlotPlan:
        """Assign a frame grabbed at ``grab_t_ns`` to a slot, counting the slots it skipped."""
        slot = max(self.slot_of(grab_t_ns), self.next_index)
        plan = SlotPlan(index=slot, dups=slot - self.next_index)
        self.next_index = slot + 1
        return plan
