"""The commands that pause and resume the running recorder: ``pause`` and ``resume``."""

from __future__ import annotations

import argparse

from hindsight.cli.recorder_request import ask_recorder

__all__ = ["register"]


def register(sub: argparse._SubParsersAction) -> None:
    """Add the commands."""
    p = sub.add_parser(
        "pause",
        help="pause the running recorder: nothing is recorded and its buffer is emptied",
        description=(
            "Pause the running recorder. While paused it grabs no screen, records no sound "
            "and translates no input, and the replay buffer is dropped; saves are refused. "
            "`hindsight resume` records again."
        ),
    )
    p.set_defaults(func=cmd_pause)
    p = sub.add_parser("resume", help="resume a paused recorder (its buffer fills from now)")
    p.set_defaults(func=cmd_resume)


def cmd_pause(args: argparse.Namespace) -> int:
    reply = ask_recorder({"cmd": "pause"}, timeout_s=30)
    print(
        "paused: nothing is recorded until `hindsight resume`"
        if reply.get("changed")
        else "already paused"
    )
    return 0


def cmd_resume(args: argparse.Namespace) -> int:
    reply = ask_recorder({"cmd": "resume"}, timeout_s=30)
    print("recording" if reply.get("changed") else "already recording")
    return 0
