"""The ``hindsight audio`` commands: ``devices`` lists what can be recorded."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from hindsight.recorder.config import AUDIO_BACKENDS

__all__ = ["register"]

_AUDIO_HELP = """\
A clip's sound: the system output (what the player hears) and, when turned on, the
microphone. `hindsight record --audio-device NAME` and `--mic-device NAME` (or the
[audio] table of settings.toml) choose devices by the names `devices` lists.
"""


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "audio",
        help="sound devices: what can be recorded",
        description=_AUDIO_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.set_defaults(func=lambda args, p=p: _help(p))
    asub = p.add_subparsers(dest="audio_command", metavar="SUBCOMMAND")
    q = asub.add_parser(
        "devices",
        help="list what can be recorded: name, kind (system/mic), description, defaults",
    )
    q.add_argument("--json", action="store_true", help="print JSON")
    q.add_argument(
        "--backend",
        dest="audio_backend",
        choices=[b for b in AUDIO_BACKENDS if b != "none"],
        help="audio system to ask (default: the settings' [audio] backend, else this system's)",
    )
    q.add_argument(
        "--settings", type=Path, metavar="FILE", help="settings file to read instead of the user's"
    )
    q.set_defaults(func=cmd_devices)


def _help(parser: argparse.ArgumentParser) -> int:
    parser.print_help()
    return 0


def cmd_devices(args: argparse.Namespace) -> int:
    from hindsight.app.compose import compose_audio_backend

    backend = compose_audio_backend(args.settings, {"audio_backend": args.audio_backend})
    devices = backend.devices()
    if args.json:
        print(
            json.dumps(
                {
                    "backend": backend.name,
                    "devices": [
                        {
                            "name": d.name,
                            "kind": str(d.kind),
                            "description": d.description,
                            "default": d.is_default,
                        }
                        for d in devices
                    ],
                },
                indent=2,
            )
        )
        return 0
    rows = [("KIND", "DEFAULT", "NAME", "DESCRIPTION")]
    rows += [
        (str(d.kind), "*" if d.is_default else "", d.name, d.description)
        for d in sorted(devices, key=lambda d: (d.kind != "system", not d.is_default, d.name))
    ]
    widths = [max(len(r[i]) for r in rows) for i in range(3)]
    for row in rows:
        print(
            "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=False)) + "  " + row[3]
        )
    if not devices:
        print(f"(no devices to record from {backend.name})")
    else:
        print(
            f"{backend.name}: * marks the default of each kind; pass a NAME to "
            "`hindsight record --audio-device` (system) or `--mic-device` (mic)"
        )
    return 0
