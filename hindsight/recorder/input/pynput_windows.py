"""Keyboard and mouse on Windows: pynput's low-level hooks (WH_KEYBOARD_LL, WH_MOUSE_LL).

pynput calls ``win32_event_filter(msg, data)`` on its hook thread with the raw
KBDLLHOOKSTRUCT / MSLLHOOKSTRUCT before it translates anything; that filter is our
callback. It stamps, names and enqueues, and returns False so that pynput skips its
own translation (the event still reaches the system and the game).

Keys are named by set-1 scan code, a physical position whatever the layout:
``scanCode``, with 0xE000 added for extended keys (LLKHF_EXTENDED), looked up in
``names.WINDOWS_SCAN_KEYS``. Autorepeat (a key-down for a key already held) is
dropped and counted.

Mouse deltas: games read raw input (WM_INPUT) for motion; reading it needs a window
of our own and is out of scope here, so ``mouse:delta`` is the difference of
successive hook positions. The hook does not see SetCursorPos warps as moves, but
positions stop at the screen edge and while a game clips the cursor.

pynput's win32 modules import only on Windows; they are imported in ``start()``.
Untested here (no Windows); importable anywhere.
"""

from __future__ import annotations

from hindsight.actionmap.names import WINDOWS_SCAN_KEYS
from hindsight.clock import now_ns
from hindsight.recorder.input.base import NO_SINK, InputQueue, InputSource, RawInput

__all__ = ["PynputWindowsSource", "windows_key_name"]

_WM_KEYDOWN, _WM_KEYUP, _WM_SYSKEYDOWN, _WM_SYSKEYUP = 0x0100, 0x0101, 0x0104, 0x0105
_LLKHF_EXTENDED = 0x01
_WM_MOUSEMOVE, _WM_MOUSEWHEEL, _WM_MOUSEHWHEEL = 0x0200, 0x020A, 0x020E
_WM_XBUTTONDOWN, _WM_XBUTTONUP = 0x020B, 0x020C
_CLICKS = {
    0x0201: ("mouse:left", 1.0), 0x0202: ("mouse:left", 0.0),
    0x0204: ("mouse:right", 1.0), 0x0205: ("mouse:right", 0.0),
    0x0207: ("mouse:middle", 1.0), 0x0208: ("mouse:middle", 0.0),
}  # fmt: skip
_XBUTTONS = {1: "mouse:x1", 2: "mouse:x2"}
_WHEEL_DELTA = 120
_KEY_NAMES = {code: f"key:{name}" for code, name in WINDOWS_SCAN_KEYS.items()}


def _scan_code(scan_code: int, flags: int) -> int:
    return scan_code | 0xE000 if flags & _LLKHF_EXTENDED else scan_code


def windows_key_name(scan_code: int, flags: int) -> str | None:
    """``key:<name>`` for a low-level hook's scan code and flags, or None."""
    return _KEY_NAMES.get(_scan_code(scan_code, flags))


class PynputWindowsSource(InputSource):
    """Keyboard and mouse through pynput's Windows hooks."""

    name = "windows"
    hears_keyboard = True

    def __init__(self) -> None:
        super().__init__()
        self._sink: InputQueue = NO_SINK
        self._listeners: list = []
        self._held: set[int] = set()
        self._last_pos: tuple[int, int] | None = None

    def start(self, sink: InputQueue) -> None:
        if self._listeners:
            return
        try:
            from pynput.keyboard._win32 import Listener as KeyboardListener
            from pynput.mouse._win32 import Listener as MouseListener
        except Exception as exc:  # noqa: BLE001  not Windows, or pynput missing
            reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise self.error(f"pynput's Windows hooks are not available ({reason})") from None
        self._sink = sink
        self._held.clear()
        self._last_pos = None
        self._listeners = [
            KeyboardListener(win32_event_filter=self._on_key),
            MouseListener(win32_event_filter=self._on_mouse),
        ]
        for listener in self._listeners:
            listener.start()
            listener.wait()

    def _on_key(self, msg: int, data) -> bool:
        """Keyboard hook callback: stamp, name, enqueue; False skips pynput's own handling."""
        t_ns = now_ns()
        code = _scan_code(data.scanCode, data.flags)
        if msg == _WM_KEYDOWN or msg == _WM_SYSKEYDOWN:
            if code in self._held:
                self._stats.repeats_dropped += 1
                return False
            self._held.add(code)
            value = 1.0
        elif msg == _WM_KEYUP or msg == _WM_SYSKEYUP:
            self._held.discard(code)
            value = 0.0
        else:
            return False
        name = _KEY_NAMES.get(code)
        if name is None:
            self._stats.unnamed_dropped += 1
            return False
        self._stats.events += 1
        self._sink.put(RawInput(t_ns, name, value))
        return False

    def _on_mouse(self, msg: int, data) -> bool:
        """Mouse hook callback: stamp, name, enqueue; positions stay here, only deltas go."""
        t_ns = now_ns()
        put = self._sink.put
        if msg == _WM_MOUSEMOVE:
            x, y = data.pt.x, data.pt.y
            last, self._last_pos = self._last_pos, (x, y)
            if last is not None and (x != last[0] or y != last[1]):
                self._stats.events += 1
                put(RawInput(t_ns, "mouse:delta", float(x - last[0]), float(last[1] - y)))
            return False
        click = _CLICKS.get(msg)
        if click is not None:
            self._stats.events += 1
            put(RawInput(t_ns, click[0], click[1]))
        elif msg == _WM_XBUTTONDOWN or msg == _WM_XBUTTONUP:
            name = _XBUTTONS.get(data.mouseData >> 16)
            if name is None:
                self._stats.unnamed_dropped += 1
            else:
                self._stats.events += 1
                put(RawInput(t_ns, name, 1.0 if msg == _WM_XBUTTONDOWN else 0.0))
        elif msg == _WM_MOUSEWHEEL:
            delta = ((data.mouseData >> 16) ^ 0x8000) - 0x8000  # signed high word; up positive
            name = "mouse:wheel_up" if delta > 0 else "mouse:wheel_down"
            for _ in range(max(1, abs(delta) // _WHEEL_DELTA) if delta else 0):
                self._stats.events += 2
                put(RawInput(t_ns, name, 1.0))
                put(RawInput(t_ns, name, 0.0))
        elif msg == _WM_MOUSEHWHEEL:
            self._stats.unnamed_dropped += 1
        return False

    def stop(self) -> None:
        listeners, self._listeners = self._listeners, []
        for listener in listeners:
            listener.stop()
        for listener in listeners:
            listener.join(2.0)
        self._held.clear()
