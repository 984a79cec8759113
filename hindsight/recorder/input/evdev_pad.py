"""Controllers read from Linux evdev devices with the ``inputs`` package (the fallback to SDL).

``inputs`` finds the pads (``/dev/input/by-id/*-event-joystick``, when it is first
imported) and names evdev codes (``BTN_SOUTH``, ``ABS_X``); each pad is read on a
thread of its own. Instead of ``inputs.get_gamepad()``, whose read blocks until the
pad's next event and so cannot be stopped, each thread waits on the device with
``select`` and a wake-up pipe, reads whole evdev events and lets ``inputs`` name
them. Each pad's axis ranges are asked of the kernel (EVIOCGABS) at start.

Mapping to our names (:class:`EvdevPadMapper`): the kernel's positional button
codes (BTN_SOUTH/EAST/NORTH/WEST, BTN_TL/TR, BTN_SELECT/START/MODE,
BTN_THUMBL/THUMBR, BTN_DPAD_*), the left stick ABS_X/ABS_Y, the right stick
ABS_RX/ABS_RY, triggers ABS_Z/ABS_RZ (or ABS_BRAKE/ABS_GAS, or the digital
BTN_TL2/BTN_TR2 on pads without analog triggers) and the d-pad hat ABS_HAT0X/Y.
Limits compared with SDL: no hot-plugging (pads present at start only), no mapping
database (a few drivers, e.g. xpad's X/Y, report by label rather than position; some
generic HID pads put the right stick on ABS_Z/ABS_RZ).
"""

from __future__ import annotations

import errno
import logging
import os
import select
import struct
import threading
from collections.abc import Mapping
from typing import Any

from hindsight.clock import now_ns
from hindsight.recorder.input.base import NO_SINK, InputQueue, InputSource, RawInput

__all__ = ["DEFAULT_ABS_RANGES", "EvdevPadMapper", "EvdevPadSource"]

log = logging.getLogger("hindsight.recorder.input")

BUTTONS: dict[str, str] = {
    "BTN_SOUTH": "pad:south", "BTN_EAST": "pad:east",
    "BTN_NORTH": "pad:north", "BTN_WEST": "pad:west",
    "BTN_TL": "pad:left_shoulder", "BTN_TR": "pad:right_shoulder",
    "BTN_SELECT": "pad:back", "BTN_START": "pad:start", "BTN_MODE": "pad:guide",
    "BTN_THUMBL": "pad:left_stick_click", "BTN_THUMBR": "pad:right_stick_click",
    "BTN_DPAD_UP": "pad:dpad_up", "BTN_DPAD_DOWN": "pad:dpad_down",
    "BTN_DPAD_LEFT": "pad:dpad_left", "BTN_DPAD_RIGHT": "pad:dpad_right",
}  # fmt: skip
DIGITAL_TRIGGERS = {"BTN_TL2": 0, "BTN_TR2": 1}
STICK_AXES = {"ABS_X": (0, 0), "ABS_Y": (0, 1), "ABS_RX": (1, 0), "ABS_RY": (1, 1)}  # (stick, axis)
TRIGGER_AXES = {"ABS_Z": 0, "ABS_RZ": 1, "ABS_BRAKE": 0, "ABS_GAS": 1}
HATS = {
    "ABS_HAT0X": ("pad:dpad_left", "pad:dpad_right"),
    "ABS_HAT0Y": ("pad:dpad_up", "pad:dpad_down"),
}
_STICKS = ("pad:left_stick", "pad:right_stick")
_TRIGGERS = ("pad:left_trigger", "pad:right_trigger")

