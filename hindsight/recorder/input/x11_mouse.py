"""The mouse on X11: XInput 2 raw events, so pointer warps never count as motion.

Games that capture the mouse warp the pointer back to the middle of their window
every frame (XWarpPointer). Differencing pointer positions would see each warp as a
jump the user never made. XInput 2 *raw* events (XI_RawMotion, XI_RawButtonPress/
Release, selected on the root window for all master devices) report what the device
itself sent: relative motion in device counts, before acceleration, and the physical
button number. A warp moves the pointer without a device, so it produces no raw
event at all: nothing to filter, nothing to guess (``warps_dropped`` stays 0 here).
XTest relative motion (``xdotool mousemove_relative``) goes through a device and is
counted, like a real mouse. We announce XInput 2.2, so that raw events reach us
even while a game grabs the pointer (raw events ignore grabs since 2.1).

Devices whose axes are absolute (tablets, touchscreens, virtual machines' "tablet"
pointers) report positions in device units; for them the source differences
successive values per device and scales to screen pixels. Known limitation: XTest
*absolute* motion (``xdotool mousemove``, VNC servers) arrives as a raw event of the
relative XTest device carrying the target position, which cannot be told apart
from a relative move of that size.

Only deltas leave the source, as ``mouse:delta`` (x right, y up); absolute
positions never do. Motion events heard within ``coalesce_ns`` (1 ms) of each
other in one read are summed into one RawInput stamped when the first was heard.
Buttons are ``mouse:left|middle|right|x1|x2`` (X buttons 1, 2, 3, 8, 9) with 1.0 on
press and 0.0 on release; wheel notches (buttons 4, 5) are ``mouse:wheel_up`` /
``mouse:wheel_down``, each a press and a release with the same stamp. Horizontal
wheel buttons (6, 7) and others are dropped and counted.
"""

from __future__ import annotations

import logging
import os
import select
import struct
import threading

from Xlib import error as xerror
from Xlib.ext import ge, xinput

from hindsight.clock import now_ns
from hindsight.recorder import x11
from hindsight.recorder.input.base import NO_SINK, InputQueue, InputSource, RawInput

__all__ = ["X11MouseSource", "parse_raw_event"]

log = logging.getLogger("hindsight.recorder.input")

_BUTTONS = {1: "mouse:left", 2: "mouse:middle", 3: "mouse:right", 8: "mouse:x1", 9: "mouse:x2"}
_WHEEL = {4: "mouse:wheel_up", 5: "mouse:wheel_down"}
_RAW_MASK = xinput.RawMotionMask | xinput.RawButtonPressMask | xinput.RawButtonReleaseMask
_SLAVE_POINTER = 3  # XISlavePointer
_VALUATOR_CLASS = 2  # XIValuatorClass
_MODE_ABSOLUTE = 1  # XIModeAbsolute
_FP3232 = struct.Struct("=iI")
_HEADER = struct.Struct("=HIIHHI")  # deviceid, time, detail, sourceid, valuators_len, flags
_HEADER_SIZE = 22  # python-xlib hands us the event from deviceid on (the first 10 bytes are parsed)


def parse_raw_event(data: bytes) -> tuple[int, int, float | None, float | None]:
    """``(sourceid, detail, x, y)`` of an XIRawEvent; x/y are the raw values of axes 0/1, None if
    absent."""
    _dev, _time, detail, sourceid, mask_len, _flags = _HEADER.unpack_from(data, 0)
    if not mask_len:
        return sourceid, detail, None, None
    mask = int.from_bytes(data[_HEADER_SIZE : _HEADER_SIZE + 4 * mask_len], "little")
    # the values (accelerated) come first, then the same number of raw ones; axes in
    # bit order, so axis 0 and 1, when present, are the first two
    offset = _HEADER_SIZE + 4 * mask_len + 8 * mask.bit_count()
    x = y = None
    if mask & 1:
        integral, frac = _FP3232.unpack_from(data, offset)
        x = integral + frac / 4294967296.0
        offset += 8
    if mask & 2:
        integral, frac = _FP3232.unpack_from(data, offset)
        y = integral + frac / 4294967296.0
    return sourceid, detail, x, y


