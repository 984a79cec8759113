"""The upload bandwidth cap: one token bucket shared by every concurrent part upload.

:class:`RateLimiter` hands out bytes at ``rate_bytes_per_s``; all threads draw from the same
bucket, so the cap is the total, not per connection. :class:`ThrottledReader` is the
request body the transport gives to the HTTP client: it pays for bytes as the client
reads them, so sending is paced while the bytes go out instead of in part-sized bursts.
"""

from __future__ import annotations

import io
import threading
import time

from hindsight.uploader.errors import UploadConfigError

__all__ = ["RateLimiter", "ThrottledReader"]

_DEFAULT_BURST_MAX_BYTES = 64 * 1024
_READ_CHUNK_BYTES = 64 * 1024


class RateLimiter:
    """A thread-safe token bucket: ``acquire(n)`` blocks until ``n`` bytes may be sent.

    Tokens may go negative: a caller takes what it needs and sleeps off the debt
    outside the lock. Later callers queue behind that debt, so the total rate holds
    however many threads share the limiter, and a large acquire is never starved.
    """

    def __init__(self, rate_bytes_per_s: int, burst_bytes: int | None = None) -> None:
        if rate_bytes_per_s <= 0:
            raise UploadConfigError(
                f"rate limit {rate_bytes_per_s} B/s: must be positive (or no limiter at all)"
            )
        # A small burst keeps the cap smooth: at most ~100 ms of traffic can go out at once.
        burst = (
            burst_bytes
            if burst_bytes is not None
            else max(1, min(_DEFAULT_BURST_MAX_BYTES, rate_bytes_per_s // 10))
        )
        if burst <= 0:
            raise UploadConfigError(f"rate limit burst {burst_bytes} bytes: must be positive")
        self.rate_bytes_per_s = int(rate_bytes_per_s)
        self.burst_bytes = int(burst)
        self._lock = threading.Lock()
        self._tokens = float(self.burst_bytes)
        self._last_s = time.monotonic()

    def acquire(self, n: int) -> float:
        """Take ``n`` bytes from the bucket, sleeping as long as needed; returns seconds slept."""
        if n <= 0:
            return 0.0
        with self._lock:
            now_s = time.monotonic()
            refill = (now_s - self._last_s) * self.rate_bytes_per_s
            self._tokens = min(self.burst_bytes, self._tokens + refill)
            self._last_s = now_s
            self._tokens -= n
            wait_s = -self._tokens / self.rate_bytes_per_s if self._tokens < 0 else 0.0
        if wait_s > 0:
            time.sleep(wait_s)
        return wait_s

    def __repr__(self) -> str:
        return (
            f"RateLimiter(rate_bytes_per_s={self.rate_bytes_per_s}, burst_bytes={self.burst_bytes})"
        )


class ThrottledReader(io.RawIOBase):
    """A seekable, read-only view of ``data`` that pays ``limiter`` for every byte read.

    A re-read after ``seek(0)`` (the HTTP client retrying a request) is paid again: it
    is real traffic. ``limiter`` None gives an unpaced reader, still without copying.
    """

    def __init__(
        self, data: bytes | bytearray | memoryview, limiter: RateLimiter | None = None
    ) -> None:
        super().__init__()
        self._view = memoryview(data).cast("B")
        self._limiter = limiter
        self._pos = 0
        self.bytes_read = 0

    def __len__(self) -> int:
        return len(self._view)

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def writable(self) -> bool:
        return False

    def tell(self) -> int:
        self._check_open()
        return self._pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        self._check_open()
        if whence == io.SEEK_SET:
            pos = offset
        elif whence == io.SEEK_CUR:
            pos = self._pos + offset
        elif whence == io.SEEK_END:
            pos = len(self._view) + offset
        else:
            raise ValueError(f"invalid whence {whence}")
        if pos < 0:
            raise ValueError(f"negative seek position {pos}")
        self._pos = pos
        return pos

    def read(self, size: int | None = -1) -> bytes:
        self._check_open()
        end = (
            len(self._view) if size is None or size < 0 else min(len(self._view), self._pos + size)
        )
        if end <= self._pos:
            return b""
        chunk = bytes(self._view[self._pos : end])
        if self._limiter is not None:
            # Pay in small steps so even a read-everything call is paced, not one long stall.
            for start in range(0, len(chunk), _READ_CHUNK_BYTES):
                self._limiter.acquire(min(_READ_CHUNK_BYTES, len(chunk) - start))
        self._pos = end
        self.bytes_read += len(chunk)
        return chunk

    def readinto(self, buffer) -> int:
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def readall(self) -> bytes:
        return self.read(-1)

    def _check_open(self) -> None:
        if self.closed:
            raise ValueError("I/O operation on closed ThrottledReader")
