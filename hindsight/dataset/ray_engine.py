"""Running per-clip functions as Ray tasks, for when one machine is not enough.

Imported only when ``--engine ray`` is chosen (Ray is a large optional dependency).
:class:`RayEngine` joins the cluster at ``address`` (``ray start --head`` prints it) or
starts a private local instance; each clip is one task running the same
:func:`~hindsight.dataset.engine.call_on_clip` the local pool runs, so the results are
the same. An S3 clip is fetched by the worker that runs its task: nothing passes
through this machine but the results. The workers need Hindsight importable (installed
on every node, or the cluster started with it on its ``PYTHONPATH``).
"""

from __future__ import annotations

import os
import socket
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from hindsight.dataset.engine import ClipFailed, Engine, call_on_clip
from hindsight.dataset.errors import DatasetError
from hindsight.dataset.source import ClipRef

__all__ = ["RayEngine", "import_ray"]

R = TypeVar("R")

# Tasks in flight at once per CPU of the cluster: enough to keep workers busy while
# results come back in order, few enough that a huge source is not all queued at once.
_IN_FLIGHT_PER_CPU = 4
_CONNECT_TIMEOUT_S = 10
# Results are small verdicts and tables: a private instance needs little shared memory.
_OBJECT_STORE_BYTES = 256 * 1024 * 1024


def import_ray() -> Any:
    """The ``ray`` module, or a one-line :class:`DatasetError` saying how to get it."""
    try:
        import ray
    except ImportError:
        raise DatasetError(
            "--engine ray needs Ray, which is not installed (pip install ray)"
        ) from None
    return ray


@dataclass(frozen=True)
class RayEngine(Engine):
    """Ray at ``address`` (``host:port`` of a running cluster, or ``auto``); None starts a
    local instance for the length of one :meth:`map`."""

    address: str | None = None

    def map(
        self, fn: Callable[[Path, Any], R], clips: Sequence[ClipRef], options: Any
    ) -> Iterator[R | ClipFailed]:
        ray = import_ray()
        started_here = not ray.is_initialized()
        if started_here:
            self._connect(ray)
        try:
            task = ray.remote(num_cpus=1, max_retries=1)(call_on_clip)
            cpus = int(ray.cluster_resources().get("CPU", 1)) or 1
            window = max(1, cpus * _IN_FLIGHT_PER_CPU)
            pending: list[tuple[ClipRef, Any]] = []
            for clip in clips:
                pending.append((clip, task.remote(fn, clip, options)))
                if len(pending) >= window:
                    yield _result(ray, *pending.pop(0))
            for clip, ref in pending:
                yield _result(ray, clip, ref)
        finally:
            if started_here:
                ray.shutdown()

    def _connect(self, ray: Any) -> None:
        if self.address:
            _check_reachable(self.address)
        try:
            if self.address:
                ray.init(address=self.address, log_to_driver=False, logging_level="ERROR")
            else:
                ray.init(
                    # "local": a new private instance, never a cluster someone else started
                    # on this machine (which no address would join).
                    address="local",
                    _node_ip_address="127.0.0.1",  # private: reachable from this machine only
                    num_cpus=os.cpu_count() or 1,
                    object_store_memory=_OBJECT_STORE_BYTES,
                    include_dashboard=False,
                    log_to_driver=False,
                    logging_level="ERROR",
                )
        except (ConnectionError, RuntimeError, ValueError) as err:
            where = self.address or "a local instance"
            first = str(err).splitlines()[0] if str(err) else type(err).__name__
            raise DatasetError(f"cannot start or reach Ray at {where}: {first}") from None


def _result(ray: Any, clip: ClipRef, ref: Any) -> Any:
    """The task's result; a task Ray could not run (its worker died twice) is that clip's
    failure, not the run's."""
    try:
        return ray.get(ref)
    except ray.exceptions.RayError as err:
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        return ClipFailed(clip, f"the Ray task failed: {first}")


def _check_reachable(address: str) -> None:
    """A ``host:port`` that nothing answers on is one line at once: Ray itself retries for
    minutes before it gives up."""
    host, sep, port = address.rpartition(":")
    if not sep or not port.isdigit() or "://" in address:
        return  # "auto" or a client URL: Ray resolves those itself
    try:
        with socket.create_connection((host, int(port)), timeout=_CONNECT_TIMEOUT_S):
            pass
    except OSError as err:
        raise DatasetError(
            f"cannot reach Ray at {address} ({err.strerror or err}); is `ray start --head` "
            "running there?"
        ) from None
