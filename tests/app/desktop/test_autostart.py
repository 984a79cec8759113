"""Start with the computer: the XDG autostart entry is written, valid, runnable and removed."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from hindsight import __version__
from hindsight.app.desktop.autostart import XdgAutostart, autostart, desktop_exec, launch_command
from tests.recorder.cli_proc import run_cli


@pytest.fixture
def xdg(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    return tmp_path / "xdg" / "autostart" / "hindsight.desktop"


def _exec_argv(entry: Path) -> list[str]:
    """The Exec line split as the Desktop Entry spec says a launcher splits it."""
    line = next(x for x in entry.read_text().splitlines() if x.startswith("Exec="))
    value = line.removeprefix("Exec=").replace("\\\\", "\\")  # the string-value escape first
    args: list[str] = []
    current: str | None = None
    quoted = escaped = False
    for char in value:
        if escaped:
            current = (current or "") + char
            escaped = False
        elif quoted and char == "\\":
            escaped = True
        elif char == '"':
            quoted = not quoted
            current = current or ""
        elif char == " " and not quoted:
            if current is not None:
                args.append(current)
            current = None
        else:
            current = (current or "") + char
    if current is not None:
        args.append(current)
    return args


def test_on_writes_a_valid_entry_whose_exec_runs_hindsight(xdg: Path) -> None:
    entry = autostart()
    assert not entry.enabled()
    entry.enable()
    assert entry.enabled() and xdg.exists()
    validator = shutil.which("desktop-file-validate")
    if validator is None:
        pytest.fail("desktop-file-validate is missing: apt-get install desktop-file-utils")
    check = subprocess.run([validator, str(xdg)], capture_output=True, text=True)
    assert check.returncode == 0 and check.stdout == "", check.stdout
    argv = _exec_argv(xdg)
    assert argv == [sys.executable, "-m", "hindsight"]
    ran = subprocess.run([*argv, "--version"], capture_output=True, text=True, timeout=60)
    assert ran.stdout.strip() == f"hindsight {__version__}"
    entry.disable()
    assert not xdg.exists() and not entry.enabled()
    entry.disable()  # already off: nothing to do, no error


def test_a_frozen_app_starts_its_own_executable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "executable", "/opt/Hindsight/hindsight")
    assert launch_command() == ["/opt/Hindsight/hindsight"]


def test_exec_quoting_survives_spaces_and_specials(tmp_path: Path) -> None:
    odd = ["/home/a b/py$thon", "-m", 'quo"te\\d', "100%"]
    entry = XdgAutostart(tmp_path)
    entry.path.parent.mkdir(parents=True)
    entry.path.write_text(f"[Desktop Entry]\nExec={desktop_exec(odd)}\n")
    assert [a.replace("%%", "%") for a in _exec_argv(entry.path)] == odd


def test_an_entry_switched_off_by_the_desktop_counts_as_off(xdg: Path) -> None:
    entry = autostart()
    entry.enable()
    xdg.write_text(xdg.read_text().replace("Autostart-enabled=true", "Autostart-enabled=false"))
    assert not entry.enabled()


def test_the_command_line_toggle(xdg: Path) -> None:
    assert run_cli("autostart", "status").stdout == f"start with the computer: off ({xdg})\n"
    assert run_cli("autostart", "on").stdout == f"start with the computer: on ({xdg})\n"
    assert xdg.exists()
    assert run_cli("autostart", "off").stdout == f"start with the computer: off ({xdg})\n"
    assert not xdg.exists()
