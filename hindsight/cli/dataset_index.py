"""``hindsight dataset index``."""

from __future__ import annotations

import argparse

from hindsight.cli.dataset import add_source_arguments

__all__ = ["register"]


def register(commands: argparse._SubParsersAction) -> None:
    p = commands.add_parser("index", help="(being built)")
    add_source_arguments(p)
    p.set_defaults(func=cmd_index)


def cmd_index(args: argparse.Namespace) -> int:
    raise NotImplementedError("hindsight dataset index")