# used when the kernel cannot tell (xpad's ranges: sticks signed 16 bit, triggers 8 bit)
DEFAULT_ABS_RANGES: dict[str, tuple[int, int]] = {
    "ABS_X": (-32768, 32767), "ABS_Y": (-32768, 32767),
    "ABS_RX": (-32768, 32767), "ABS_RY": (-32768, 32767),
    "ABS_Z": (0, 255), "ABS_RZ": (0, 255), "ABS_BRAKE": (0, 1023), "ABS_GAS": (0, 1023),
}  # fmt: skip
_ABS_CODES = {
    "ABS_X": 0x00, "ABS_Y": 0x01, "ABS_Z": 0x02, "ABS_RX": 0x03, "ABS_RY": 0x04, "ABS_RZ": 0x05,
    "ABS_GAS": 0x09, "ABS_BRAKE": 0x0A,
}  # fmt: skip
_EVIOCGABS = 0x80184540  # _IOR('E', 0x40 + code, struct input_absinfo)
_ABSINFO = struct.Struct("=6i")  # value, minimum, maximum, fuzz, flat, resolution


def _stick_value(value: int, lo: int, hi: int) -> float:
    # centred on 0 for signed ranges (-32768..32767), on the middle for unsigned (0..255)
    centre = 0.0 if lo < 0 < hi else (lo + hi) / 2.0
    half = (hi - centre) if value >= centre else (centre - lo)
    if half <= 0:
        return 0.0
    v = (value - centre) / half
    return max(-1.0, min(v, 1.0))


class EvdevPadMapper:
    """Names one pad's evdev events (``inputs``-style: ev_type, code, state) as RawInputs."""

    def __init__(
        self, device: int = 0, ranges: Mapping[str, tuple[int, int]] | None = None
    ) -> None:
        self.device = device
        self.ranges = {**DEFAULT_ABS_RANGES, **(ranges or {})}
        self._sticks = [[0.0, 0.0], [0.0, 0.0]]
        self._hats: dict[str, int] = {}
        self._analog_triggers = [False, False]  # seen ABS triggers: ignore BTN_TL2/TR2 then

    def map(self, t_ns: int, ev_type: str, code: str, state: int) -> list[RawInput]:
        """The inputs for one event; [] for what has no name (SYN, unknown codes)."""
        device = self.device
        if ev_type == "Key":
            name = BUTTONS.get(code)
            if name is not None:
                return [RawInput(t_ns, name, 1.0 if state else 0.0, 0.0, device)]
            side = DIGITAL_TRIGGERS.get(code)
            if side is not None and not self._analog_triggers[side]:
                return [RawInput(t_ns, _TRIGGERS[side], 1.0 if state else 0.0, 0.0, device)]
            return []
        if ev_type != "Absolute":
            return []
        where = STICK_AXES.get(code)
        if where is not None:
            stick, axis = where
            lo, hi = self.ranges[code]
            value = _stick_value(state, lo, hi)
            self._sticks[stick][axis] = -value if axis else value  # evdev y grows down
            x, y = self._sticks[stick]
            return [RawInput(t_ns, _STICKS[stick], x, y, device)]
        side = TRIGGER_AXES.get(code)
        if side is not None:
            self._analog_triggers[side] = True
            lo, hi = self.ranges[code]
            value = (state - lo) / (hi - lo) if hi > lo else 0.0
            return [RawInput(t_ns, _TRIGGERS[side], min(max(value, 0.0), 1.0), 0.0, device)]
        hat = HATS.get(code)
        if hat is not None:
            old = self._hats.get(code, 0)
            new = (state > 0) - (state < 0)
            if new == old:
                return []
            self._hats[code] = new
            out = []
            if old:
                out.append(RawInput(t_ns, hat[old > 0], 0.0, 0.0, device))
            if new:
                out.append(RawInput(t_ns, hat[new > 0], 1.0, 0.0, device))
            return out
        return []

    def map_event(self, t_ns: int, event) -> list[RawInput]:
        """:meth:`map` for an ``inputs.InputEvent`` (anything with ev_type, code, state)."""
        return self.map(t_ns, event.ev_type, event.code, event.state)


def _read_ranges(fd: int) -> dict[str, tuple[int, int]]:
    import fcntl  # POSIX only; this module must import everywhere

    ranges = {}
    for name, code in _ABS_CODES.items():
        buf = bytearray(_ABSINFO.size)
        try:
            fcntl.ioctl(fd, _EVIOCGABS + code, buf)
        except OSError:
            continue  # the pad has no such axis
        _value, lo, hi, *_ = _ABSINFO.unpack(buf)
        if hi > lo:
            ranges[name] = (lo, hi)
    return ranges


