"""`hindsight clip` and `hindsight status` start quickly: their import graph holds no heavy
library and none of the recorder's own modules they do not use, and the command table that
makes that possible names every command.

A player presses the save from a second terminal (or a script does, per match); the
new process must not pay for numpy, Qt, the clip library or the media libraries it never uses,
nor for the recorder's configuration, the record command's parser, the overlays or logging.
"""

from __future__ import annotations

import argparse
import importlib
import os
import subprocess
import sys

import pytest

from hindsight.cli.main import COMMAND_MODULES, build_parser

# Libraries these commands never use, and Hindsight's layers they never need.
HEAVY = (
    "numpy",
    "av",
    "pyarrow",
    "sqlite3",
    "PyQt6",
    "boto3",
    "botocore",
    "multiprocessing",
    "tomlkit",
    "hindsight.bundle",
    "hindsight.uploader",
    "hindsight.dataset",
    "hindsight.actionmap",
    "hindsight.overlay",
    # The recorder's configuration (its defaults, the user folders they read) and the
    # record command's parser built from it: clip and status ask a running recorder.
    "hindsight.recorder.config",
    "hindsight.paths",
    "hindsight.cli.record",
    # The control socket's default place: with HINDSIGHT_CONTROL set it is not needed.
    "platformdirs",
    # Only the recorder's side of the control channel logs; clip and status set up none.
    "logging",
)
# `clip` reads one reply, not the whole status.
NOT_FOR_CLIP = ("hindsight.recorder.status",)


def imported_by(*args: str) -> set[str]:
    """Every module `python -m hindsight ARGS` imports (as -X importtime lists them)."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "hindsight", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "PYTHONWARNINGS": "ignore", "HINDSIGHT_CONTROL": "/nonexistent/c.sock"},
    )
    lines = [line for line in done.stderr.splitlines() if line.startswith("import time:")]
    assert lines, done.stderr
    return {line.rsplit("|", 1)[1].strip() for line in lines}


@pytest.mark.parametrize("args", [("status",), ("clip", "--seconds", "5"), ("--version",)])
def test_quick_commands_import_nothing_heavy(args: tuple[str, ...]) -> None:
    modules = imported_by(*args)  # no recorder runs here: each says so in one line
    assert "hindsight.cli.main" in modules
    unneeded = HEAVY + (NOT_FOR_CLIP if args[0] == "clip" else ())
    heavy = sorted(
        m for m in modules if m in unneeded or m.startswith(tuple(f"{u}." for u in unneeded))
    )
    assert heavy == []


def test_the_command_table_names_every_command_of_every_module() -> None:
    by_module: dict[str, set[str]] = {}
    for command, module in COMMAND_MODULES.items():
        by_module.setdefault(module, set()).add(command)
    for module, commands in by_module.items():
        sub = argparse.ArgumentParser().add_subparsers()
        importlib.import_module(f"hindsight.cli.{module}").register(sub)
        assert set(sub.choices) == commands, module
    full = build_parser()._subparsers._group_actions[0].choices  # type: ignore[union-attr]
    assert list(full) == list(COMMAND_MODULES)
