"""The ``hindsight`` command: one parser, subcommands registered by each package.

Every error a user can cause is a :class:`HindsightError`; it is printed as one line
(``hindsight: error: ...``) with a non-zero exit. Anything else is a bug and keeps
its traceback.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Iterable, Sequence

from hindsight import __version__
from hindsight.errors import HindsightError

__all__ = ["main", "build_parser", "COMMAND_MODULES"]

# Each command's module under hindsight.cli, in the order ``--help`` lists them. A command
# line naming one of these builds only its module's parser: `hindsight clip` must start
# quickly, and the other modules import what their commands need (numpy, boto3).
COMMAND_MODULES = {
    "record": "record",
    "clip": "clip",
    "status": "status",
    "demo": "demo",
    "audio": "audio",
    "maps": "maps",
    "overlay": "overlay",
    "clips": "clips",
    "upload": "upload",
    "consent": "consent",
    "autostart": "autostart",
    "pause": "pause",
    "resume": "pause",
    "dataset": "dataset",
}


def build_parser(modules: Iterable[str] | None = None) -> argparse.ArgumentParser:
    """The ``hindsight`` parser with the commands of ``modules`` (default: every command)."""
    parser = argparse.ArgumentParser(
        prog="hindsight",
        description=(
            "Retroactive gameplay clip recorder: keeps the last seconds of the screen "
            "and saves them on a hotkey. With no command, starts the desktop app: a tray "
            "icon that runs the recorder in the background."
        ),
    )
    parser.add_argument("--version", action="version", version=f"hindsight {__version__}")
    parser.add_argument(
        "-v", "--verbose", action="count", default=0, help="more log output (-vv for debug)"
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in dict.fromkeys(COMMAND_MODULES.values() if modules is None else modules):
        importlib.import_module(f"hindsight.cli.{name}").register(sub)
    return parser


def _modules_for(argv: Sequence[str]) -> Iterable[str] | None:
    """The command modules a command line needs: the one of the command it names (its
    first word that is not an option: the top-level options take no values); none for
    the app and ``--version``; all for ``--help`` or a word that is no command."""
    command = next((word for word in argv if not word.startswith("-")), None)
    if command in COMMAND_MODULES:
        return [COMMAND_MODULES[command]]
    if command is None and not {"-h", "--help"} & set(argv):
        return []
    return None


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(_modules_for(argv))
    args = parser.parse_args(argv)
    if getattr(args, "logs", True):
        # Not for clip and status, which log nothing: they start without the logging module.
        from hindsight.cli.logs import setup_logging

        setup_logging(args.verbose)
    func = getattr(args, "func", None)
    if func is None:
        from hindsight.cli.desktop import cmd_app

        func = cmd_app
    try:
        return int(func(args) or 0)
    except HindsightError as err:
        print(f"hindsight: error: {err}", file=sys.stderr)
        return err.exit_code
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