class X11MouseSource(InputSource):
    """Mouse buttons, wheel and raw motion on an X display."""

    name = "x11-mouse"

    def __init__(self, display: str | None = None, *, coalesce_ns: int = 1_000_000) -> None:
        super().__init__()
        self.display = display
        self.coalesce_ns = coalesce_ns
        self._sink: InputQueue = NO_SINK
        self._thread: threading.Thread | None = None
        self._wake_r = self._wake_w = -1
        # absolute-axis devices: sourceid -> (pixels per unit x or None, y or None)
        self._absolute: dict[int, tuple[float | None, float | None]] = {}
        self._last_abs: dict[int, list[float | None]] = {}
        # motion heard but not yet queued: [t_ns, dx, dy]
        self._pending: list | None = None

    def start(self, sink: InputQueue) -> None:
        if self._thread is not None:
            return
        try:
            name = x11.require_display(self.display)
            conn = x11.connect(name, xinput.extname)
        except x11.X11Unavailable as exc:
            raise self.error(str(exc)) from None
        try:
            opcode = conn.display.get_extension_major(xinput.extname)
            # 2.2: raw events ignore grabs (2.1+); python-xlib's own query asks for 2.0
            reply = xinput.XIQueryVersion(
                display=conn.display, opcode=opcode, major_version=2, minor_version=2
            )
            if reply.major_version < 2:
                raise self.error(
                    f"the X server on {name} has XInput "
                    f"{reply.major_version}.{reply.minor_version}; raw mouse input needs XInput 2"
                )
            conn.set_error_handler(lambda *_args: None)  # a vanished device is no reason to print
            conn.screen().root.xinput_select_events(
                [
                    (xinput.AllMasterDevices, _RAW_MASK),
                    (xinput.AllDevices, xinput.HierarchyChangedMask),
                ]
            )
            self._read_devices(conn)
            conn.sync()
        except xerror.XError as exc:
            conn.close()
            raise self.error(f"XInput 2 raw events are not available on {name} ({exc})") from None
        except BaseException:
            conn.close()
            raise
        self._sink = sink
        self._pending = None
        self._last_abs.clear()
        self._wake_r, self._wake_w = os.pipe()
        self._thread = threading.Thread(
            target=self._run, args=(conn, opcode), name="hindsight-x11-mouse", daemon=True
        )
        self._thread.start()

    def _read_devices(self, conn) -> None:
        """Which slave pointers have absolute axes 0/1, and their pixels per device unit."""
        screen = conn.screen()
        size = (screen.width_in_pixels, screen.height_in_pixels)
        absolute = {}
        for dev in conn.xinput_query_device(xinput.AllDevices).devices:
            if dev.use != _SLAVE_POINTER:
                continue
            scale: list[float | None] = [None, None]
            for cls in dev.classes:
                if (
                    getattr(cls, "type", None) == _VALUATOR_CLASS
                    and cls.number in (0, 1)
                    and cls.mode == _MODE_ABSOLUTE
                ):
                    span = cls.max - cls.min
                    scale[cls.number] = size[cls.number] / span if span > 0 else 1.0
            if scale != [None, None]:
                absolute[dev.deviceid] = (scale[0], scale[1])
        self._absolute = absolute

    def _run(self, conn, opcode: int) -> None:
        fd = conn.fileno()
        try:
            while True:
                ready, _, _ = select.select([fd, self._wake_r], [], [])
                if self._wake_r in ready:
                    return
                while conn.pending_events():
                    event = conn.next_event()
                    if event.type != ge.GenericEventCode or event.extension != opcode:
                        continue
                    if event.evtype == xinput.HierarchyChanged:
                        self._flush_motion()
                        self._read_devices(conn)  # a device came or went; not an input callback
                        self._last_abs.clear()
                    else:
                        self._handle_event(event)
                self._flush_motion()
        except (xerror.ConnectionClosedError, OSError) as exc:
            log.warning(
                "input source %s stopped: the X connection was lost (%s)",
                self.name,
                type(exc).__name__,
            )
        finally:
            self._flush_motion()
            conn.close()

    def _handle_event(self, event) -> None:
        """The callback for each raw event: stamp, name, enqueue (motion: sum)."""
        t_ns = now_ns()
        evtype = event.evtype
        if evtype == xinput.RawMotion:
            sourceid, _detail, x, y = parse_raw_event(event.data)
            scale = self._absolute.get(sourceid)
            if scale is not None:
                x, y = self._absolute_delta(sourceid, scale, x, y)
            dx = x or 0.0
            dy = -(y or 0.0)  # screen y grows down; ours is up
            if not (dx or dy):
                return
            pending = self._pending
            if pending is not None:
                if t_ns - pending[0] < self.coalesce_ns:
                    pending[1] += dx
                    pending[2] += dy
                    return
                self._flush_motion()
            self._pending = [t_ns, dx, dy]
            return
        self._flush_motion()  # keep the order of motion and buttons
        button = _HEADER.unpack_from(event.data, 0)[2]
        name = _BUTTONS.get(button)
        if name is not None:
            self._stats.events += 1
            self._sink.put(RawInput(t_ns, name, 1.0 if evtype == xinput.RawButtonPress else 0.0))
            return
        name = _WHEEL.get(button)
        if name is not None:
            if evtype == xinput.RawButtonPress:  # a notch: press and release at once
                self._stats.events += 2
                self._sink.put(RawInput(t_ns, name, 1.0))
                self._sink.put(RawInput(t_ns, name, 0.0))
            return
        self._stats.unnamed_dropped += 1

    def _absolute_delta(self, sourceid: int, scale, x, y) -> tuple[float | None, float | None]:
        last = self._last_abs.setdefault(sourceid, [None, None])
        out: list[float | None] = [x, y]
        for axis, value in enumerate((x, y)):
            if scale[axis] is None or value is None:
                continue
            previous, last[axis] = last[axis], value
            out[axis] = None if previous is None else (value - previous) * scale[axis]
        return out[0], out[1]

    def _flush_motion(self) -> None:
        pending = self._pending
        if pending is not None:
            self._pending = None
            self._stats.events += 1
            self._sink.put(RawInput(pending[0], "mouse:delta", pending[1], pending[2]))

    def stop(self) -> None:
        thread, self._thread = self._thread, None
        if thread is None:
            return
        os.write(self._wake_w, b"x")
        thread.join(2.0)
        os.close(self._wake_r)
        os.close(self._wake_w)
        self._wake_r = self._wake_w = -1
