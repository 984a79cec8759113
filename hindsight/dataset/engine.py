"""Running one per-clip function over many clips: in this process, a local pool, or Ray.

A per-clip function is a module-level function ``fn(folder: Path, options) -> result``
with picklable options and result, so the same function runs in a pool worker or a
Ray task unchanged (the cosmos-curator shape). The engine gives it the clip as a local
folder (:meth:`ClipRef.local`) and returns results in the clips' order; a clip whose
call raised comes back as a :class:`ClipFailed` in its place, so one damaged clip
never stops the rest. :func:`make_engine` picks one by name; the Ray engine lives in
:mod:`~hindsight.dataset.ray_engine` and is imported only when chosen.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from hindsight.dataset.errors import DatasetError
from hindsight.dataset.source import ClipRef

__all__ = [
    "ClipFailed",
    "Engine",
    "LocalEngine",
    "InlineEngine",
    "ENGINES",
    "call_on_clip",
    "make_engine",
]

R = TypeVar("R")


@dataclass(frozen=True)
class ClipFailed:
    """A per-clip call that raised: which clip and the one line saying why."""

    clip: ClipRef
    reason: str


def call_on_clip(fn: Callable[[Path, Any], R], clip: ClipRef, options: Any) -> R | ClipFailed:
    """``fn`` on ``clip`` as a local folder; an exception becomes a :class:`ClipFailed`."""
    try:
        with clip.local() as folder:
            return fn(folder, options)
    except Exception as err:  # one clip's fault is reported, never fatal to the run
        first = str(err).splitlines()[0] if str(err) else type(err).__name__
        return ClipFailed(clip, first)


class Engine:
    """Runs ``fn`` over ``clips``; yields results in the clips' order as they are ready."""

    def map(
        self, fn: Callable[[Path, Any], R], clips: Sequence[ClipRef], options: Any
    ) -> Iterator[R | ClipFailed]:
        raise NotImplementedError


class InlineEngine(Engine):
    """In this process, one clip after another: for tests and one-clip runs."""

    def map(
        self, fn: Callable[[Path, Any], R], clips: Sequence[ClipRef], options: Any
    ) -> Iterator[R | ClipFailed]:
        for clip in clips:
            yield call_on_clip(fn, clip, options)


@dataclass(frozen=True)
class LocalEngine(Engine):
    """A local process pool of ``workers`` (default: one per core)."""

    workers: int | None = None

    def map(
        self, fn: Callable[[Path, Any], R], clips: Sequence[ClipRef], options: Any
    ) -> Iterator[R | ClipFailed]:
        workers = self.workers or os.cpu_count() or 1
        with ProcessPoolExecutor(max_workers=workers) as pool:
            futures = [pool.submit(call_on_clip, fn, clip, options) for clip in clips]
            for clip, future in zip(clips, futures, strict=True):
                try:
                    yield future.result()
                except BrokenProcessPool:  # a worker died (out of memory, a crash in a library)
                    yield ClipFailed(clip, "the worker process died while checking it")


ENGINES = ("local", "inline", "ray")


def make_engine(kind: str, *, workers: int | None = None, address: str | None = None) -> Engine:
    """The engine ``kind`` names (one of :data:`ENGINES`); Ray is imported only if chosen."""
    if workers is not None and workers < 1:
        raise DatasetError(f"--workers {workers}: give at least 1")
    if kind == "inline":
        return InlineEngine()
    if kind == "local":
        return LocalEngine(workers)
    if kind == "ray":
        from hindsight.dataset.ray_engine import RayEngine, import_ray

        import_ray()  # says at once, in one line, if Ray is missing
        return RayEngine(address)
    raise DatasetError(f"unknown engine {kind!r}; one of {', '.join(ENGINES)}")
