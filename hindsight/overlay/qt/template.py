"""A template drawn with Qt: a scene from :mod:`hindsight.overlay.model.templates` painted in two
passes.

The rest pass (:meth:`Template.paint_static`: panel, idle and bound parts) is
painted once so burn-in can cache it; the live pass (:meth:`Template.paint_dynamic`)
paints what a frame lights. :meth:`Template.state_key` names everything the live
pass depends on, so equal keys give equal pictures. :meth:`Template.regions` tells
where each input part is drawn, in pixels (tests check those regions light up).
"""

from __future__ import annotations

from collections.abc import Hashable

from PyQt6.QtCore import QRectF
from PyQt6.QtGui import QPainter, QPainterPath

from hindsight.overlay.model.layout import OverlayLayout
from hindsight.overlay.model.primitives import Body
from hindsight.overlay.model.scene import Scene
from hindsight.overlay.model.state import ActionFrame
from hindsight.overlay.model.templates import build_scene
from hindsight.overlay.model.theme import OverlayStyle
from hindsight.overlay.qt.painter import ScenePainter, body_path

__all__ = ["Template", "create_template"]


class Template:
    """One scene at ``unit`` pixels per key unit, in ``style``."""

    def __init__(self, scene: Scene, style: OverlayStyle, unit: float) -> None:
        self.scene = scene
        self.name = scene.template
        self.style = style
        self.u = unit
        self.painter = ScenePainter(style, unit)
        bodies = [item for item in scene.items if isinstance(item, Body)]
        self._behind: QPainterPath | None = None
        if bodies:
            # Layer-0 parts (bumpers, triggers) stay behind the pad body when they light.
            outside = QPainterPath()
            outside.addRect(QRectF(0, 0, *self.size()))
            for body in bodies:
                outside = outside.subtracted(body_path(body, unit))
            self._behind = outside

    def size(self) -> tuple[int, int]:
        """The overlay's pixel size, even in both directions."""
        return int(self.scene.w * self.u + 1) // 2 * 2 + 2, int(
            self.scene.h * self.u + 1
        ) // 2 * 2 + 2

    def regions(self) -> dict[str, QRectF]:
        u = self.u
        return {name: QRectF(x * u, y * u, w * u, h * u) for name, x, y, w, h in self.scene.regions}

    def state_key(self, frame: ActionFrame) -> Hashable:
        return self.scene.state_key(frame)

    def paint(self, p: QPainter, frame: ActionFrame) -> None:
        self.paint_static(p)
        self.paint_dynamic(p, frame)

    def paint_static(self, p: QPainter) -> None:
        for item in self.scene.items:
            if item.drawn != "always":
                self.painter.paint(p, item, None if item.drawn == "static" else _REST)

    def paint_dynamic(self, p: QPainter, frame: ActionFrame) -> None:
        for item in self.scene.items:
            if item.drawn == "static":
                continue
            state = self.scene.state(item, frame)
            if item.drawn == "lit" and not state and not getattr(item, "on_top", False):
                continue
            if self._behind is not None and getattr(item, "layer", 1) == 0:
                p.save()
                p.setClipPath(self._behind)
                self.painter.paint(p, item, state)
                p.restore()
            else:
                self.painter.paint(p, item, state)


# The resting state of every ``lit`` primitive (not lit, empty, zero).
_REST = 0


def create_template(
    name: str, layout: OverlayLayout, style: OverlayStyle, height_px: int
) -> Template:
    """Template ``name`` for ``layout``, sized for a picture ``height_px`` tall."""
    return Template(build_scene(name, layout), style, style.unit_px(height_px))
