"""The four overlay templates, each described once as a :class:`Scene` of primitives in key units.

- ``keyboard_mouse``: the map's key cluster and a mouse with buttons, wheel and a
  look dial whose needle points where the player looks and grows with the speed.
  Caps of the game's default bindings light with their action (direction keys of
  a composite by the axis sign); keys the map does not use are drawn faintly.
- ``controller``: a standard pad (SDL layout, Xbox-style: left stick high, d-pad
  low); sticks move with their axis action, triggers fill, buttons light. Keyboard
  play moves the pad too: the template shows actions, not devices.
- ``apm``: mapped actions per minute over a sliding window, as a counter and a bar.
- ``history``: the last few actions, newest on top, with how long each was held.

The Qt templates and the browser page both paint these scenes; a visual change is
made here once.
"""

from __future__ import annotations

from collections.abc import Callable

from hindsight.overlay.errors import OverlayError
from hindsight.overlay.model.layout import Light, OverlayLayout
from hindsight.overlay.model.primitives import (
    Body,
    Cap,
    Chevron,
    Counter,
    Fill,
    HistoryRow,
    Item,
    Meter,
    MouseBody,
    MouseButton,
    Needle,
    Panel,
    Stick,
    Text,
    Trigger,
    Well,
)
from hindsight.overlay.model.scene import Scene
from hindsight.overlay.model.theme import TEMPLATE_NAMES

__all__ = ["HISTORY_ROWS", "build_scene"]

PAD = 0.3  # room for the shadow around the content, inside the overlay's own rectangle
HISTORY_ROWS = 6
_Rect = tuple[float, float, float, float]


def _cap_text(label: str) -> float:
    return 0.4 if len(label) <= 2 else 0.3


# ---- keyboard + mouse ---------------------------------------------------------------

_GAP = 0.08  # between caps
_MOUSE_W, _MOUSE_H = 2.3, 3.9
_KM_INNER = 0.25


def _keyboard_mouse(layout: OverlayLayout) -> Scene:
    parts = {p.name: p.lights for p in layout.mouse}
    has_mouse = bool(parts)
    keys_h = max(layout.keys_h, _MOUSE_H if has_mouse else 0.0)
    o = PAD + _KM_INNER
    kx, ky = o, o + keys_h - layout.keys_h
    mouse_gap = 0.35 if layout.keys else 0.0
    width = layout.keys_w + (_MOUSE_W + mouse_gap if has_mouse else 0.0)
    cw, ch = width + 2 * _KM_INNER, keys_h + 2 * _KM_INNER
    items: list[Item] = [Panel(PAD, PAD, cw, ch, 0.3)]
    regions: dict[str, _Rect] = {}
    for k in layout.keys:
        rect = (kx + k.x + _GAP / 2, ky + k.y + _GAP / 2, k.w - _GAP, k.h - _GAP)
        items.append(
            Cap(
                *rect,
                r=0.16,
                label=k.label,
                text=_cap_text(k.label),
                lights=k.lights,
                bound=bool(k.lights),
                region=f"key:{k.name}",
            )
        )
        regions[f"key:{k.name}"] = rect
    if has_mouse:
        mx, my = o + layout.keys_w + mouse_gap, o + keys_h - _MOUSE_H
        body = (mx, my, _MOUSE_W, _MOUSE_H, _MOUSE_W * 0.48)
        top_h, half, g = _MOUSE_H * 0.42, _MOUSE_W / 2, 0.05
        items.append(MouseBody(*body))
        for name, bx in (("left", mx), ("right", mx + half + g)):
            rect = (bx, my, half - g, top_h)
            items.append(
                MouseButton(
                    *rect,
                    body=body,
                    lights=parts.get(name, ()),
                    bound=name in parts,
                    region=f"mouse:{name}",
                )
            )
            regions[f"mouse:{name}"] = rect
        side_w, side_h = 0.22, 0.55
        for i, name in enumerate(("x2", "x1")):
            rect = (mx - side_w * 0.55, my + top_h + 0.25 + i * (side_h + 0.1), side_w, side_h)
            if name in parts:
                items.append(Fill(*rect, r=0.08, lights=parts[name], region=f"mouse:{name}"))
            regions[f"mouse:{name}"] = rect
        # The wheel and its arrows are drawn over the buttons (a lit button would cover them).
        wheel = (mx + half - 0.17, my + top_h * 0.34, 0.34, top_h * 0.42)
        items.append(
            Fill(
                *wheel,
                r=0.17,
                lights=parts.get("middle", ()),
                bound="middle" in parts,
                region="mouse:middle",
                on_top=True,
            )
        )
        regions["mouse:middle"] = wheel
        for name, sign in (("wheel_up", -1), ("wheel_down", 1)):
            if name in parts:
                tip = wheel[1] - 0.08 if sign < 0 else wheel[1] + wheel[3] + 0.08
                items.append(
                    Chevron(mx + half, tip, sign, 0.14, parts[name], region=f"mouse:{name}")
                )
        dial_r = min(_MOUSE_W, _MOUSE_H - top_h) * 0.3
        cx, cy = mx + half, my + top_h + (_MOUSE_H - top_h) * 0.48
        if "delta" in parts:
            items.append(Well(cx, cy, dial_r, "dial", cross=True))
            items.append(Needle(cx, cy, dial_r, parts["delta"]))
        regions["mouse:delta"] = (cx - dial_r, cy - dial_r, 2 * dial_r, 2 * dial_r)
    return Scene.of("keyboard_mouse", layout, cw + 2 * PAD, ch + 2 * PAD, items, regions)


