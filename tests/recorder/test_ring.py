"""Tests of PacketRing: eviction bounds, keyframe-aligned snapshots, waiting."""

from __future__ import annotations

import random
import threading
import time
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hindsight.clock import NS_PER_S
from hindsight.recorder.packet import EncodedPacket, StreamParams
from hindsight.recorder.ring import PacketRing, RingStats

PARAMS = StreamParams(kind="video", codec="h264", encoder="test", time_base=Fraction(1, 60), fps=60)
FRAME_NS = NS_PER_S // 60


def pkt(pts: int, keyframe: bool, t_ns: int | None = None, size: int = 100) -> EncodedPacket:
    return EncodedPacket(
        data=bytes(size),
        pts=pts,
        dts=pts,
        keyframe=keyframe,
        t_ns=pts * FRAME_NS if t_ns is None else t_ns,
        params=PARAMS,
    )


def gop_packets(n: int, gop: int, size: int = 100, first_pts: int = 0) -> list[EncodedPacket]:
    return [pkt(i, (i - first_pts) % gop == 0, size=size) for i in range(first_pts, first_pts + n)]


# --- random streams -------------------------------------------------------------------------


@st.composite
def streams(draw, max_packets: int = 400):
    """A packet stream: a few leading non-keyframes, then GOPs of 1..120 frames."""
    fps = draw(st.sampled_from([10, 30, 60, 144]))
    period_ns = NS_PER_S // fps
    rng = random.Random(draw(st.integers(0, 2**32 - 1)))
    big = draw(st.sampled_from([0, 0.05, 0.3]))
    pause = draw(st.sampled_from([0, 0.01]))
    lead = draw(st.integers(0, 4))
    gops = draw(st.lists(st.integers(1, 120), min_size=1, max_size=12))
    flags = [False] * lead
    for g in gops:
        flags += [True] + [False] * (g - 1)
    flags = flags[:max_packets]
    packets, t_ns = [], rng.randrange(0, 5 * NS_PER_S)
    for pts, key in enumerate(flags):
        size = rng.randrange(50_000, 400_000) if rng.random() < big else rng.randrange(1, 5_000)
        packets.append(pkt(pts, key, t_ns, size))
        t_ns += max(0, period_ns + rng.randrange(-period_ns // 5, period_ns // 5 + 1))
        if rng.random() < pause:
            t_ns += rng.randrange(0, 3 * NS_PER_S)
    return packets


class Model:
    """The eviction rule written the obvious way, over a list of keyframe groups."""

    def __init__(self, max_seconds: int, max_bytes: int) -> None:
        self.max_ns, self.max_bytes = max_seconds * NS_PER_S, max_bytes
        self.groups: list[list[EncodedPacket]] = []
        self.bytes = 0

    def append(self, p: EncodedPacket) -> None:
        if p.keyframe:
            self.groups.append([])
        elif not self.groups:
            return
        self.groups[-1].append(p)
        self.bytes += p.size
        while len(self.groups) > 2 and (
            self.groups[1][0].t_ns <= p.t_ns - self.max_ns or self.bytes > self.max_bytes
        ):
            self.bytes -= sum(q.size for q in self.groups.pop(0))

    def packets(self) -> list[EncodedPacket]:
        return [p for g in self.groups for p in g]


def check_snapshot(ring: PacketRing, whole: list[EncodedPacket], start: int, end: int) -> None:
    snap = ring.snapshot(start, end)
    assert snap and snap[0].keyframe
    if start >= whole[0].t_ns:
        assert snap[0].t_ns <= start
        # ...and it is the latest keyframe at or before start.
        assert not any(p.keyframe and snap[0].t_ns < p.t_ns <= start for p in snap[1:])
    else:
        assert snap[0] is whole[0]
    later = [p for p in whole if p.t_ns >= end]
    assert snap[-1] is (later[0] if later else whole[-1])
    assert [p.pts for p in snap] == list(range(snap[0].pts, snap[0].pts + len(snap)))


@given(
    packets=streams(),
    max_seconds=st.integers(1, 6),
    max_bytes=st.integers(1_000, 2_000_000),
    seed=st.integers(0, 2**32 - 1),
)
def test_invariants_hold_after_every_append(packets, max_seconds, max_bytes, seed):
    rng = random.Random(seed)
    ring, model = PacketRing(max_seconds, max_bytes), Model(max_seconds, max_bytes)
    keyframes_seen = 0
    for p in packets:
        ring.append(p)
        model.append(p)
        keyframes_seen += p.keyframe
        s = ring.stats()
        whole = ring.snapshot(-(10**18), 10**18)
        assert len(whole) == len(ring) == s.packets
        assert [id(q) for q in whole] == [id(q) for q in model.packets()]
        if not whole:
            assert keyframes_seen == 0
            continue
        assert whole[0].keyframe
        assert whole[-1] is p
        assert s.keyframes == sum(q.keyframe for q in whole) >= min(2, keyframes_seen)
        assert s.bytes == sum(q.size for q in whole)
        assert (s.oldest_t_ns, s.newest_t_ns) == (whole[0].t_ns, p.t_ns)
        if s.keyframes > 2:
            assert s.bytes <= max_bytes
            # Seconds bound: dropping the front group would leave less than max_seconds.
            second_kf = next(q for q in whole[1:] if q.keyframe)
            assert second_kf.t_ns > p.t_ns - max_seconds * NS_PER_S
        lo, hi = whole[0].t_ns, p.t_ns
        start = rng.randint(lo - NS_PER_S, hi)
        end = rng.randint(max(start, lo), hi)
        check_snapshot(ring, whole, start, end)
    s = ring.stats()
    total = sum(q.size for q in packets)
    assert s.evicted_bytes == total - s.bytes - sum(q.size for q in packets[: s.dropped_leading])
    assert s.evicted_packets + s.packets + s.dropped_leading == len(packets)


@given(packets=streams(), max_seconds=st.integers(1, 6), n_seconds=st.integers(1, 6))
def test_last_n_seconds_always_saveable_without_byte_pressure(packets, max_seconds, n_seconds):
    n_seconds = min(n_seconds, max_seconds)
    ring = PacketRing(max_seconds, 10**12)
    first_key_t_ns = next((p.t_ns for p in packets if p.keyframe), None)
    for p in packets:
        ring.append(p)
        start = p.t_ns - n_seconds * NS_PER_S
        if first_key_t_ns is not None and first_key_t_ns <= start:
            snap = ring.snapshot(start, p.t_ns)
            assert snap[0].keyframe and snap[0].t_ns <= start
            assert snap[-1] is p


# --- examples ------------------------------------------------------------------------------


def test_leading_non_keyframes_are_dropped_and_counted():
    ring = PacketRing(10, 10**9)
    for i in range(3):
        ring.append(pkt(i, False))
    assert len(ring) == 0 and ring.stats().dropped_leading == 3
    ring.append(pkt(3, True))
    ring.append(pkt(4, False))
    assert [p.pts for p in ring.snapshot(0, 10**18)] == [3, 4]
    assert ring.stats().dropped_leading == 3


def test_snapshot_of_empty_ring_is_empty():
    ring = PacketRing(10, 10**9)
    assert ring.snapshot(0, 10**12) == []
    assert not ring.covers(0)
    s = ring.stats()
    assert s == RingStats(0, 0, 0, 0.0, None, None, 0, 0, 0)


def test_snapshot_cuts_back_to_keyframe_and_includes_first_packet_at_end():
    ring = PacketRing(60, 10**9)
    for p in gop_packets(300, 60):
        ring.append(p)
    snap = ring.snapshot(130 * FRAME_NS, 200 * FRAME_NS + 1)
    assert (snap[0].pts, snap[-1].pts) == (120, 201)
    snap = ring.snapshot(120 * FRAME_NS, 200 * FRAME_NS)
    assert (snap[0].pts, snap[-1].pts) == (120, 200)
    # End beyond the newest packet: up to the newest.
    assert ring.snapshot(250 * FRAME_NS, 10**18)[-1].pts == 299


def test_snapshot_is_a_copy():
    ring = PacketRing(60, 10**9)
    for p in gop_packets(10, 5):
        ring.append(p)
    snap = ring.snapshot(0, 10**18)
    snap.clear()
    ring.append(pkt(10, True))
    assert len(ring.snapshot(0, 10**18)) == 11
    before = ring.snapshot(0, 10**18)
    ring.append(pkt(11, False))
    assert len(before) == 11


def test_seconds_bound_evicts_whole_groups_but_keeps_coverage():
    ring = PacketRing(2, 10**9)
    for p in gop_packets(600, 60):  # 10 s at 60 fps, 1 s GOPs
        ring.append(p)
    s = ring.stats()
    # Newest is at ~9.98 s; the keyframe at 7 s is the last at or before newest - 2 s.
    assert ring.snapshot(0, 10**18)[0].pts == 420
    assert s.keyframes == 3 and s.packets == 180
    assert s.evicted_packets == 420 and s.evicted_bytes == 420 * 100


def test_seconds_bound_boundary_is_inclusive():
    ring = PacketRing(1, 10**9)
    for pts, key, t_ns in [(0, True, 0), (1, True, NS_PER_S), (2, True, 3 * NS_PER_S // 2)]:
        ring.append(pkt(pts, key, t_ns))
    ring.append(pkt(3, False, 2 * NS_PER_S - 1))
    # The second keyframe (1 s) is after newest - 1 s: dropping the first would lose coverage.
    assert ring.snapshot(0, 10**18)[0].pts == 0
    ring.append(pkt(4, False, 2 * NS_PER_S))
    # Now it is exactly at newest - 1 s, so it alone covers the last second.
    assert ring.snapshot(0, 10**18)[0].pts == 1
    assert ring.stats().evicted_packets == 1


def test_bytes_bound_boundary_is_inclusive():
    ring = PacketRing(3600, 300)
    for i in range(3):
        ring.append(pkt(i, True, size=100))
    assert len(ring) == 3 and ring.stats().bytes == 300
    ring.append(pkt(3, True, size=100))
    assert [p.pts for p in ring.snapshot(0, 10**18)] == [1, 2, 3]


def test_bytes_bound_never_leaves_fewer_than_two_keyframes():
    ring = PacketRing(3600, 1_000)
    for p in gop_packets(100, 10, size=500):
        ring.append(p)
    s = ring.stats()
    assert s.keyframes == 2 and s.packets == 20 and s.bytes == 10_000 > ring.max_bytes
    assert ring.snapshot(0, 10**18)[0].pts == 80


def test_all_keyframe_stream_survives_compaction():
    ring = PacketRing(1, 10**9)
    for p in gop_packets(5_000, 1):
        ring.append(p)
    s = ring.stats()
    oldest_pts = (4999 * FRAME_NS - NS_PER_S) // FRAME_NS  # last keyframe at or before the horizon
    assert s.packets == 5000 - oldest_pts and s.oldest_t_ns == oldest_pts * FRAME_NS
    assert s.evicted_packets == oldest_pts
    snap = ring.snapshot(4950 * FRAME_NS, 4960 * FRAME_NS)
    assert [p.pts for p in snap] == list(range(4950, 4961))


def test_out_of_order_packet_is_rejected():
    ring = PacketRing(10, 10**9)
    ring.append(pkt(5, True))
    with pytest.raises(ValueError):
        ring.append(pkt(4, False))
    assert len(ring) == 1


def test_clear_empties_and_requires_a_new_keyframe():
    ring = PacketRing(10, 10**9)
    for p in gop_packets(10, 5):
        ring.append(p)
    ring.clear()
    assert len(ring) == 0 and ring.snapshot(0, 10**18) == []
    ring.append(pkt(10, False))
    ring.append(pkt(11, True))
    assert [p.pts for p in ring.snapshot(0, 10**18)] == [11]
    assert ring.stats().dropped_leading == 1


def test_constructor_rejects_non_positive_bounds():
    with pytest.raises(ValueError):
        PacketRing(0, 100)
    with pytest.raises(ValueError):
        PacketRing(10, 0)
    ring = PacketRing(10, 100, name="audio")
    assert (ring.max_seconds, ring.max_bytes, ring.name) == (10, 100, "audio")


def test_wait_covered_returns_true_when_another_thread_appends():
    ring = PacketRing(10, 10**9)
    ring.append(pkt(0, True))
    assert ring.covers(0) and not ring.covers(FRAME_NS)

    def feed() -> None:
        time.sleep(0.05)
        ring.append(pkt(1, False))
        time.sleep(0.05)
        ring.append(pkt(2, False))

    thread = threading.Thread(target=feed)
    thread.start()
    t0 = time.monotonic()
    assert ring.wait_covered(2 * FRAME_NS, timeout_s=5.0)
    assert time.monotonic() - t0 < 4.0
    thread.join()


def test_wait_covered_times_out():
    ring = PacketRing(10, 10**9)
    ring.append(pkt(0, True))
    t0 = time.monotonic()
    assert not ring.wait_covered(FRAME_NS, timeout_s=0.1)
    assert 0.09 <= time.monotonic() - t0 < 2.0
    assert ring.wait_covered(0, timeout_s=0.0)


def test_close_wakes_waiters_and_later_waits_return_at_once():
    ring = PacketRing(10, 10**9)
    results: list[bool] = []
    waiters = [
        threading.Thread(target=lambda: results.append(ring.wait_covered(10**15, 30.0)))
        for _ in range(3)
    ]
    for w in waiters:
        w.start()
    time.sleep(0.05)
    ring.close()
    for w in waiters:
        w.join(timeout=5.0)
        assert not w.is_alive()
    assert results == [False, False, False]
    t0 = time.monotonic()
    ring.append(pkt(0, True))
    assert ring.closed and ring.wait_covered(0, 30.0) and not ring.wait_covered(1, 30.0)
    assert time.monotonic() - t0 < 1.0
