"""The commands that pause and resume the running recorder: ``pause`` and ``resume``."""

from __future__ import annotations

import argparse

from hindsight.recorder.control import create_client
from hindsight.recorder.errors import ControlError, RecorderNotRunning

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


def _send(cmd: str) -> dict:
    try:
        return create_client().request({"cmd": cmd}, timeout_s=30)
    except RecorderNotRunning:
        raise
    except ControlError as err:
        raise ControlError(str(err)) from None


def cmd_pause(args: argparse.Namespace) -> int:
    reply = _send("pause")
    print(
        "paused: nothing is recorded until `hindsight resume`"
        if reply.get("changed")
        else "already paused"
    )
    return 0


def cmd_resume(args: argparse.Namespace) -> int:
    reply = _send("resume")
    print("recording" if reply.get("changed") else "already recording")
    return 0
