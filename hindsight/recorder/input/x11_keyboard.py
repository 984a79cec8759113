"""The keyboard on X11: the RECORD extension's device events, keys named by physical position.

A RECORD context on all clients with the device events KeyPress and KeyRelease
hears every key whichever window has focus and whatever grabs a game holds (the
same hook pynput and xinput use). ``event.detail`` is the X keycode, i.e. the evdev
code + 8, a physical key position that no keyboard layout changes;
``names.x11_keycode_name`` names it (``key:W`` is the key right of Q on AZERTY too,
where it types Z). Keycodes are never turned into characters and the keymap is
never read.

The callback stamps the time and enqueues, nothing else. A press of a key that is
already held is the X server's autorepeat and is dropped (counted); key codes
without a name are dropped (counted).

The display is the one passed in (chosen once by :mod:`hindsight.recorder.x11`);
``$DISPLAY`` is neither read here nor changed.
"""

from __future__ import annotations

import logging
import threading

from Xlib import X
from Xlib import error as xerror
from Xlib.ext import record
from Xlib.protocol import rq

from hindsight.actionmap.names import x11_keycode_name
from hindsight.clock import now_ns
from hindsight.recorder import x11
from hindsight.recorder.input.base import NO_SINK, InputQueue, InputSource, RawInput

__all__ = ["X11KeyboardSource"]

log = logging.getLogger("hindsight.recorder.input")

# keycode -> full input name, for every keycode X can send
_KEY_NAMES: dict[int, str] = {
    code: name for code in range(8, 256) if (name := x11_keycode_name(code)) is not None
}
_START_TIMEOUT_S = 5.0
_EVENT_PARSER = rq.EventField(None)
# what the context records: key device events, nothing of any client's requests or replies
_KEY_EVENTS_ONLY = {
    "core_requests": (0, 0),
    "core_replies": (0, 0),
    "ext_requests": (0, 0, 0, 0),
    "ext_replies": (0, 0, 0, 0),
    "delivered_events": (0, 0),
    "device_events": (X.KeyPress, X.KeyRelease),
    "errors": (0, 0),
    "client_started": False,
    "client_died": False,
}


class X11KeyboardSource(InputSource):
    """Every key press and release on an X display, as ``key:<position>`` 1.0 / 0.0."""

    name = "x11-keyboard"
    hears_keyboard = True

    def __init__(self, display: str | None = None) -> None:
        super().__init__()
        self.display = display
        self._sink: InputQueue = NO_SINK
        self._thread: threading.Thread | None = None
        self._context: int | None = None
        self._name = ""
        self._held: set[int] = set()

    def start(self, sink: InputQueue) -> None:
        if self._thread is not None:
            return
        try:
            name = x11.require_display(self.display)
            conn = x11.connect(name, record.extname)
        except x11.X11Unavailable as exc:
            raise self.error(str(exc)) from None
        try:
            context = conn.record_create_context(0, [record.AllClients], [_KEY_EVENTS_ONLY])
            conn.sync()
        except xerror.XError as exc:
            conn.close()
            raise self.error(f"the X server on {name} refused a RECORD context ({exc})") from None
        self._sink = sink
        self._held.clear()
        self._context = context
        self._name = name
        recording = threading.Event()
        thread = threading.Thread(
            target=self._run,
            args=(conn, context, recording),
            name="hindsight-x11-keyboard",
            daemon=True,
        )
        self._thread = thread
        thread.start()
        if not recording.wait(_START_TIMEOUT_S):
            self.stop()
            raise self.error(
                f"the keyboard listener on {name} did not start recording within "
                f"{_START_TIMEOUT_S:g} s"
            )

    def _run(self, conn, context: int, recording: threading.Event) -> None:
        def on_reply(reply) -> None:
            if reply.category == record.StartOfData:
                recording.set()  # the server records from now on
            elif reply.category == record.FromServer:
                data = reply.data
                while data:
                    event, data = _EVENT_PARSER.parse_binary_value(data, conn.display, None, None)
                    self._handle_event(event)

        try:
            # blocks, calling on_reply, until the context is disabled from another connection
            conn.record_enable_context(context, on_reply)
            conn.record_free_context(context)
            conn.sync()
        except (xerror.XError, xerror.ConnectionClosedError, OSError) as exc:
            log.warning(
                "input source %s stopped: the X connection was lost (%s)",
                self.name,
                type(exc).__name__,
            )
        finally:
            conn.close()

    def _handle_event(self, event) -> None:
        """The callback for each key event: stamp, name, enqueue."""
        t_ns = now_ns()
        code = event.detail
        if event.type == X.KeyPress:
            if code in self._held:
                self._stats.repeats_dropped += 1
                return
            self._held.add(code)
            value = 1.0
        else:
            self._held.discard(code)
            value = 0.0
        name = _KEY_NAMES.get(code)
        if name is None:
            self._stats.unnamed_dropped += 1
            return
        self._stats.events += 1
        self._sink.put(RawInput(t_ns, name, value))

    def stop(self) -> None:
        thread, self._thread = self._thread, None
        context, self._context = self._context, None
        if thread is None:
            return
        # RECORD wants the disable on another connection than the one recording
        # (which sits in a blocking read until the context ends).
        try:
            control = x11.connect(self._name)
        except x11.X11Unavailable:
            pass  # the server is gone: the recording thread ends on its own
        else:
            try:
                control.record_disable_context(context)
                control.sync()
            except (xerror.XError, xerror.ConnectionClosedError, OSError):
                pass
            finally:
                control.close()
        thread.join(2.0)
        self._held.clear()
