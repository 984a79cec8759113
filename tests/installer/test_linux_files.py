"""The Linux desktop files of installer/: a valid desktop entry, the icon's sizes, the installer.

Quick: the per-user install script is run on a stand-in app folder, not on a build.
"""

from __future__ import annotations

import shutil
import struct
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
INSTALLER = ROOT / "installer"
SIZES = (16, 32, 48, 64, 128, 256)


def validate(entry: Path) -> None:
    tool = shutil.which("desktop-file-validate")
    if tool is None:
        pytest.fail("desktop-file-validate is missing: bash scripts/setup --test", pytrace=False)
    result = subprocess.run([tool, str(entry)], capture_output=True, text=True)
    assert result.returncode == 0 and not result.stdout.strip(), result.stdout + result.stderr


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR", f"{path} is not a PNG"
    return struct.unpack(">II", data[16:24])


def test_desktop_entry_is_valid() -> None:
    validate(INSTALLER / "linux" / "hindsight.desktop")


def test_icon_is_rendered_at_every_size() -> None:
    icons = INSTALLER / "icons"
    for size in SIZES:
        assert png_size(icons / f"hindsight-{size}.png") == (size, size)
    ico = (icons / "hindsight.ico").read_bytes()
    reserved, kind, count = struct.unpack("<HHH", ico[:6])
    assert (reserved, kind, count) == (0, 1, len(SIZES))
    source = (icons / "hindsight.svg").read_text()
    assert "<svg" in source and 'viewBox="0 0 256 256"' in source


def test_install_and_uninstall_for_one_user(tmp_path: Path) -> None:
    app = tmp_path / "dist" / "hindsight"
    (app / "_internal").mkdir(parents=True)
    program = app / "hindsight"
    program.write_text("#!/bin/sh\necho 'hindsight 9.9.9'\n")
    program.chmod(0o755)
    home = tmp_path / "home"
    home.mkdir()
    env = {"HOME": str(home), "PATH": "/usr/bin:/bin"}
    script = INSTALLER / "linux" / "install"

    done = subprocess.run([script, str(app)], env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "hindsight 9.9.9" in done.stdout
    command = home / ".local" / "bin" / "hindsight"
    assert subprocess.run([command], capture_output=True, text=True).stdout == "hindsight 9.9.9\n"
    entry = home / ".local" / "share" / "applications" / "hindsight.desktop"
    validate(entry)
    assert f"Exec={command}\n" in entry.read_text()
    assert f"Exec={command} clip\n" in entry.read_text()
    icons = home / ".local" / "share" / "icons" / "hicolor"
    assert (icons / "scalable" / "apps" / "hindsight.svg").is_file()
    for size in SIZES:
        assert png_size(icons / f"{size}x{size}" / "apps" / "hindsight.png") == (size, size)

    gone = subprocess.run([script, "--uninstall"], env=env, capture_output=True, text=True)
    assert gone.returncode == 0, gone.stderr
    assert not command.exists() and not command.is_symlink() and not entry.exists()
    assert not (home / ".local" / "lib" / "hindsight").exists()
