"""The recorder's event log: numbered, bounded, and honest about what a slow client lost."""

from __future__ import annotations

import threading

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hindsight.recorder.events import EVENT_KINDS, EventLog


@given(
    keep=st.integers(1, 20),
    recorded=st.integers(0, 60),
    after=st.integers(0, 80),
    limit=st.integers(1, 30),
)
@settings(max_examples=300, deadline=None)
def test_a_page_is_what_came_after_and_counts_what_was_lost(
    keep: int, recorded: int, after: int, limit: int
) -> None:
    log = EventLog(keep)
    for i in range(recorded):
        log.record("clip_saved", path=f"/clips/{i}")
    page = log.since(after, limit)
    if after > recorded:  # a number from an earlier run of the recorder: start over
        after = 0
    held = list(range(max(1, recorded - keep + 1), recorded + 1))
    expected = [seq for seq in held if seq > after][:limit]
    assert [e.seq for e in page.events] == expected
    assert page.missed == max(0, (held[0] if held else recorded + 1) - after - 1)
    assert page.last_seq == (expected[-1] if expected else after)
    # Asking again after last_seq never repeats an event.
    again = log.since(page.last_seq, limit)
    assert not {e.seq for e in again.events} & set(expected)


def test_numbers_stay_unique_under_concurrent_writers() -> None:
    log = EventLog(10_000)

    def write() -> None:
        for _ in range(500):
            log.record("state_changed", state="recording")

    threads = [threading.Thread(target=write) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    seqs = [e.seq for e in log.since(0, 10_000).events]
    assert seqs == list(range(1, 2001))


def test_unknown_kinds_and_sizes_are_refused() -> None:
    with pytest.raises(ValueError):
        EventLog().record("key_pressed", key="q")
    with pytest.raises(ValueError):
        EventLog(0)
    assert "clip_saved" in EVENT_KINDS


def test_json_carries_the_fields_flat() -> None:
    log = EventLog()
    log.record("save_failed", reason="the disk is full")
    (event,) = log.since(0).to_json()["events"]
    assert event["kind"] == "save_failed" and event["reason"] == "the disk is full"
    assert event["seq"] == 1 and isinstance(event["t_ns"], int)


def test_a_long_poll_returns_as_soon_as_something_happens() -> None:
    import threading
    import time

    log = EventLog()
    log.record("state_changed", state="recording")
    threading.Timer(0.1, lambda: log.record("clip_saved", path="x")).start()
    t0 = time.monotonic()
    log.wait_after(1, timeout_s=5)
    assert 0.05 < time.monotonic() - t0 < 2
    assert [e.kind for e in log.since(1).events] == ["clip_saved"]
    t0 = time.monotonic()
    log.wait_after(2, timeout_s=0.2)  # nothing new: waits out its time
    assert time.monotonic() - t0 >= 0.19
    log.wait_after(99, timeout_s=5)  # a restarted recorder's log: at once
