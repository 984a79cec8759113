"""The in-memory ring holding the newest encoded packets of one stream.

Its one job: keep about the last ``max_seconds`` (and at most ``max_bytes``) of one
stream's encoded packets, evicting whole keyframe groups from the front so that every
clip cut from it starts on a keyframe, and hand out snapshots for a save.
"""

from __future__ import annotations

import threading
from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from typing import cast

from hindsight.clock import NS_PER_S
from hindsight.recorder.packet import EncodedPacket

__all__ = ["PacketRing", "RingStats"]

# Evicted slots stay at the front of the lists (as None) until at least this many, and
# at least half the lists, are dead; one ``del`` of the dead prefix then keeps append
# and eviction O(1) amortised without a memmove of the whole list per eviction.
_COMPACT_MIN = 256


@dataclass(frozen=True)
class RingStats:
    """A consistent view of a ring's fill level and lifetime counters."""

    packets: int
    keyframes: int
    bytes: int
    seconds: float  # newest t_ns - oldest t_ns
    oldest_t_ns: int | None
    newest_t_ns: int | None
    evicted_packets: int
    evicted_bytes: int
    dropped_leading: int


class PacketRing:
    """Thread-safe ring of one stream's encoded packets, bounded by seconds and bytes.

    Packets arrive in non-decreasing ``t_ns`` order from the encode thread; savers
    take :meth:`snapshot` copies from other threads and may block in
    :meth:`wait_covered` until the moment they need has been encoded.
    """

    def __init__(self, max_seconds: int, max_bytes: int, name: str = "video") -> None:
        if max_seconds <= 0:
            raise ValueError(f"{name} ring: max_seconds must be > 0, got {max_seconds}")
        if max_bytes <= 0:
            raise ValueError(f"{name} ring: max_bytes must be > 0, got {max_bytes}")
        self._max_seconds = max_seconds
        self._max_bytes = max_bytes
        self._name = name
        self._cond = threading.Condition(threading.Lock())
        self._closed = False
        # Lifetime counters: they survive clear(), which is not eviction.
        self._evicted_packets = 0
        self._evicted_bytes = 0
        self._dropped_leading = 0
        self._reset()

    def _reset(self) -> None:
        # Parallel lists indexed by slot; slots before _head are evicted (None).
        self._packets: list[EncodedPacket | None] = []
        self._t_ns: list[int] = []
        # Bytes appended before each slot, so a group's size is one subtraction.
        self._bytes_before: list[int] = []
        self._appended_bytes = 0
        self._head = 0
        # Keyframes by absolute position (slot + _base), so compaction need not rewrite them.
        self._kf_pos: list[int] = []
        self._kf_t_ns: list[int] = []
        self._kf_head = 0
        self._base = 0
        self._bytes = 0

    @property
    def name(self) -> str:
        return self._name

    @property
    def max_seconds(self) -> int:
        return self._max_seconds

    @property
    def max_bytes(self) -> int:
        return self._max_bytes

    @property
    def closed(self) -> bool:
        return self._closed

    def __len__(self) -> int:
        with self._cond:
            return len(self._packets) - self._head

    def __repr__(self) -> str:
        return (
            f"PacketRing(name={self._name!r}, max_seconds={self._max_seconds}, "
            f"max_bytes={self._max_bytes}, packets={len(self)})"
        )

    def append(self, packet: EncodedPacket) -> None:
        """Add the newest packet, then evict old keyframe groups beyond the bounds."""
        with self._cond:
            if self._head < len(self._t_ns) and packet.t_ns < self._t_ns[-1]:
                # Bisecting on t_ns would silently give wrong clips; this is a caller bug.
                raise ValueError(
                    f"{self._name} ring: packet t_ns {packet.t_ns} is before the newest "
                    f"{self._t_ns[-1]}"
                )
            if self._kf_head == len(self._kf_pos) and not packet.keyframe:
                # Nothing before the first keyframe can be decoded, so a clip can't use it.
                self._dropped_leading += 1
                return
            if packet.keyframe:
                self._kf_pos.append(self._base + len(self._packets))
                self._kf_t_ns.append(packet.t_ns)
            self._packets.append(packet)
            self._t_ns.append(packet.t_ns)
            self._bytes_before.append(self._appended_bytes)
            self._appended_bytes += packet.size
            self._bytes += packet.size
            self._evict(packet.t_ns)
            self._cond.notify_all()

    def _evict(self, newest_t_ns: int) -> None:
        # Dropping the front group is fine for the seconds bound only if the second
        # keyframe still starts at or before newest - max_seconds: then a save of the
        # last max_seconds still finds its keyframe.
        horizon_ns = newest_t_ns - self._max_seconds * NS_PER_S
        kf_pos, kf_t_ns = self._kf_pos, self._kf_t_ns
        while len(kf_pos) - self._kf_head > 2:
            second = self._kf_head + 1
            if kf_t_ns[second] > horizon_ns and self._bytes <= self._max_bytes:
                break
            head = self._head
            end = kf_pos[second] - self._base
            group_bytes = self._bytes_before[end] - self._bytes_before[head]
            # Release the packet bytes now; only the slots wait for compaction.
            self._packets[head:end] = [None] * (end - head)
            self._head = end
            self._kf_head = second
            self._bytes -= group_bytes
            self._evicted_packets += end - head
            self._evicted_bytes += group_bytes
        if self._head >= _COMPACT_MIN and 2 * self._head >= len(self._packets):
            self._compact()

    def _compact(self) -> None:
        head = self._head
        del self._packets[:head]
        del self._t_ns[:head]
        del self._bytes_before[:head]
        self._base += head
        self._head = 0
        del self._kf_pos[: self._kf_head]
        del self._kf_t_ns[: self._kf_head]
        self._kf_head = 0

    def snapshot(self, start_ns: int, end_ns: int) -> list[EncodedPacket]:
        """Packets covering ``[start_ns, end_ns]``, starting on a keyframe.

        From the keyframe at or before ``start_ns`` (or the oldest packet, if
        ``start_ns`` is before it) through the first packet at or after ``end_ns``
        (or the newest, if none is that late yet). The list is the caller's own.
        """
        if end_ns < start_ns:
            raise ValueError(f"{self._name} ring: snapshot end {end_ns} before start {start_ns}")
        with self._cond:
            count = len(self._packets)
            if self._head == count:
                return []
            k = bisect_right(self._kf_t_ns, start_ns, self._kf_head) - 1
            first = self._kf_pos[max(k, self._kf_head)] - self._base
            last = bisect_left(self._t_ns, end_ns, self._head)
            # max(): equal t_ns around the start keyframe must not give an empty slice.
            last = max(min(last, count - 1), first)
            return cast("list[EncodedPacket]", self._packets[first : last + 1])

    def _covers(self, t_ns: int) -> bool:
        return self._head < len(self._t_ns) and self._t_ns[-1] >= t_ns

    def covers(self, t_ns: int) -> bool:
        """True if a packet at or after ``t_ns`` is in the ring."""
        with self._cond:
            return self._covers(t_ns)

    def wait_covered(self, t_ns: int, timeout_s: float) -> bool:
        """Block until :meth:`covers` ``(t_ns)``, the ring is closed, or the timeout.

        Returns whether ``t_ns`` is covered.
        """
        with self._cond:
            self._cond.wait_for(lambda: self._closed or self._covers(t_ns), timeout_s)
            return self._covers(t_ns)

    def close(self) -> None:
        """Wake every waiter for good; appends and snapshots keep working."""
        with self._cond:
            self._closed = True
            self._cond.notify_all()

    def clear(self) -> None:
        """Drop every packet; the next packet kept must again be a keyframe."""
        with self._cond:
            self._reset()

    def stats(self) -> RingStats:
        with self._cond:
            empty = self._head == len(self._packets)
            oldest = None if empty else self._t_ns[self._head]
            newest = None if empty else self._t_ns[-1]
            return RingStats(
                packets=len(self._packets) - self._head,
                keyframes=len(self._kf_pos) - self._kf_head,
                bytes=self._bytes,
                seconds=0.0 if empty else (self._t_ns[-1] - self._t_ns[self._head]) / NS_PER_S,
                oldest_t_ns=oldest,
                newest_t_ns=newest,
                evicted_packets=self._evicted_packets,
                evicted_bytes=self._evicted_bytes,
                dropped_leading=self._dropped_leading,
            )
