"""The public surface: every name in ``__all__`` exists, and every user error shares one base."""

from __future__ import annotations

import importlib

import pytest

import hindsight
import hindsight.recorder
from hindsight import HindsightError

PUBLIC_MODULES = [
    "hindsight",
    "hindsight.recorder",
    "hindsight.recorder.video",
    "hindsight.recorder.control",
    "hindsight.recorder.errors",
    "hindsight.uploader",
    "hindsight.uploader.errors",
    "hindsight.uploader.transport",
]


@pytest.mark.parametrize("name", PUBLIC_MODULES)
def test_all_names_resolve(name: str) -> None:
    module = importlib.import_module(name)
    assert module.__all__, name
    assert len(set(module.__all__)) == len(module.__all__)
    for attr in module.__all__:
        assert getattr(module, attr) is not None, f"{name}.{attr}"


def test_every_recorder_error_is_a_hindsight_error() -> None:
    from hindsight.recorder import errors

    for attr in errors.__all__:
        assert issubclass(getattr(errors, attr), HindsightError), attr


def test_version_is_exposed() -> None:
    assert hindsight.__version__.count(".") == 2


def test_every_uploader_error_is_a_hindsight_error() -> None:
    from hindsight.uploader import errors

    for attr in errors.__all__:
        assert issubclass(getattr(errors, attr), HindsightError), attr


def test_recorder_and_uploader_never_import_each_other_or_qt() -> None:
    """The dependency rule of the layout, checked on the source (imports inside functions count)."""
    import ast
    from pathlib import Path

    root = Path(hindsight.__file__).parent
    rules = {
        "recorder": ("hindsight.uploader", "hindsight.overlay", "PyQt6"),
        "uploader": ("hindsight.recorder", "hindsight.overlay", "PyQt6"),
    }
    for package, forbidden in rules.items():
        for path in (root / package).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text())):
                names = (
                    [a.name for a in node.names]
                    if isinstance(node, ast.Import)
                    else [node.module or ""]
                    if isinstance(node, ast.ImportFrom)
                    else []
                )
                for name in names:
                    assert not name.startswith(forbidden), (
                        f"{path.relative_to(root)} imports {name}"
                    )


def test_the_uploader_package_loads_lazily() -> None:
    import subprocess
    import sys

    code = (
        "import sys, hindsight.uploader as u; assert 'sqlite3' not in sys.modules; "
        "u.ClipLibrary; assert 'sqlite3' in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
