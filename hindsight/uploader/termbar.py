"""A one-line progress bar for byte transfers on a terminal (silent when not a TTY)."""

from __future__ import annotations

import sys
import threading
import time
from typing import TextIO

__all__ = ["ByteBar", "human_bytes"]


def human_bytes(n: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if abs(n) < 1024 or unit == "GiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} GiB"


class ByteBar:
    """``[#####.....]  45.2/120.0 MiB  4.0 MiB/s  ETA 18 s`` redrawn at most 10 times a second."""

    def __init__(self, total: int, label: str, *, enabled: bool = True, stream: TextIO | None = None) -> None:
        self.total = max(total, 1)
        self.label = label
        self.stream = stream or sys.stderr
        self.enabled = enabled and self.stream.isatty()
        self.done = 0
        self._start = time.monotonic()
        self._drawn = 0.0
        self._lock = threading.Lock()

    def advance(self, n: int) -> None:
        with self._lock:
            self.done += n
            now = time.monotonic()
            if self.enabled and now - self._drawn >= 0.1:
                self._drawn = now
                self._draw(now)

    def _draw(self, now: float) -> None:
        frac = min(1.0, self.done / self.total)
        rate = self.done / max(now - self._start, 1e-3)
        eta = f"ETA {(self.total - self.done) / rate:.0f} s" if rate > 0 and frac < 1 else ""
        bar = "#" * int(frac * 24) + "." * (24 - int(frac * 24))
        line = f"{self.label} [{bar}] {human_bytes(self.done)}/{human_bytes(self.total)} {human_bytes(rate)}/s {eta}"
        self.stream.write("\r" + line[:118].ljust(118))
        self.stream.flush()

    def close(self) -> None:
        if self.enabled and self._drawn:
            self.stream.write("\r" + " " * 118 + "\r")
            self.stream.flush()
