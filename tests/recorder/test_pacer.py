"""CFR pacing: every slot gets exactly one frame, real or repeated, and indices track the clock."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from hindsight.clock import NS_PER_S
from hindsight.recorder.pacer import FramePacer


def test_on_time_grabs_fill_consecutive_slots() -> None:
    pacer = FramePacer(60, t0_ns=1_000)
    plans = [pacer.place(pacer.next_deadline_ns()) for _ in range(120)]
    assert [p.index for p in plans] == list(range(120))
    assert all(p.dups == 0 for p in plans)


def test_late_grab_counts_skipped_slots() -> None:
    pacer = FramePacer(60, t0_ns=0)
    pacer.place(0)
    plan = pacer.place(pacer.slot_start_ns(4) + 10)  # slots 1..3 were missed
    assert (plan.index, plan.dups) == (4, 3)
    assert pacer.next_index == 5


def test_slot_times_do_not_drift_over_an_hour() -> None:
    pacer = FramePacer(60, t0_ns=0)
    assert pacer.slot_start_ns(60 * 3600) == 3600 * NS_PER_S


@given(
    fps=st.sampled_from([24, 30, 60, 120, 144]),
    delays=st.lists(st.integers(min_value=0, max_value=200_000_000), min_size=1, max_size=300),
)
def test_every_slot_is_filled_exactly_once(fps: int, delays: list[int]) -> None:
    """Whatever the grab delays, indices strictly increase and dups fill every gap."""
    pacer = FramePacer(fps, t0_ns=5_000)
    filled = 0
    last_index = -1
    for delay in delays:
        grab_ns = pacer.next_deadline_ns() + delay
        plan = pacer.place(grab_ns)
        assert plan.index > last_index
        assert plan.index == last_index + 1 + plan.dups
        # The frame is never placed in a slot that opens after it was grabbed.
        assert pacer.slot_start_ns(plan.index) <= grab_ns
        # ... nor more than one slot before the one its grab time falls in.
        assert plan.index == pacer.slot_of(grab_ns)
        filled += plan.dups + 1
        last_index = plan.index
    assert filled == last_index + 1
