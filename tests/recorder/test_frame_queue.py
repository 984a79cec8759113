"""The capture -> encoder hand-off: a queue full for a moment keeps the frame; a full one not."""

from __future__ import annotations

import threading

from hindsight.clock import NS_PER_S, now_ns
from hindsight.recorder.frame_queue import FrameQueue

QUARTER_NS = NS_PER_S // (4 * 30)  # the wait capture allows at 30 fps


def _full_queue() -> FrameQueue:
    q = FrameQueue()
    while not q.full():
        q.put_nowait(None)
    return q


def test_a_full_queue_gives_the_slot_up_once_the_deadline_has_passed() -> None:
    q = _full_queue()
    t0 = now_ns()
    assert not q.room_by(t0 + QUARTER_NS)
    waited_ns = now_ns() - t0
    assert QUARTER_NS <= waited_ns < QUARTER_NS + 20_000_000
    assert q.full()


def test_a_queue_full_for_a_moment_keeps_the_frame_without_waiting_out_the_deadline() -> None:
    q = _full_queue()
    threading.Timer(0.003, q.get_nowait).start()  # the encoder takes one 3 ms later
    t0 = now_ns()
    assert q.room_by(t0 + QUARTER_NS)
    assert 2_000_000 <= now_ns() - t0 < QUARTER_NS + 20_000_000
    assert not q.full()


def test_room_is_there_at_once_when_the_queue_is_not_full() -> None:
    q = FrameQueue()
    t0 = now_ns()
    assert q.room_by(t0 - 1)  # even past its deadline: no wait is needed
    assert now_ns() - t0 < 5_000_000
