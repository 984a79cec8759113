"""Overlay settings: the ``[overlay]`` table of ``settings.toml``, then the command line's options.

The table holds the look a streamer keeps from one session to the next (template,
corner, margin, opacity, scale, accent); ``hindsight overlay live`` and ``render`` and
the desktop app read it. Each value is checked by :class:`OverlayStyle` itself, so the
file and a flag are held to the same rule, and a bad value is reported with the file
and the key.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import fields
from pathlib import Path
from typing import Any

from hindsight.overlay.errors import OverlayError
from hindsight.overlay.model.theme import TEMPLATE_NAMES, OverlayStyle
from hindsight.paths import settings_path
from hindsight.settings_file import checked_table, read_settings_file

__all__ = ["OVERLAY_KEYS", "load_overlay_settings", "overlay_style", "overlay_template"]

# key -> type, for the [overlay] table; every key but ``template`` is an OverlayStyle field.
OVERLAY_KEYS: dict[str, type | tuple[type, ...]] = {
    "template": str,
    "position": str,
    "margin": (int, float),
    "opacity": (int, float),
    "scale": (int, float),
    "accent": str,
}


def load_overlay_settings(path: Path | None = None) -> dict[str, Any]:
    """The ``[overlay]`` table (empty if there is no file), each value checked; raises
    :class:`OverlayError` with the file and the key."""
    path = path or settings_path()
    table = checked_table(
        read_settings_file(path, OverlayError), "overlay", OVERLAY_KEYS, path, OverlayError
    )
    for key, value in table.items():
        try:
            if key == "template":
                overlay_template(value)
            else:
                overlay_style({key: value})
        except OverlayError as err:
            raise OverlayError(f"{path}: overlay.{key}: {err}") from None
    return table


def overlay_template(name: str | None) -> str | None:
    """The template name as given (None: the game's own choice); an unknown one raises."""
    if name is not None and name not in TEMPLATE_NAMES:
        raise OverlayError(f"template {name!r}: one of {', '.join(TEMPLATE_NAMES)}")
    return name


def overlay_style(settings: Mapping[str, Any]) -> OverlayStyle:
    """An :class:`OverlayStyle` from settings keys (absent or None: the default)."""
    given = {
        f.name: settings[f.name] for f in fields(OverlayStyle) if settings.get(f.name) is not None
    }
    if isinstance(given.get("accent"), str):
        given["accent"] = given["accent"].lower()
    for key in ("margin", "opacity", "scale"):
        if key in given:
            given[key] = float(given[key])
    return OverlayStyle(**given)
