"""The [overlay] table: the look a streamer keeps, checked like the flags, flags on top."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from hindsight.cli import overlay as overlay_cli
from hindsight.overlay.errors import OverlayError
from hindsight.overlay.model.theme import DEFAULT_STYLE
from hindsight.overlay.settings import load_overlay_settings, overlay_style


def _args(settings: Path, *flags: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    overlay_cli.register(parser.add_subparsers())
    return parser.parse_args(["overlay", "live", "--settings", str(settings), *flags])


def test_file_values_then_flags_then_defaults(tmp_path: Path) -> None:
    path = tmp_path / "settings.toml"
    path.write_text(
        '[overlay]\ntemplate = "apm"\nposition = "top-right"\nscale = 2\naccent = "#FF0000"\n'
    )
    args = _args(path, "--scale", "1.5")
    style = overlay_cli._style(args)
    assert (style.position, style.scale, style.accent) == ("top-right", 1.5, "#ff0000")
    assert style.opacity == DEFAULT_STYLE.opacity and style.margin == DEFAULT_STYLE.margin
    assert overlay_cli._template(args) == "apm"
    assert overlay_cli._template(_args(path, "--template", "history")) == "history"


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ('template = "piano"', "overlay.template: template 'piano': one of keyboard_mouse"),
        ("opacity = 3", "overlay.opacity: --opacity 3.0: must be 0.05..1"),
        ('scale = "big"', "overlay.scale: expected int or float, got 'big'"),
        ("colour = 1", "overlay.colour: unknown setting"),
    ],
)
def test_a_bad_value_names_the_file_and_the_key(tmp_path: Path, line: str, message: str) -> None:
    path = tmp_path / "settings.toml"
    path.write_text(f"[overlay]\n{line}\n")
    with pytest.raises(OverlayError) as err:
        load_overlay_settings(path)
    assert str(err.value).startswith(f"{path}: {message}")


def test_no_file_is_the_default_style(tmp_path: Path) -> None:
    assert overlay_style(load_overlay_settings(tmp_path / "none.toml")) == DEFAULT_STYLE
