"""A one-line progress bar on stderr: redrawn in place on a terminal, silent otherwise or when quiet."""

from __future__ import annotations

import sys
import time
from typing import TextIO

__all__ = ["ProgressBar"]

_REDRAW_S = 0.1
_WIDTH = 28


class ProgressBar:
    """``update(done)`` as work advances, ``finish()`` at the end; speed is shown against real time."""

    def __init__(self, total: int, *, fps: float, label: str = "", stream: TextIO | None = None,
                 quiet: bool = False) -> None:
        self.total = max(0, total)
        self.fps = fps
        self.label = label
        self.stream = stream if stream is not None else sys.stderr
        self.enabled = not quiet and bool(getattr(self.stream, "isatty", lambda: False)())
        self._t0 = time.monotonic()
        self._last = 0.0
        self._done = 0

    def update(self, done: int) -> None:
        self._done = done
        if not self.enabled:
            return
        now = time.monotonic()
        if now - self._last < _REDRAW_S and done < self.total:
            return
        self._last = now
        self.stream.write("\r" + self.line(done, now - self._t0) + "\x1b[K")
        self.stream.flush()

    def line(self, done: int, elapsed_s: float) -> str:
        fraction = done / self.total if self.total else 1.0
        filled = round(fraction * _WIDTH)
        bar = "\u2588" * filled + "\u2591" * (_WIDTH - filled)
        speed = done / self.fps / elapsed_s if elapsed_s > 0 and self.fps else 0.0
        left = (self.total - done) / (done / elapsed_s) if done and elapsed_s > 0 else 0.0
        return (f"{self.label}{bar} {fraction * 100:5.1f}% {done}/{self.total} frames, "
                f"{speed:.1f}x real time, {left:.0f} s left")

    def finish(self) -> None:
        if self.enabled:
            self.update(self._done)
            self.stream.write("\n")
            self.stream.flush()