# ---- controller ---------------------------------------------------------------------

_PAD_W, _PAD_H, _PAD_INNER = 9.0, 6.2, 0.2
# name -> (centre x, centre y, radius), relative to the pad's origin.
_ROUND = {
    "left_stick": (2.25, 2.75, 0.85),
    "right_stick": (5.95, 4.35, 0.85),
    "north": (6.8, 1.95, 0.36),
    "south": (6.8, 3.45, 0.36),
    "west": (6.05, 2.7, 0.36),
    "east": (7.55, 2.7, 0.36),
    "guide": (4.5, 1.95, 0.32),
    "back": (3.75, 2.75, 0.2),
    "start": (5.25, 2.75, 0.2),
}
_BUTTONS = ("north", "south", "west", "east", "guide", "back", "start")
_FACE_LABELS = {"north": "Y", "south": "A", "west": "X", "east": "B"}
_DPAD = {
    "dpad_up": (3.05, 3.65, 0.5, 0.6),
    "dpad_down": (3.05, 4.85, 0.5, 0.6),
    "dpad_left": (2.45, 4.25, 0.6, 0.5),
    "dpad_right": (3.65, 4.25, 0.6, 0.5),
}  # centre x, y, w, h
# Bumpers and triggers sit behind the body's top edge, as on a real pad (x, y, w, h, label).
_SHOULDERS = {
    "left_shoulder": (0.9, 0.78, 2.5, 0.78, "LB"),
    "right_shoulder": (5.6, 0.78, 2.5, 0.78, "RB"),
}
_TRIGGERS = {
    "left_trigger": (1.35, 0.0, 1.6, 0.72, "LT"),
    "right_trigger": (6.05, 0.0, 1.6, 0.72, "RT"),
}
_BODY = (
    (0.7, 1.3, 7.6, 3.3, 1.4, 0.0),
    (0.35, 2.1, 2.7, 4.0, 1.3, 14.0),
    (5.95, 2.1, 2.7, 4.0, 1.3, -14.0),
)


