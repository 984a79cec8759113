"""The ``consent`` commands: show, grant and withdraw consent per purpose (clips, dataset)."""

from __future__ import annotations

import argparse
import sys
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from hindsight.uploader.consent import PURPOSES, consent_text
from hindsight.uploader.errors import UploadConfigError

if TYPE_CHECKING:  # the database layer loads only when a command runs
    from hindsight.uploader.library import ClipLibrary

__all__ = ["register"]


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "consent",
        help="show, grant or withdraw consent to share clips (clips) or "
        "contribute them as training data (dataset)",
    )
    csub = p.add_subparsers(dest="consent_command", metavar="ACTION", required=True)
    for name, helptext in (
        ("show", "show what you agreed to, and the texts"),
        ("grant", "agree to a purpose (shows its text first)"),
        ("withdraw", "withdraw consent; unfinished uploads stop"),
    ):
        c = csub.add_parser(name, help=helptext)
        c.add_argument(
            "purpose",
            nargs="?" if name == "show" else None,
            choices=PURPOSES,
            metavar="PURPOSE",
            help="clips or dataset",
        )
        if name == "grant":
            c.add_argument(
                "--yes",
                action="store_true",
                help="agree without the question (after reading the text)",
            )
        if name == "show":
            c.add_argument(
                "--history", action="store_true", help="every grant and withdrawal, oldest first"
            )
        c.add_argument(
            "--settings",
            type=Path,
            metavar="FILE",
            help="settings file to read instead of the user's",
        )
        c.set_defaults(func=cmd_consent)


def cmd_consent(args: argparse.Namespace) -> int:
    from hindsight.uploader.policy import open_library

    library = open_library(args.settings)
    try:
        if args.consent_command == "show":
            return _show(library, args.purpose, args.history)
        if args.consent_command == "grant":
            return _grant(library, args.purpose, args.yes)
        return _withdraw(library, args.purpose, args.settings)
    finally:
        library.close()


def _show(library: ClipLibrary, purpose: str | None, history: bool) -> int:
    for each in [purpose] if purpose else list(PURPOSES):
        state = library.consent(each)
        text = consent_text(each)
        if state.current:
            status = f"granted ({state.version}, {_when(state.t_ms)})"
        elif state.granted:
            status = (
                f"granted for an older text ({state.version}); "
                f"grant again to agree to {text.version}"
            )
        elif state.t_ms:
            status = f"withdrawn ({_when(state.t_ms)})"
        else:
            status = "not granted"
        print(f"{each}: {status}")
        if purpose and not history:
            print(f"\n{text.body}\n\n(text version {text.version})")
    if history:
        for event in library.consent_history():
            if purpose in (None, event.purpose):
                verb = "granted" if event.granted else "withdrawn"
                print(f"  {_when(event.t_ms)}  {event.purpose}: {verb} ({event.version})")
    return 0


def _grant(library: ClipLibrary, purpose: str, yes: bool) -> int:
    from hindsight.uploader.policy import grant_consent

    text = consent_text(purpose)
    if not yes:
        if not sys.stdin.isatty():
            raise UploadConfigError(
                f"read the text with `hindsight consent show {purpose}`, "
                f"then run `hindsight consent grant {purpose} --yes`"
            )
        print(f"{text.body}\n")
        if input(f"Agree to this ({text.version})? [y/N] ").strip().lower() not in ("y", "yes"):
            print("nothing changed")
            return 1
    state = grant_consent(library, purpose)
    print(f"{purpose}: granted ({state.version})")
    return 0


def _withdraw(library: ClipLibrary, purpose: str, settings_file: Path | None) -> int:
    from hindsight.uploader.policy import withdraw_consent

    withdrawal = withdraw_consent(library, purpose, settings_file=settings_file)
    stopped = withdrawal.stopped
    print(f"{purpose}: withdrawn" + (f"; {stopped} queued upload(s) stopped" if stopped else ""))
    if withdrawal.cleaned:
        print(f"partly uploaded objects of {withdrawal.cleaned} clip(s) removed from the bucket")
    for line in withdrawal.left_behind:
        print(
            f"partly uploaded objects remain, withdraw again when the server is back: {line}",
            file=sys.stderr,
        )
    return 0


def _when(t_ms: int | None) -> str:
    return datetime.fromtimestamp((t_ms or 0) / 1000).strftime("%Y-%m-%d %H:%M")
