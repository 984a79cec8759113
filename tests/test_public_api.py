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
    "hindsight.recorder.capture",
    "hindsight.recorder.control",
    "hindsight.recorder.errors",
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
