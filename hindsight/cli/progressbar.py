"""One-line progress bars on a terminal: redrawn in place at most 10 times a second, silent
otherwise.

Shared by every long command (uploads, overlay burn-in); each says what its numbers
mean through a ``describe(done, total, elapsed_s)`` function.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable
from typing import TextIO

__all__ = ["ProgressBar", "human_bytes", "describe_bytes"]

_REDRAW_S = 0.1
_WIDTH = 28


def human_bytes(n: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB"):
        if abs(n) < 1024 or unit == "GiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} GiB"


def describe_bytes(done: int, total: int, elapsed_s: float) -> str:
    rate = done / elapsed_s if elapsed_s > 0 else 0.0
    eta = f", {(total - done) / rate:.0f} s left" if rate > 0 and done < total else ""
    return f"{human_bytes(done)}/{human_bytes(total)}, {human_bytes(rate)}/s{eta}"


class ProgressBar:
    """``update(done)`` or ``advance(n)`` as work goes on (from any thread), ``finish()`` at the
    end."""

    def __init__(
        self,
        total: int,
        *,
        label: str = "",
        describe: Callable[[int, int, float], str] = describe_bytes,
        stream: TextIO | None = None,
        quiet: bool = False,
    ) -> None:
        self.total = max(0, total)
        self.label = label
        self.describe = describe
        self.stream = stream if stream is not None else sys.stderr
        self.enabled = not quiet and bool(getattr(self.stream, "isatty", lambda: False)())
        self.done = 0
        self._t0 = time.monotonic()
        self._drawn = 0.0
        self._lock = threading.Lock()

    def advance(self, n: int) -> None:
        self.update(self.done + n)

    def update(self, done: int) -> None:
        with self._lock:
            self.done = done
            if not self.enabled:
                return
            now = time.monotonic()
            if now - self._drawn < _REDRAW_S and done < self.total:
                return
            self._drawn = now
            self.stream.write("\r" + self.line(done, now - self._t0) + "\x1b[K")
            self.stream.flush()

    def line(self, done: int, elapsed_s: float) -> str:
        fraction = min(1.0, done / self.total) if self.total else 1.0
        filled = round(fraction * _WIDTH)
        bar = "\u2588" * filled + "\u2591" * (_WIDTH - filled)
        return (
            f"{self.label}{bar} {fraction * 100:5.1f}% {self.describe(done, self.total, elapsed_s)}"
        )

    def finish(self) -> None:
        if self.enabled and self._drawn:
            self.update(self.done)
            self.stream.write("\n")
            self.stream.flush()
