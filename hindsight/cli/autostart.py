"""The ``autostart`` command: start Hindsight with the computer, or not (``on``, ``off``,
``status``)."""

from __future__ import annotations

import argparse

__all__ = ["register"]


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("autostart", help="start Hindsight when you log in: on, off or status")
    p.add_argument("state", choices=("on", "off", "status"), help="on, off or status")
    p.set_defaults(func=cmd_autostart)


def cmd_autostart(args: argparse.Namespace) -> int:
    from hindsight.app.desktop.autostart import autostart

    entry = autostart()
    if args.state == "on":
        entry.enable()
    elif args.state == "off":
        entry.disable()
    state = "on" if entry.enabled() else "off"
    print(f"start with the computer: {state} ({entry.where()})")
    return 0
