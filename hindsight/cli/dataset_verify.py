"""``hindsight dataset verify``."""

from __future__ import annotations

import argparse

from hindsight.cli.dataset import add_source_arguments

__all__ = ["register"]


def register(commands: argparse._SubParsersAction) -> None:
    p = commands.add_parser("verify", help="(being built)")
    add_source_arguments(p)
    p.set_defaults(func=cmd_verify)


def cmd_verify(args: argparse.Namespace) -> int:
    raise NotImplementedError("hindsight dataset verify")
