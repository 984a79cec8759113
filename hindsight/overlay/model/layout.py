"""What an overlay draws for a game: key caps, mouse parts and pad parts of each action's default
binding.

The overlay shows actions, never the keys a player pressed: "jump" lights the key
the game's *shipped* map binds to it (Space in CS2), whatever the player rebound.
For each recorded set (context) and each action, the first binding that names a
keyboard/mouse input is the action's default there (likewise for the pad), and of
a plain binding only its first such input lights; a composite (WASD) lights its
direction keys by the sign of the axis. Key geometry is a US-QWERTY board in key
units; the overlay shows the compact cluster of the keys a map uses (the left-hand
block of the board) plus any keys far from it on one extra row above.

This module is plain data (no Qt): the live server serves it as JSON (``/layout``)
to the overlay window, and :mod:`hindsight.overlay.model.templates` lays the
templates out from it for Qt and the browser page alike.
"""

from __future__ import annotations

from dataclasses import dataclass

from hindsight.actionmap.model import ActionKind, ActionMap
from hindsight.overlay.model.theme import DEFAULT_TEMPLATE

__all__ = [
    "AXIS_LIGHT",
    "ActionInfo",
    "Light",
    "KeyCap",
    "InputPart",
    "OverlayLayout",
    "build_layout",
    "layout_from_json",
    "key_label",
]

# An axis lights a direction key once it is pushed this far that way.
AXIS_LIGHT = 0.3
# Keys whose right edge is past this (in key units) are far from the WASD hand and
# go to the extra row, except on the number row (a 1..9 hotbar stays in place).
_CLUSTER_RIGHT = 8.0

# name -> (row, x, width) in key units; rows: 0 = F-keys, 1 = numbers ... 5 = space bar.
_ROWS: list[tuple[int, float, list[tuple[str, float]]]] = [
    (0, 0.0, [("Escape", 1)]),
    (0, 2.0, [("F1", 1), ("F2", 1), ("F3", 1), ("F4", 1)]),
    (0, 6.5, [("F5", 1), ("F6", 1), ("F7", 1), ("F8", 1)]),
    (0, 11.0, [("F9", 1), ("F10", 1), ("F11", 1), ("F12", 1)]),
    (
        1,
        0.0,
        [("Grave", 1.0)]
        + [(str(d), 1) for d in "1234567890"]
        + [("Minus", 1), ("Equal", 1), ("Backspace", 2)],
    ),
    (
        2,
        0.0,
        [("Tab", 1.5)]
        + [(c, 1) for c in "QWERTYUIOP"]
        + [("LeftBracket", 1), ("RightBracket", 1), ("Backslash", 1.5)],
    ),
    (
        3,
        0.0,
        [("CapsLock", 1.75)]
        + [(c, 1) for c in "ASDFGHJKL"]
        + [("Semicolon", 1), ("Apostrophe", 1), ("Enter", 2.25)],
    ),
    (
        4,
        0.0,
        [("LeftShift", 2.25)]
        + [(c, 1) for c in "ZXCVBNM"]
        + [("Comma", 1), ("Period", 1), ("Slash", 1), ("RightShift", 2.75)],
    ),
    (
        5,
        0.0,
        [
            ("LeftCtrl", 1.25),
            ("LeftMeta", 1.25),
            ("LeftAlt", 1.25),
            ("Space", 6.25),
            ("RightAlt", 1.25),
            ("RightMeta", 1.25),
            ("Menu", 1.25),
            ("RightCtrl", 1.25),
        ],
    ),
    (4, 16.25, [("Up", 1)]),
    (5, 15.25, [("Left", 1), ("Down", 1), ("Right", 1)]),
    (1, 15.25, [("Insert", 1), ("Home", 1), ("PageUp", 1)]),
    (2, 15.25, [("Delete", 1), ("End", 1), ("PageDown", 1)]),
]
_GEOMETRY: dict[str, tuple[int, float, float]] = {}
for _row, _x0, _keys in _ROWS:
    _x = _x0
    for _name, _w in _keys:
        _GEOMETRY[_name] = (_row, _x, _w)
        _x += _w
_ORDER = {name: i for i, name in enumerate(_GEOMETRY)}

