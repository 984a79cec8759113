"""Slow clip actions (trim, overlay render, upload, delete) run on a worker thread, reported as
Qt signals.

The window never waits for disk, a decoder or the network. A job is a function given
a ``report(done, total)`` callable; it runs on the one job thread (actions on clips
queue behind each other, as a user expects of a single progress bar), and its result
or its one-line error comes back as a signal on the UI thread.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from PyQt6.QtCore import QObject, pyqtSignal

from hindsight.errors import HindsightError

__all__ = ["ClipJob", "ClipJobs", "Report", "as_sentence"]

log = logging.getLogger(__name__)

Report = Callable[[int, int], None]
# Progress reaches the UI at most this often: a burn-in reports every frame.
_REPORT_EVERY_NS = 50_000_000


@dataclass(frozen=True)
class ClipJob:
    """What runs, named for the status line (``Trimming Counter-Strike 2``)."""

    kind: str  # "trim", "render", "upload", "delete"
    clip_id: str
    label: str


class ClipJobs(QObject):
    """One job thread; ``progress``, ``finished`` and ``failed`` arrive on the UI thread."""

    started = pyqtSignal(object)  # ClipJob
    progress = pyqtSignal(object, int, int)  # ClipJob, done, total
    finished = pyqtSignal(object, object)  # ClipJob, the function's result
    failed = pyqtSignal(object, str)  # ClipJob, one sentence for a message box

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="hindsight-clipjob")
        self._running: dict[tuple[str, str], Future[Any]] = {}

    def busy(self, kind: str, clip_id: str) -> bool:
        future = self._running.get((kind, clip_id))
        return future is not None and not future.done()

    def submit(self, job: ClipJob, work: Callable[[Report], Any]) -> Future[Any]:
        future = self._pool.submit(self._run, job, work)
        self._running[(job.kind, job.clip_id)] = future
        return future

    def shutdown(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)

    def _run(self, job: ClipJob, work: Callable[[Report], Any]) -> None:
        self.started.emit(job)
        last_ns = 0

        def report(done: int, total: int) -> None:
            nonlocal last_ns
            t_ns = time.monotonic_ns()
            if done >= total or t_ns - last_ns >= _REPORT_EVERY_NS:
                last_ns = t_ns
                self.progress.emit(job, done, total)

        try:
            result = work(report)
        except HindsightError as err:
            self.failed.emit(job, as_sentence(str(err)))
        except Exception as err:  # a bug: logged with its traceback, still one line in the window
            log.exception("%s of clip %s failed", job.kind, job.clip_id[:8])
            self.failed.emit(job, as_sentence(f"{job.label} failed unexpectedly ({err})"))
        else:
            self.finished.emit(job, result)


def as_sentence(text: str) -> str:
    """Error lines are written for a terminal; a message box wants a capitalised sentence."""
    text = text.strip()
    text = text[:1].upper() + text[1:]
    return text if text.endswith((".", "!", "?")) else text + "."
