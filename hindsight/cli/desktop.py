"""``hindsight`` with no command: the desktop app (tray icon, recorder in the background)."""

from __future__ import annotations

import argparse
import os
import sys

from hindsight.errors import HindsightError

__all__ = ["cmd_app"]


class NoDisplayError(HindsightError):
    """The desktop app needs a graphical session."""


def cmd_app(args: argparse.Namespace) -> int:
    if sys.platform.startswith("linux") and not (
        os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")
    ):
        raise NoDisplayError(
            "the desktop app needs a graphical session (no DISPLAY); "
            "run `hindsight record` to record without one, or see `hindsight --help`"
        )
    from hindsight.app.desktop.app import run_desktop_app

    return run_desktop_app()