_LABELS = {
    "Escape": "Esc",
    "Grave": "`",
    "Minus": "-",
    "Equal": "=",
    "Backspace": "Bksp",
    "Tab": "Tab",
    "LeftBracket": "[",
    "RightBracket": "]",
    "Backslash": "\\",
    "CapsLock": "Caps",
    "Semicolon": ";",
    "Apostrophe": "'",
    "Enter": "Enter",
    "LeftShift": "Shift",
    "RightShift": "Shift",
    "Comma": ",",
    "Period": ".",
    "Slash": "/",
    "LeftCtrl": "Ctrl",
    "RightCtrl": "Ctrl",
    "LeftAlt": "Alt",
    "RightAlt": "Alt",
    "LeftMeta": "Win",
    "RightMeta": "Win",
    "Menu": "Menu",
    "Space": "Space",
    "Up": "\u2191",
    "Down": "\u2193",
    "Left": "\u2190",
    "Right": "\u2192",
    "Insert": "Ins",
    "Delete": "Del",
    "PageUp": "PgUp",
    "PageDown": "PgDn",
    "Home": "Home",
    "End": "End",
}
_DIRECTIONS = {
    "up": ("y", 1),
    "down": ("y", -1),
    "left": ("x", -1),
    "right": ("x", 1),
    "positive": ("x", 1),
    "negative": ("x", -1),
}
_MOUSE_PARTS = ("left", "right", "middle", "x1", "x2", "wheel_up", "wheel_down")


def _right(name: str) -> float:
    """Right edge of a key in the cluster; the space bar counts only its left end (it is cut to
    fit)."""
    _, x, w = _GEOMETRY[name]
    return x + (min(w, 2.25) if name == "Space" else w)


def key_label(name: str) -> str:
    """What a key cap shows: ``Space``, ``Shift``, ``W``; numpad and other keys as named."""
    return _LABELS.get(name, name.replace("Numpad", "Num "))


@dataclass(frozen=True)
class ActionInfo:
    name: str
    kind: ActionKind
    label: str


@dataclass(frozen=True)
class Light:
    """An input part lights while, in set ``context``, ``action`` is lit (``axis`` None) or pushed
    along ``axis`` ("x"/"y") with ``sign``; analog parts (sticks, triggers) take the value
    itself."""

    context: str
    action: str
    axis: str | None = None
    sign: int = 1


@dataclass(frozen=True)
class KeyCap:
    """One key cap in key units; ``lights`` empty: drawn idle for orientation, never lit."""

    name: str
    label: str
    x: float
    y: float
    w: float
    h: float
    lights: tuple[Light, ...]


@dataclass(frozen=True)
class InputPart:
    """A mouse or pad part (``left``, ``wheel_up``, ``delta``; ``south``, ``left_stick``) and its
    lights."""

    name: str
    lights: tuple[Light, ...]


@dataclass(frozen=True)
class OverlayLayout:
    """Everything an overlay template needs about a game, derived from its shipped action map."""

    game_id: str | None
    title: str | None
    template: str
    contexts: tuple[str, ...]
    actions: tuple[ActionInfo, ...]
    keys: tuple[KeyCap, ...]
    keys_w: float
    keys_h: float
    mouse: tuple[InputPart, ...]
    pad: tuple[InputPart, ...]

    def kinds(self) -> dict[str, str]:
        return {a.name: a.kind for a in self.actions}

    def labels(self) -> dict[str, str]:
        return {a.name: a.label for a in self.actions}

    def part(self, device: str, name: str) -> InputPart | None:
        for part in self.mouse if device == "mouse" else self.pad:
            if part.name == name:
                return part
        return None

    def to_json(self) -> dict:
        """The layout as the browser source reads it from ``/layout``."""

        def lights(ls: tuple[Light, ...]) -> list[dict]:
            return [
                {"context": li.context, "action": li.action, "axis": li.axis, "sign": li.sign}
                for li in ls
            ]

        return {
            "game": {"id": self.game_id, "title": self.title} if self.game_id else None,
            "template": self.template,
            "contexts": list(self.contexts),
            "actions": [{"name": a.name, "kind": a.kind, "label": a.label} for a in self.actions],
            "keys": [
                {
                    "label": k.label,
                    "x": k.x,
                    "y": k.y,
                    "w": k.w,
                    "h": k.h,
                    "lights": lights(k.lights),
                }
                for k in self.keys
            ],
            "keys_w": self.keys_w,
            "keys_h": self.keys_h,
            "mouse": {p.name: lights(p.lights) for p in self.mouse},
            "pad": {p.name: lights(p.lights) for p in self.pad},
            "axis_light": AXIS_LIGHT,
        }


def layout_from_json(data: dict) -> OverlayLayout:
    """The inverse of :meth:`OverlayLayout.to_json` (what the live window reads from
    ``/layout``)."""

    def lights(items: list[dict]) -> tuple[Light, ...]:
        return tuple(
            Light(str(i["context"]), str(i["action"]), i.get("axis"), int(i.get("sign", 1)))
            for i in items
        )

    game = data.get("game") or {}
    return OverlayLayout(
        game_id=game.get("id"),
        title=game.get("title"),
        template=str(data.get("template", DEFAULT_TEMPLATE)),
        contexts=tuple(data.get("contexts", ())),
        actions=tuple(
            ActionInfo(a["name"], ActionKind(a["kind"]), a["label"])
            for a in data.get("actions", ())
        ),
        keys=tuple(
            KeyCap(
                k["label"],
                k["label"],
                float(k["x"]),
                float(k["y"]),
                float(k["w"]),
                float(k["h"]),
                lights(k["lights"]),
            )
            for k in data.get("keys", ())
        ),
        keys_w=float(data.get("keys_w", 0.0)),
        keys_h=float(data.get("keys_h", 0.0)),
        mouse=tuple(InputPart(n, lights(v)) for n, v in data.get("mouse", {}).items()),
        pad=tuple(InputPart(n, lights(v)) for n, v in data.get("pad", {}).items()),
    )


