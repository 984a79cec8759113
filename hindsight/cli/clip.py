"""The ``clip`` command: the running recorder saves a clip now; prints where.

A module of its own so that a save bound to a key starts quickly: it imports only the
control channel and the clip reply, not the recorder's configuration or status.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from hindsight.cli.recorder_request import ask_recorder
from hindsight.recorder.clip_reply import ClipReply

__all__ = ["register"]


def register(sub: argparse._SubParsersAction) -> None:
    """Add the command."""
    p = sub.add_parser(
        "clip", help="save a clip from the running recorder now; prints the clip folder"
    )
    p.add_argument(
        "--seconds",
        type=int,
        metavar="N",
        help="save the last N seconds (default: the recorder's clip length)",
    )
    p.add_argument("--json", action="store_true", help="print the clip's facts as JSON")
    p.set_defaults(func=cmd_clip, logs=False)  # logs nothing: see hindsight.cli.logs


def cmd_clip(args: argparse.Namespace) -> int:
    message: dict[str, Any] = {"cmd": "clip"}
    if args.seconds is not None:
        message["seconds"] = args.seconds
    reply = ClipReply.from_json(ask_recorder(message, timeout_s=120))
    if args.json:
        print(json.dumps(reply.to_json(), indent=2))
    else:
        print(reply.path)
    return 0
