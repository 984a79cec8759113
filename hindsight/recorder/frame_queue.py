"""The bounded hand-off of converted frames from the capture thread to the encoder's.

Bounded so that an encoder that falls behind costs repeated frames, never memory or
latency without end. The capture thread is its only producer, so room seen by
:meth:`FrameQueue.room_by` is room for the put that follows.
"""

from __future__ import annotations

import queue
from dataclasses import dataclass

import av

from hindsight.clock import NS_PER_S, now_ns

__all__ = ["FrameHandoff", "FrameQueue", "QUEUE_FRAMES"]

QUEUE_FRAMES = 6  # 100 ms at 60 fps: rides out a slow frame, not an encoder that is behind


@dataclass(frozen=True, slots=True)
class FrameHandoff:
    """A converted frame for slot ``index``, after ``dups`` repeats of the one before it."""

    index: int
    dups: int
    frame: av.VideoFrame
    t_ns: int


class FrameQueue(queue.Queue["FrameHandoff | None"]):
    """Frames waiting for the encoder; ``None`` ends the stream."""

    def __init__(self, maxsize: int = QUEUE_FRAMES) -> None:
        super().__init__(maxsize=maxsize)

    def room_by(self, deadline_ns: int) -> bool:
        """Whether there is room for a frame, waiting for it until ``deadline_ns`` at most.

        Woken by the encoder taking a frame (the queue's own ``not_full``), not by polling.
        """
        with self.not_full:
            while self._qsize() >= self.maxsize:
                remaining_ns = deadline_ns - now_ns()
                if remaining_ns <= 0:
                    return False
                self.not_full.wait(remaining_ns / NS_PER_S)
            return True