class EvdevPadSource(InputSource):
    """The pads ``inputs`` finds at start, read from their evdev devices."""

    name = "evdev"

    def __init__(self) -> None:
        super().__init__()
        self._sink: InputQueue = NO_SINK
        self._threads: list[threading.Thread] = []
        self._wake_r = self._wake_w = -1
        self.pads = 0

    def start(self, sink: InputQueue) -> None:
        if self._threads:
            return
        if not os.path.isdir("/dev/input"):
            raise self.error("there is no /dev/input (the evdev backend needs Linux)")
        try:
            import inputs
        except Exception as exc:  # noqa: BLE001  ImportError, or its device scan failing
            raise self.error(
                f"the inputs package failed to load ({exc}); pip install inputs"
            ) from None
        opened: list[tuple[int, Any]] = []  # (fd, the inputs package's GamePad)
        denied = []
        for gamepad in inputs.devices.gamepads:
            path = gamepad.get_char_device_path()
            try:
                fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
            except OSError as exc:
                if exc.errno in (errno.EACCES, errno.EPERM):
                    denied.append(path)
                continue
            opened.append((fd, gamepad))
        if denied and not opened:
            raise self.error(
                f"no permission to read {', '.join(denied)} (add the user to the 'input' group)"
            )
        if not opened:
            log.info(
                "input source %s: no game controller found (pads plugged in later are not seen)",
                self.name,
            )
        self._sink = sink
        self.pads = len(opened)
        self._wake_r, self._wake_w = os.pipe()
        for slot, (fd, gamepad) in enumerate(opened):
            mapper = EvdevPadMapper(slot, _read_ranges(fd))
            thread = threading.Thread(
                target=self._run,
                args=(fd, gamepad.manager, mapper),
                name=f"hindsight-evdev-pad-{slot}",
                daemon=True,
            )
            self._threads.append(thread)
            thread.start()

    def _run(self, fd: int, manager, mapper: EvdevPadMapper) -> None:
        import inputs

        size = inputs.EVENT_SIZE
        try:
            while True:
                ready, _, _ = select.select([fd, self._wake_r], [], [])
                if self._wake_r in ready:
                    return
                try:
                    data = os.read(fd, size * 64)
                except BlockingIOError:
                    continue
                except OSError:  # unplugged (ENODEV)
                    log.info("input source %s: a game controller went away", self.name)
                    return
                whole = len(data) - len(data) % size
                for _sec, _usec, ev_type, code, value in inputs.iter_unpack(data[:whole]):
                    self._handle_event(manager, mapper, ev_type, code, value)
        finally:
            os.close(fd)

    def _handle_event(
        self, manager, mapper: EvdevPadMapper, ev_type: int, code: int, value: int
    ) -> None:
        """The callback for each evdev event: stamp, name, enqueue."""
        t_ns = now_ns()
        if ev_type == 0:  # EV_SYN: frame ends, nothing to say
            return
        try:
            type_name = manager.get_event_type(ev_type)
            code_name = manager.get_event_string(type_name, code)
        except (KeyError, IndexError):  # inputs' UnknownEventType / UnknownEventCode
            self._stats.unnamed_dropped += 1
            return
        found = mapper.map(t_ns, type_name, code_name, value)
        if not found:
            if type_name in ("Key", "Absolute"):  # not MSC_SCAN and the like
                self._stats.unnamed_dropped += 1
            return
        for item in found:
            self._stats.events += 1
            self._sink.put(item)

    def stop(self) -> None:
        threads, self._threads = self._threads, []
        if self._wake_w < 0:
            return
        os.write(self._wake_w, b"x")
        for thread in threads:
            thread.join(2.0)
        os.close(self._wake_r)
        os.close(self._wake_w)
        self._wake_r = self._wake_w = -1
