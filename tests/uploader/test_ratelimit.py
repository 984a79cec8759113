"""The bandwidth cap: token-bucket accuracy, sharing between threads, and the paying reader."""

from __future__ import annotations

import io
import threading
import time

import pytest

from hindsight.uploader.errors import UploadConfigError
from hindsight.uploader.ratelimit import RateLimiter, ThrottledReader

MiB = 2**20


def drain(reader: ThrottledReader, chunk: int = 16384) -> int:
    total = 0
    while block := reader.read(chunk):
        total += len(block)
    return total


def test_rate_is_accurate():
    limiter = RateLimiter(1 * MiB)
    start = time.monotonic()
    assert drain(ThrottledReader(b"x" * (2 * MiB), limiter)) == 2 * MiB
    elapsed = time.monotonic() - start
    # The initial burst (64 KiB) goes out free; the rest takes 2 s at 1 MiB/s.
    assert 2.0 * 0.85 <= elapsed <= 2.0 * 1.15


def test_threads_sharing_a_limiter_get_the_total_rate():
    limiter = RateLimiter(2 * MiB)
    done: dict[int, float] = {}
    start = time.monotonic()

    def send(n: int) -> None:
        drain(ThrottledReader(bytes(MiB), limiter))
        done[n] = time.monotonic() - start

    threads = [threading.Thread(target=send, args=(n,)) for n in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    total_s = max(done.values())
    assert 1.0 * 0.85 <= total_s <= 1.0 * 1.15  # 2 MiB at 2 MiB/s in all
    # Both progressed together rather than one after the other.
    assert min(done.values()) >= 0.8 * total_s


def test_small_default_burst_keeps_sending_smooth():
    assert RateLimiter(10 * MiB).burst_bytes == 64 * 1024
    assert RateLimiter(100_000).burst_bytes == 10_000
    limiter = RateLimiter(1 * MiB)
    assert limiter.acquire(64 * 1024) == 0.0  # the burst is free: no sleep at all
    slept = limiter.acquire(256 * 1024)
    assert slept == pytest.approx(0.25, abs=0.05)


def test_bad_rates_are_refused():
    with pytest.raises(UploadConfigError, match="must be positive"):
        RateLimiter(0)
    with pytest.raises(UploadConfigError, match="burst"):
        RateLimiter(1000, burst_bytes=0)


def test_reader_is_a_seekable_file():
    data = bytes(range(256)) * 4
    reader = ThrottledReader(memoryview(data), None)
    assert len(reader) == 1024
    assert reader.readable() and reader.seekable() and not reader.writable()
    assert reader.read(10) == data[:10]
    assert reader.tell() == 10
    assert reader.seek(-4, io.SEEK_END) == 1020
    assert reader.read() == data[1020:]
    assert reader.read(5) == b""
    reader.seek(100)
    reader.seek(28, io.SEEK_CUR)
    assert reader.read(4) == data[128:132]
    buf = bytearray(8)
    assert reader.readinto(buf) == 8 and bytes(buf) == data[132:140]
    with pytest.raises(ValueError):
        reader.seek(-1)


def test_reading_again_after_seek_is_paid_again():
    paid = []

    class Spy(RateLimiter):
        def acquire(self, n: int) -> float:
            paid.append(n)
            return 0.0

    reader = ThrottledReader(b"y" * 300_000, Spy(10**9))
    assert drain(reader) == 300_000
    reader.seek(0)  # an HTTP retry sends the body again: real traffic
    assert drain(reader) == 300_000
    assert sum(paid) == 600_000
    assert reader.bytes_read == 600_000
    assert max(paid) <= 64 * 1024  # even large reads are paid in small steps


def test_one_big_read_is_paced_not_free():
    limiter = RateLimiter(4 * MiB)
    start = time.monotonic()
    assert len(ThrottledReader(bytes(2 * MiB), limiter).read()) == 2 * MiB
    assert time.monotonic() - start >= 0.4