def _controller(layout: OverlayLayout) -> Scene:
    parts: dict[str, tuple[Light, ...]] = {p.name: p.lights for p in layout.pad}
    o = PAD + _PAD_INNER
    items: list[Item] = []
    regions: dict[str, _Rect] = {}
    for name, (x, y, w, h, label) in _TRIGGERS.items():
        items.append(
            Trigger(
                o + x,
                o + y,
                w,
                h,
                0.2,
                label,
                _cap_text(label),
                parts.get(name, ()),
                region=f"pad:{name}",
            )
        )
        regions[f"pad:{name}"] = (o + x, o + y, w, h)
    for name, (x, y, w, h, label) in _SHOULDERS.items():
        items.append(
            Cap(
                o + x,
                o + y,
                w,
                h - 0.28,
                0.22,
                label,
                _cap_text(label),
                parts.get(name, ()),
                region=f"pad:{name}",
                layer=0,
            )
        )
        regions[f"pad:{name}"] = (o + x, o + y, w, h)
    items.append(Body(tuple((o + x, o + y, w, h, r, a) for x, y, w, h, r, a in _BODY)))
    for name in ("left_stick", "right_stick"):
        x, y, r = _ROUND[name]
        items.append(Well(o + x, o + y, r, "well"))
    for name, (cx, cy, w, h) in _DPAD.items():
        rect = (o + cx - w / 2, o + cy - h / 2, w, h)
        items.append(
            Cap(*rect, r=0.1, label="", text=0.0, lights=parts.get(name, ()), region=f"pad:{name}")
        )
        regions[f"pad:{name}"] = rect
    for name in _BUTTONS:
        x, y, r = _ROUND[name]
        label = _FACE_LABELS.get(name, "")
        items.append(
            Cap(
                o + x - r,
                o + y - r,
                2 * r,
                2 * r,
                r,
                label,
                _cap_text(label),
                parts.get(name, ()),
                region=f"pad:{name}",
            )
        )
    for name in ("left_stick", "right_stick"):
        x, y, r = _ROUND[name]
        items.append(Stick(o + x, o + y, r, parts.get(name, ()), parts.get(f"{name}_click", ())))
    for name, (x, y, r) in _ROUND.items():
        regions[f"pad:{name}"] = (o + x - r, o + y - r, 2 * r, 2 * r)
    w, h = _PAD_W + 2 * _PAD_INNER, _PAD_H + 2 * _PAD_INNER
    return Scene.of("controller", layout, w + 2 * PAD, h + 2 * PAD, items, regions)


# ---- APM ----------------------------------------------------------------------------

_APM_W, _APM_H = 4.2, 1.7
_APM_FULL = 400  # APM that fills the bar (a busy shooter player sits around 150..300)


def _apm(layout: OverlayLayout) -> Scene:
    x, y, w, h = PAD, PAD, _APM_W, _APM_H
    items: list[Item] = [
        Panel(x, y, w, h, 0.3),
        Text(x + 0.3, y + 0.18, 1.4, 0.5, "APM", "muted", 0.34, "left"),
        Counter(x + 0.3, y + 0.1, w - 0.6, 1.15, 0.95),
        Meter(x + 0.3, y + h - 0.34, w - 0.6, 0.12, 0.06, _APM_FULL),
    ]
    return Scene.of("apm", layout, w + 2 * PAD, h + 2 * PAD, items, {"apm": (x, y, w, h)})


# ---- history ------------------------------------------------------------------------

_HISTORY_W, _ROW = 5.2, 0.72


def _history(layout: OverlayLayout) -> Scene:
    w, h = _HISTORY_W, HISTORY_ROWS * _ROW + 0.3
    items: list[Item] = [Panel(PAD, PAD, w, h, 0.3)]
    regions: dict[str, _Rect] = {}
    for i in range(HISTORY_ROWS):
        rect = (PAD + 0.15, PAD + 0.15 + i * _ROW, w - 0.3, _ROW - 0.1)
        items.append(HistoryRow(i, *rect))
        regions[f"row:{i}"] = rect
    return Scene.of("history", layout, w + 2 * PAD, h + 2 * PAD, items, regions)


_BUILDERS: dict[str, Callable[[OverlayLayout], Scene]] = {
    "keyboard_mouse": _keyboard_mouse,
    "controller": _controller,
    "apm": _apm,
    "history": _history,
}
assert tuple(_BUILDERS) == TEMPLATE_NAMES


def build_scene(template: str, layout: OverlayLayout) -> Scene:
    """Template ``template`` laid out for ``layout`` (a name from :data:`TEMPLATE_NAMES`)."""
    try:
        build = _BUILDERS[template]
    except KeyError:
        raise OverlayError(f"--template {template!r}: one of {', '.join(TEMPLATE_NAMES)}") from None
    return build(layout)