def _defaults(amap: ActionMap, device_of: dict[str, str]) -> dict[str, list[tuple[str, Light]]]:
    """input name -> lights, for each recorded set's default binding of each action per device
    class."""
    found: dict[str, list[tuple[str, Light]]] = {}
    for aset in amap.sets:
        if aset.record != "actions":
            continue
        done: set[tuple[str, str]] = set()  # (action, device class) already has its default here
        for binding in aset.bindings:
            parts = [(None, s) for s in binding.sources] + [(d, s) for d, s in binding.composite]
            for device in ("kbm", "pad"):
                mine = [(d, s) for d, s in parts if device_of.get(s.partition(":")[0]) == device]
                if not mine or (binding.action, device) in done:
                    continue
                done.add((binding.action, device))
                if binding.composite:
                    for direction, source in mine:
                        if direction is None:
                            # a plain source beside a composite: the composite's keys light
                            continue
                        axis, sign = _DIRECTIONS[direction]
                        found.setdefault(source, []).append(
                            (source, Light(aset.name, binding.action, axis, sign))
                        )
                else:
                    source = mine[0][1]
                    found.setdefault(source, []).append((source, Light(aset.name, binding.action)))
    return found


def build_layout(amap: ActionMap) -> OverlayLayout:
    """The overlay layout of ``amap`` (pass the shipped map, not a user's local override)."""
    lights = _defaults(amap, {"key": "kbm", "mouse": "kbm", "pad": "pad"})
    key_lights = {
        s[4:]: tuple(li for _, li in v) for s, v in lights.items() if s.startswith("key:")
    }
    used = [k for k in key_lights if k in _GEOMETRY]
    in_cluster = [
        k
        for k in used
        if 1 <= _GEOMETRY[k][0] <= 5
        and _GEOMETRY[k][1] < 15
        and (_GEOMETRY[k][0] == 1 or _right(k) <= _CLUSTER_RIGHT)
    ]
    extra = sorted(
        (k for k in key_lights if k not in in_cluster), key=lambda k: _ORDER.get(k, 10_000)
    )
    caps: list[KeyCap] = []
    keys_w = keys_h = 0.0
    if in_cluster:
        top = min(_GEOMETRY[k][0] for k in in_cluster)
        right = max(4.0, max(_right(k) for k in in_cluster))
        y0 = 1.0 if extra else 0.0
        for name, (row, x, w) in _GEOMETRY.items():
            # Whole caps only, so the cluster's edge is a keyboard's ragged edge; the space bar is
            # cut.
            if not top <= row <= 5 or x >= 15 or (_right(name) > right + 1e-6):
                continue
            caps.append(
                KeyCap(
                    name,
                    key_label(name),
                    x,
                    y0 + row - top,
                    min(w, right - x),
                    1.0,
                    key_lights.get(name, ()),
                )
            )
        keys_w, keys_h = right, y0 + 6 - top
    x = 0.0
    for name in extra:
        w = 1.0 if len(key_label(name)) <= 2 else 1.5
        caps.append(KeyCap(name, key_label(name), x, 0.0, w, 1.0, key_lights[name]))
        x += w
    keys_w, keys_h = max(keys_w, x), max(keys_h, 1.0 if extra else 0.0)

    def parts(device: str, names: tuple[str, ...] | None) -> tuple[InputPart, ...]:
        got = {
            s.partition(":")[2]: tuple(li for _, li in v)
            for s, v in lights.items()
            if s.startswith(device + ":")
        }
        order = names if names is not None else tuple(sorted(got))
        return tuple(InputPart(n, got[n]) for n in order if n in got)

    template = str(amap.overlay.get("template", DEFAULT_TEMPLATE))
    return OverlayLayout(
        game_id=amap.id,
        title=amap.title,
        template=template,
        contexts=tuple(s.name for s in amap.sets),
        actions=tuple(ActionInfo(a.name, a.kind, a.label) for a in amap.actions),
        keys=tuple(caps),
        keys_w=keys_w,
        keys_h=keys_h,
        mouse=parts("mouse", (*_MOUSE_PARTS, "delta")),
        pad=parts("pad", None),
    )
