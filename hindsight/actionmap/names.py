"""The input vocabulary: layout-independent physical names for keys, mouse and controllers.

Keys are named by their position on a US-QWERTY keyboard (``key:W`` is the key
left of E wherever the user's layout puts a letter there), so an action map means
the same on AZERTY or Dvorak. Controller names follow SDL's standard gamepad
layout (``pad:south`` is A on Xbox, Cross on PlayStation). Each input has a kind:
a ``button`` (pressed/released), a ``trigger`` (0..1), a ``stick`` (x, y in [-1, 1],
y up) or a ``delta`` (mouse motion, summed).

The tables from platform key codes to names live here too, so every backend
names keys the same way: Linux evdev codes (X11 keycodes are evdev + 8) and
Windows set-1 scan codes.
"""

from __future__ import annotations

__all__ = [
    "KEY_NAMES",
    "MOUSE_BUTTONS",
    "PAD_BUTTONS",
    "PAD_TRIGGERS",
    "PAD_STICKS",
    "INPUT_KINDS",
    "input_kind",
    "is_input_name",
    "EVDEV_KEYS",
    "WINDOWS_SCAN_KEYS",
    "x11_keycode_name",
]

# evdev code -> US-QWERTY position name (linux/input-event-codes.h).
EVDEV_KEYS: dict[int, str] = {
    1: "Escape",
    2: "1",
    3: "2",
    4: "3",
    5: "4",
    6: "5",
    7: "6",
    8: "7",
    9: "8",
    10: "9",
    11: "0",
    12: "Minus",
    13: "Equal",
    14: "Backspace",
    15: "Tab",
    16: "Q",
    17: "W",
    18: "E",
    19: "R",
    20: "T",
    21: "Y",
    22: "U",
    23: "I",
    24: "O",
    25: "P",
    26: "LeftBracket",
    27: "RightBracket",
    28: "Enter",
    29: "LeftCtrl",
    30: "A",
    31: "S",
    32: "D",
    33: "F",
    34: "G",
    35: "H",
    36: "J",
    37: "K",
    38: "L",
    39: "Semicolon",
    40: "Apostrophe",
    41: "Grave",
    42: "LeftShift",
    43: "Backslash",
    44: "Z",
    45: "X",
    46: "C",
    47: "V",
    48: "B",
    49: "N",
    50: "M",
    51: "Comma",
    52: "Period",
    53: "Slash",
    54: "RightShift",
    55: "NumpadMultiply",
    56: "LeftAlt",
    57: "Space",
    58: "CapsLock",
    59: "F1",
    60: "F2",
    61: "F3",
    62: "F4",
    63: "F5",
    64: "F6",
    65: "F7",
    66: "F8",
    67: "F9",
    68: "F10",
    69: "NumLock",
    70: "ScrollLock",
    71: "Numpad7",
    72: "Numpad8",
    73: "Numpad9",
    74: "NumpadSubtract",
    75: "Numpad4",
    76: "Numpad5",
    77: "Numpad6",
    78: "NumpadAdd",
    79: "Numpad1",
    80: "Numpad2",
    81: "Numpad3",
    82: "Numpad0",
    83: "NumpadDecimal",
    86: "IntlBackslash",
    87: "F11",
    88: "F12",
    96: "NumpadEnter",
    97: "RightCtrl",
    98: "NumpadDivide",
    99: "PrintScreen",
    100: "RightAlt",
    102: "Home",
    103: "Up",
    104: "PageUp",
    105: "Left",
    106: "Right",
    107: "End",
    108: "Down",
    109: "PageDown",
    110: "Insert",
    111: "Delete",
    119: "Pause",
    125: "LeftMeta",
    126: "RightMeta",
    127: "Menu",
    183: "F13",
    184: "F14",
    185: "F15",
    186: "F16",
    187: "F17",
    188: "F18",
    189: "F19",
    190: "F20",
    191: "F21",
    192: "F22",
    193: "F23",
    194: "F24",
}

# Windows set-1 scan code (0xE0-prefixed codes as 0xE000 | code) -> name.
WINDOWS_SCAN_KEYS: dict[int, str] = {
    **{code: name for code, name in EVDEV_KEYS.items() if code <= 88 and code not in (55,)},
    0x37: "NumpadMultiply",
    0xE01C: "NumpadEnter",
    0xE01D: "RightCtrl",
    0xE035: "NumpadDivide",
    0xE037: "PrintScreen",
    0xE038: "RightAlt",
    0xE047: "Home",
    0xE048: "Up",
    0xE049: "PageUp",
    0xE04B: "Left",
    0xE04D: "Right",
    0xE04F: "End",
    0xE050: "Down",
    0xE051: "PageDown",
    0xE052: "Insert",
    0xE053: "Delete",
    0xE05B: "LeftMeta",
    0xE05C: "RightMeta",
    0xE05D: "Menu",
    0x45: "Pause",
    # low-level hooks report NumLock as the extended 0x45 and Pause as the plain one
    0xE045: "NumLock",
    0x64: "F13",
    0x65: "F14",
    0x66: "F15",
    0x67: "F16",
    0x68: "F17",
    0x69: "F18",
    0x6A: "F19",
    0x6B: "F20",
    0x6C: "F21",
    0x6D: "F22",
    0x6E: "F23",
    0x76: "F24",
    0x56: "IntlBackslash",
}

KEY_NAMES: frozenset[str] = frozenset(EVDEV_KEYS.values())

MOUSE_BUTTONS: frozenset[str] = frozenset(
    {"left", "right", "middle", "x1", "x2", "wheel_up", "wheel_down"}
)

PAD_BUTTONS: frozenset[str] = frozenset(
    {
        "south",
        "east",
        "west",
        "north",
        "back",
        "guide",
        "start",
        "left_shoulder",
        "right_shoulder",
        "left_stick_click",
        "right_stick_click",
        "dpad_up",
        "dpad_down",
        "dpad_left",
        "dpad_right",
    }
)
PAD_TRIGGERS: frozenset[str] = frozenset({"left_trigger", "right_trigger"})
PAD_STICKS: frozenset[str] = frozenset({"left_stick", "right_stick"})

INPUT_KINDS = ("button", "trigger", "stick", "delta")


def input_kind(name: str) -> str | None:
    """The kind of a full input name such as ``key:W`` or ``pad:left_stick``; None if unknown."""
    device, _, part = name.partition(":")
    if device == "key":
        return "button" if part in KEY_NAMES else None
    if device == "mouse":
        if part == "delta":
            return "delta"
        return "button" if part in MOUSE_BUTTONS else None
    if device == "pad":
        if part in PAD_BUTTONS:
            return "button"
        if part in PAD_TRIGGERS:
            return "trigger"
        if part in PAD_STICKS:
            return "stick"
    return None


def is_input_name(name: str) -> bool:
    return input_kind(name) is not None


def x11_keycode_name(keycode: int) -> str | None:
    """``key:<name>`` for an X11 keycode (evdev code + 8 on Linux), or None if it has no name."""
    name = EVDEV_KEYS.get(keycode - 8)
    return f"key:{name}" if name else None
