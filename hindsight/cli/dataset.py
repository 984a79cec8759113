"""The ``hindsight dataset`` group: its subcommands and the options they share.

Each subcommand lives in its own module (``dataset_verify``, ``dataset_index``,
``dataset_export``) and registers itself through :func:`register`; the options
every one of them takes (the source, the engine) are added and read here, once.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from hindsight.dataset.engine import Engine, InlineEngine, LocalEngine
from hindsight.dataset.source import ClipRef, open_source

__all__ = ["register", "add_source_arguments", "clips_and_engine"]


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
        "--engine",
        choices=("local", "inline"),
        default="local",
        help="local: a process pool on this machine (default); inline: one clip at a time",
    )
    p.add_argument(
        "--workers", type=int, default=None, help="local pool size (default: one per core)"
    )


def clips_and_engine(args: argparse.Namespace) -> tuple[Sequence[ClipRef], Engine]:
    """The clips SOURCE names and the engine the options ask for."""
    clips = open_source(args.source).clips()
    engine: Engine = InlineEngine() if args.engine == "inline" else LocalEngine(args.workers)
    return clips, engine
