"""The ``hindsight dataset`` group: its subcommands and the options they share.

Each subcommand lives in its own module (``dataset_verify``, ``dataset_index``,
``dataset_export``) and registers itself through :func:`register`; the options
every one of them takes (the source, the engine) are added and read here, once, and
:func:`run_over_clips` runs a per-clip function with a progress bar on a terminal.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, TypeVar

from hindsight.cli.progressbar import ProgressBar
from hindsight.dataset.engine import ENGINES, ClipFailed, Engine, make_engine
from hindsight.dataset.source import ClipRef, open_source

__all__ = [
    "register",
    "add_source_arguments",
    "clips_and_engine",
    "run_over_clips",
    "ShownEngine",
]

R = TypeVar("R")


def register(sub: argparse._SubParsersAction) -> None:
    """Add ``hindsight dataset`` and its subcommands."""
    from hindsight.cli import dataset_export, dataset_index, dataset_verify

    group = sub.add_parser(
        "dataset",
        help="check, index and export uploaded clips (for data teams)",
        description=(
            "Tools for a folder or an s3://bucket/prefix of uploaded clips: verify what "
            "arrived, index what is in it, export it to LeRobot v3 or WebDataset."
        ),
    )
    commands = group.add_subparsers(dest="dataset_command", metavar="COMMAND", required=True)
    for module in (dataset_verify, dataset_index, dataset_export):
        module.register(commands)


def add_source_arguments(p: argparse.ArgumentParser) -> None:
    """SOURCE and the engine options every dataset command takes."""
    p.add_argument("source", metavar="SOURCE", help="a folder of clips or s3://bucket/prefix")
    p.add_argument(
        "--endpoint-url",
        metavar="URL",
        default=None,
        help="the S3 server of an s3:// SOURCE (default: AWS, or AWS_ENDPOINT_URL_S3); "
        "credentials come from the usual AWS variables, files or profile",
    )
    p.add_argument(
        "--engine",
        choices=ENGINES,
        default="local",
        help="local: a process pool on this machine (default); inline: one clip at a time; "
        "ray: Ray tasks on a cluster (--address) or a local Ray instance (pip install ray)",
    )
    p.add_argument(
        "--workers", type=int, default=None, help="local pool size (default: one per core)"
    )
    p.add_argument(
        "--address",
        metavar="HOST:PORT",
        default=None,
        help="the Ray cluster to run on (what `ray start --head` printed); default: a "
        "local Ray instance",
    )


def clips_and_engine(args: argparse.Namespace) -> tuple[Sequence[ClipRef], Engine]:
    """The clips SOURCE names and the engine the options ask for."""
    engine = make_engine(args.engine, workers=args.workers, address=args.address)
    clips = open_source(args.source, endpoint_url=args.endpoint_url).clips()
    return clips, engine


def _describe_clips(done: int, total: int, elapsed_s: float) -> str:
    rate = done / elapsed_s * 60 if elapsed_s > 0 else 0.0
    return f"{done}/{total} clips, {rate:.0f} clips/min"


def run_over_clips(
    engine: Engine,
    fn: Callable[[Path, Any], R],
    clips: Sequence[ClipRef],
    options: Any,
    *,
    label: str = "",
    quiet: bool = False,
) -> Iterator[R | ClipFailed]:
    """``engine.map``, with a progress bar on stderr when it is a terminal (and not quiet)."""
    bar = ProgressBar(len(clips), label=label, describe=_describe_clips, quiet=quiet)
    try:
        for result in engine.map(fn, clips, options):
            bar.advance(1)
            yield result
    finally:
        bar.finish()


class ShownEngine(Engine):
    """An engine whose every ``map`` shows a progress bar (for exports, which map inside)."""

    def __init__(self, inner: Engine, label: str) -> None:
        self.inner, self.label = inner, label

    def map(
        self, fn: Callable[[Path, Any], R], clips: Sequence[ClipRef], options: Any
    ) -> Iterator[R | ClipFailed]:
        return run_over_clips(self.inner, fn, clips, options, label=self.label)
