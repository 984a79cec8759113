"""Whether this is the first run (no consent decision recorded yet), asked in a child process.

Opening the clip library may migrate it; asking from a short-lived child keeps that,
and the library's modules, out of the desktop app's process for the rest of its run.

    python -m hindsight.app.desktop.first_run [SETTINGS_FILE]   # prints "first-run" or "asked"
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

__all__ = ["is_first_run"]


def is_first_run(settings_file: Path | None = None, timeout_s: float = 60) -> bool | None:
    """True when no consent was ever recorded and the dialog was never answered; None when
    the library could not be read."""
    from hindsight.app.desktop.consent_dialog import consent_asked

    if consent_asked(settings_file):  # answered before, "Not now" included: ask once only
        return False
    command = [sys.executable, "-m", "hindsight.app.desktop.first_run"]
    if settings_file is not None:
        command.append(str(settings_file))
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=timeout_s)
    except (OSError, subprocess.TimeoutExpired):
        return None
    answer = result.stdout.strip()
    return {"first-run": True, "asked": False}.get(answer)


def main() -> int:
    from hindsight.errors import HindsightError
    from hindsight.uploader.policy import open_library

    settings_file = Path(sys.argv[1]) if len(sys.argv) > 1 else None
    try:
        library = open_library(settings_file)
        try:
            print("asked" if library.consent_history() else "first-run")
        finally:
            library.close()
    except HindsightError as err:
        print(f"hindsight: error: {err}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
