"""The four overlay templates, by name: ``keyboard_mouse``, ``controller``, ``apm``, ``history``."""

from __future__ import annotations

from hindsight.overlay.errors import OverlayError
from hindsight.overlay.model.theme import TEMPLATE_NAMES, OverlayStyle
from hindsight.overlay.qt.templates.apm import ApmTemplate
from hindsight.overlay.qt.templates.base import Template
from hindsight.overlay.qt.templates.controller import ControllerTemplate
from hindsight.overlay.qt.templates.history import HistoryTemplate
from hindsight.overlay.qt.templates.keyboard_mouse import KeyboardMouseTemplate
from hindsight.overlay.model.layout import OverlayLayout

__all__ = ["Template", "create_template"]

_CLASSES: dict[str, type[Template]] = {
    "keyboard_mouse": KeyboardMouseTemplate,
    "controller": ControllerTemplate,
    "apm": ApmTemplate,
    "history": HistoryTemplate,
}
assert tuple(_CLASSES) == TEMPLATE_NAMES


def create_template(name: str, layout: OverlayLayout, style: OverlayStyle, height_px: int) -> Template:
    """Template ``name`` for ``layout``, sized for a picture ``height_px`` tall."""
    try:
        cls = _CLASSES[name]
    except KeyError:
        raise OverlayError(f"--template {name!r}: one of {', '.join(TEMPLATE_NAMES)}") from None
    return cls(layout, style, style.unit_px(height_px))
