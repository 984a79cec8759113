"""The ``demo`` command: the whole pipeline on any machine."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from hindsight.demo import DEMO_SECONDS, DEMO_SIZE

__all__ = ["register"]


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "demo", help="the whole pipeline on any machine (starts a virtual display if none)"
    )
    p.add_argument(
        "--clips-dir",
        dest="clips_dir",
        type=Path,
        metavar="DIR",
        help="where the demo clip goes (default: where `hindsight record` saves)",
    )
    p.add_argument(
        "--seconds",
        type=int,
        default=DEMO_SECONDS,
        help=f"length of the demo clip (default {DEMO_SECONDS})",
    )
    p.add_argument(
        "--size",
        default=DEMO_SIZE,
        help=f"virtual display size when one is started (default {DEMO_SIZE})",
    )
    p.set_defaults(func=cmd_demo)


def cmd_demo(args: argparse.Namespace) -> int:
    from hindsight.demo.pipeline import run_demo

    return run_demo(clips_dir=args.clips_dir, seconds=args.seconds, size=args.size, out=sys.stdout)
