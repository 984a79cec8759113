"""Every command starts on a machine without X11; ``record`` says in one line which
backend is missing.

The real CLI runs in a subprocess whose ``sitecustomize`` hides every X11 module
(python-xlib, pynput's xorg backend, mss's Linux backend) the way a Windows, macOS
or Wayland-only box lacks them: importing any of them raises ImportError.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.x11 import xvfb  # noqa: F401

HIDDEN = ("Xlib", "pynput._util.xorg", "pynput.keyboard._xorg", "pynput.mouse._xorg", "mss.linux")

_SITECUSTOMIZE = textwrap.dedent(
    f"""
    import sys

    HIDDEN = {HIDDEN!r}


    class HideX11:
        def find_spec(self, name, path=None, target=None):
            if any(name == h or name.startswith(h + ".") for h in HIDDEN):
                raise ImportError(f"No module named {{name!r}} (hidden by the test)", name=name)
            return None


    sys.meta_path.insert(0, HideX11())
    """
)
# imported by the probe: whatever of this was loaded tells that the hiding works
_PROBE = (
    "import sys, hindsight.cli.main; print(any(m.split('.')[0] == 'Xlib' for m in sys.modules))"
)


@pytest.fixture
def no_x11_env(tmp_path: Path) -> dict[str, str]:
    """The environment of a machine without X11: no DISPLAY, X11 modules hidden, its own home."""
    site = tmp_path / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text(_SITECUSTOMIZE)
    home = tmp_path / "home"
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    path = [str(site), *filter(None, env.get("PYTHONPATH", "").split(os.pathsep))]
    env.update(
        PYTHONPATH=os.pathsep.join(path),
        HOME=str(home),
        XDG_CONFIG_HOME=str(home / ".config"),
        XDG_DATA_HOME=str(home / ".local/share"),
        XDG_CACHE_HOME=str(home / ".cache"),
        XDG_STATE_HOME=str(home / ".local/state"),
        # Sound is another seam, tested on its own: its warning would come first here.
        HINDSIGHT_AUDIO_BACKEND="none",
    )
    for name in (
        "HINDSIGHT_CAPTURE",
        "HINDSIGHT_INPUT",
        "HINDSIGHT_FOCUS",
        "HINDSIGHT_HOTKEY_BACKEND",
    ):
        env.pop(name, None)
    return env


def hindsight(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "hindsight", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def one_line_error(result: subprocess.CompletedProcess, *fragments: str) -> str:
    assert result.returncode != 0, result
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("hindsight: error: "), result.stderr
    assert "Traceback" not in result.stderr
    for fragment in fragments:
        assert fragment in lines[0], lines[0]
    return lines[0]


def test_the_x11_modules_are_really_hidden(no_x11_env: dict[str, str]) -> None:
    for module in HIDDEN:
        result = subprocess.run(
            [sys.executable, "-c", f"import {module}"],
            env=no_x11_env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert result.returncode == 1 and "hidden by the test" in result.stderr, module
    probe = subprocess.run(
        [sys.executable, "-c", _PROBE], env=no_x11_env, capture_output=True, text=True, timeout=60
    )
    assert probe.stdout.strip() == "False", probe.stderr


@pytest.mark.parametrize(
    "args",
    [("--help",), ("record", "--help"), ("maps", "list"), ("clips", "list"), ("consent", "show")],
    ids=" ".join,
)
def test_commands_start_without_x11(no_x11_env: dict[str, str], args: tuple[str, ...]) -> None:
    result = hindsight(no_x11_env, *args)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip()
    assert "Traceback" not in result.stderr


# the modules that are X11 backends themselves: only their choosers import them
PLATFORM_MODULES = {
    "hindsight.demo.game",
    "hindsight.recorder.input.focus.x11",
    "hindsight.recorder.input.x11_keyboard",
    "hindsight.recorder.input.x11_mouse",
    "hindsight.recorder.video.x11_windows",
    "hindsight.recorder.video.x11grab_source",
}
# backends of another operating system: they need its libraries (soundcard) to import
OTHER_OS_MODULES = {"hindsight.recorder.audio.wasapi"}
_IMPORT_ALL = """
import importlib, pkgutil, hindsight
for m in pkgutil.walk_packages(hindsight.__path__, "hindsight."):
    # __main__ runs the CLI
    if m.name.endswith("__main__"):
        continue
    try:
        importlib.import_module(m.name)
    except ImportError:
        print(m.name)
"""


def test_only_the_x11_backends_need_x11_to_import(no_x11_env: dict[str, str]) -> None:
    result = subprocess.run(
        [sys.executable, "-c", _IMPORT_ALL],
        env=no_x11_env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert set(result.stdout.split()) == PLATFORM_MODULES | OTHER_OS_MODULES


def test_record_without_a_display_names_what_is_missing(no_x11_env: dict[str, str]) -> None:
    one_line_error(
        hindsight(no_x11_env, "record"), "no screen capture backend", "DISPLAY is not set"
    )
    one_line_error(hindsight(no_x11_env, "demo"), "needs an X display", "pip install python-xlib")


@pytest.mark.x11
def test_record_on_a_display_without_x11_modules(no_x11_env: dict[str, str], xvfb) -> None:  # noqa: F811
    display = ("--display", xvfb.name)
    one_line_error(
        hindsight(no_x11_env, "record", *display),
        "python-xlib is not installed",
        "pip install python-xlib",
    )
    # past capture (a test pattern), input capture needs the X11 sources
    one_line_error(
        hindsight(no_x11_env, "record", *display, "--capture-source", "fake", "--no-library"),
        "keyboard/mouse input backend",
        "python-xlib",
    )
    one_line_error(
        hindsight(no_x11_env, "record", *display, "--capture-source", "mss", "--no-input"),
        "mss",
        "mss.linux is missing",
    )
