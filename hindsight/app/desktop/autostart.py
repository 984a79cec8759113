"""Start with the computer: one small interface, an XDG autostart entry on Linux, the Run key on
Windows.

:func:`autostart` gives the implementation for this system; each one can say whether
Hindsight starts at login, turn that on or off, and say where it is kept. The entry
runs ``hindsight`` the way it runs now: the frozen app's own executable when frozen
(PyInstaller), else this Python with ``-m hindsight``, so a virtualenv install starts
the same code. Qt-free, for the settings window and ``hindsight autostart`` alike.
"""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
from pathlib import Path
from typing import Any, Protocol

from hindsight.errors import HindsightError

__all__ = [
    "AutostartError",
    "Autostart",
    "XdgAutostart",
    "WindowsRunKey",
    "autostart",
    "launch_command",
]

_APP_NAME = "Hindsight"


class AutostartError(HindsightError):
    """The login entry cannot be read or written, or this system has no place for one."""


class Autostart(Protocol):
    """Whether Hindsight starts when the user logs in."""

    def enabled(self) -> bool: ...
    def enable(self) -> None: ...
    def disable(self) -> None: ...
    def where(self) -> str: ...


def launch_command() -> list[str]:
    """The command that starts the desktop app as it was started this time."""
    if getattr(sys, "frozen", False):
        return [sys.executable]
    return [sys.executable, "-m", "hindsight"]


class XdgAutostart:
    """``$XDG_CONFIG_HOME/autostart/hindsight.desktop`` (the freedesktop.org autostart spec)."""

    def __init__(self, config_home: Path | None = None) -> None:
        if config_home is None:
            env = os.environ.get("XDG_CONFIG_HOME")
            # The spec says a relative XDG_CONFIG_HOME is invalid and must be ignored.
            config_home = Path(env) if env and os.path.isabs(env) else Path.home() / ".config"
        self.path = config_home / "autostart" / "hindsight.desktop"

    def where(self) -> str:
        return str(self.path)

    def enabled(self) -> bool:
        try:
            text = self.path.read_text("utf-8")
        except FileNotFoundError:
            return False
        except OSError as err:
            raise AutostartError(f"{self.path}: cannot be read: {err.strerror}") from None
        # A user (or their desktop's settings) may have switched the entry off without
        # removing it.
        lines = {line.strip() for line in text.splitlines()}
        return "Hidden=true" not in lines and "X-GNOME-Autostart-enabled=false" not in lines

    def enable(self) -> None:
        text = "\n".join(
            [
                "[Desktop Entry]",
                "Type=Application",
                f"Name={_APP_NAME}",
                "Comment=Keeps the last moments of your game, saves them on a hotkey",
                f"Exec={desktop_exec(launch_command())}",
                "Icon=hindsight",
                "Terminal=false",
                "Categories=AudioVideo;Recorder;",
                "X-GNOME-Autostart-enabled=true",
                "",
            ]
        )
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.path.with_name(f".{self.path.name}.tmp")
            tmp.write_text(text, "utf-8")
            os.replace(tmp, self.path)
        except OSError as err:
            raise AutostartError(f"{self.path}: cannot be written: {err.strerror}") from None

    def disable(self) -> None:
        try:
            self.path.unlink(missing_ok=True)
        except OSError as err:
            raise AutostartError(f"{self.path}: cannot be removed: {err.strerror}") from None


def desktop_exec(argv: list[str]) -> str:
    """``argv`` as a desktop entry's Exec value (the Desktop Entry spec's quoting rules)."""

    def quote(arg: str) -> str:
        if arg and not any(c in arg for c in " \t\n\"'\\><~|&;$*?#()`="):
            return arg.replace("%", "%%")
        escaped = "".join("\\" + c if c in '"`$\\' else c for c in arg)
        return '"' + escaped.replace("%", "%%") + '"'

    # Exec is a string value too, so each backslash of the quoted form is escaped once more.
    return " ".join(quote(a) for a in argv).replace("\\", "\\\\")


class WindowsRunKey:
    """``HKCU\\Software\\Microsoft\\Windows\\CurrentVersion\\Run``, value ``Hindsight``.

    Written for Windows behind the same interface and never run on this project's
    Linux machines: no test exercises it (``winreg`` exists only on Windows).
    """

    _KEY = r"Software\Microsoft\Windows\CurrentVersion\Run"

    def where(self) -> str:
        return f"HKEY_CURRENT_USER\\{self._KEY}\\{_APP_NAME}"

    def enabled(self) -> bool:
        winreg = _winreg()

        try:
            with winreg.OpenKey(winreg.HKEY_CURRENT_USER, self._KEY) as key:
                winreg.QueryValueEx(key, _APP_NAME)
        except FileNotFoundError:
            return False
        return True

    def enable(self) -> None:
        winreg = _winreg()

        command = subprocess.list2cmdline(launch_command())
        try:
            with winreg.CreateKeyEx(
                winreg.HKEY_CURRENT_USER, self._KEY, 0, winreg.KEY_SET_VALUE
            ) as key:
                winreg.SetValueEx(key, _APP_NAME, 0, winreg.REG_SZ, command)
        except OSError as err:
            raise AutostartError(f"{self.where()}: cannot be written: {err.strerror}") from None

    def disable(self) -> None:
        winreg = _winreg()

        try:
            with winreg.OpenKey(
                winreg.HKEY_CURRENT_USER, self._KEY, 0, winreg.KEY_SET_VALUE
            ) as key:
                winreg.DeleteValue(key, _APP_NAME)
        except FileNotFoundError:
            pass
        except OSError as err:
            raise AutostartError(f"{self.where()}: cannot be removed: {err.strerror}") from None


def _winreg() -> Any:  # noqa: ANN401
    # Imported by name: the module exists only on Windows, and the type checker runs on Linux.
    return importlib.import_module("winreg")


def autostart() -> Autostart:
    """The login entry of this system; a system without one raises :class:`AutostartError`."""
    if sys.platform == "win32":
        return WindowsRunKey()
    if sys.platform.startswith(("linux", "freebsd", "openbsd")):
        return XdgAutostart()
    raise AutostartError(f"starting with the computer is not supported on {sys.platform} yet")
