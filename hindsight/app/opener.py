"""Opening a folder in the user's file manager: one chooser, honouring ``HINDSIGHT_OPENER``.

The override names a program that takes the path as its one argument. Otherwise:
``os.startfile`` where it exists (Windows), ``open`` on macOS, ``xdg-open`` elsewhere.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from hindsight.errors import HindsightError

__all__ = ["open_path", "OpenerError"]


class OpenerError(HindsightError):
    """No program could open the folder."""


def _opener() -> list[str] | None:
    override = os.environ.get("HINDSIGHT_OPENER")
    if override:
        return [override]
    if sys.platform == "darwin":
        return ["open"]
    found = shutil.which("xdg-open")
    return [found] if found else None


def open_path(path: Path) -> None:
    startfile = getattr(os, "startfile", None)
    if startfile is not None and not os.environ.get("HINDSIGHT_OPENER"):
        startfile(str(path))
        return
    command = _opener()
    if command is None:
        raise OpenerError(
            f"no program to open folders was found (install xdg-utils, or set HINDSIGHT_OPENER); "
            f"the folder is {path}"
        )
    try:
        subprocess.Popen(
            [*command, str(path)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
    except OSError as err:
        raise OpenerError(
            f"{command[0]} could not be started ({err.strerror}); the folder is {path}"
        ) from None
