"""The keyboard on X11: pynput's RECORD listener, keys named by physical position.

pynput's X11 keyboard listener records the server's device events (RECORD
extension), so it hears every key whichever window has focus and whatever grabs a
game holds. We subclass it and override ``_handle_message``, which receives the
X event itself: ``event.detail`` is the X keycode, i.e. the evdev code + 8, a
physical key position that no keyboard layout changes; ``names.x11_keycode_name``
names it (``key:W`` is the key right of Q on AZERTY too, where it types Z). pynput's
own translation to characters is never run, and its keymap is never read.

The callback stamps the time and enqueues, nothing else. A press of a key that is
already held is the X server's autorepeat and is dropped (counted); key codes
without a name are dropped (counted).

Which display: pynput has no display option, its X11 backend opens its connections
with ``Xlib.display.Display()``, i.e. from $DISPLAY, when it is imported (a check)
and when the listener thread starts. So if ``display`` is given and differs from
$DISPLAY, $DISPLAY is set to it (under a lock) while pynput is imported and until the
listener has opened its connections and is recording, then restored. Processes that
export one DISPLAY for everything (the CLI does) never see it change.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Iterator

from Xlib import X

from hindsight.recorder.input import x11_connect as _x11
from hindsight.recorder.input.base import InputQueue, InputSource, RawInput
from hindsight.actionmap.names import x11_keycode_name
from hindsight.clock import now_ns

__all__ = ["X11KeyboardSource"]

# keycode -> full input name, for every keycode X can send
_KEY_NAMES: dict[int, str] = {
    code: name for code in range(8, 256) if (name := x11_keycode_name(code)) is not None
}
_ENV_LOCK = threading.Lock()
_START_TIMEOUT_S = 5.0
_RECORD_START_OF_DATA = 4  # Xlib.ext.record.StartOfData


@contextlib.contextmanager
def _display_env(name: str) -> Iterator[None]:
    """$DISPLAY = ``name`` for the duration (only if it differs), restored afterwards."""
    with _ENV_LOCK:
        old = os.environ.get("DISPLAY")
        if old == name:
            yield
            return
        os.environ["DISPLAY"] = name
        try:
            yield
        finally:
            if old is None:
                os.environ.pop("DISPLAY", None)
            else:
                os.environ["DISPLAY"] = old


_listener_cls = None


def _listener_class() -> type:
    """pynput's X11 keyboard listener, subclassed; imported lazily (the import needs $DISPLAY)."""
    global _listener_cls
    if _listener_cls is not None:
        return _listener_cls
    import Xlib.display
    from pynput.keyboard._xorg import Listener

    class RecordListener(Listener):
        def __init__(self, display_name: str, on_event, recording: threading.Event) -> None:
            super().__init__()
            self._display_name = display_name
            self._on_event = on_event
            self._recording = recording

        def _initialize(self, display) -> None:
            pass  # pynput reads the keymap here to make characters; we need keycodes only

        def _handler(self, events) -> None:
            if events.category == _RECORD_START_OF_DATA:
                self._recording.set()  # the server records from now on
            super()._handler(events)

        def _handle_message(self, display, event, injected) -> None:
            self._on_event(event)

        def _stop_platform(self) -> None:
            # RECORD wants the disable on another connection than the one recording;
            # pynput sends it on the recording one, where it waits for the next event.
            # Not on pynput's second connection either: the listener thread closes
            # that one as soon as recording ends, possibly while we still use it.
            if not hasattr(self, "_context"):
                return  # never got to record; it stops at its first event
            conn = Xlib.display.Display(self._display_name)
            try:
                conn.record_disable_context(self._context)
                conn.sync()
            finally:
                conn.close()

    _listener_cls = RecordListener
    return RecordListener


class X11KeyboardSource(InputSource):
    """Every key press and release on an X display, as ``key:<position>`` 1.0 / 0.0."""

    name = "x11-keyboard"

    def __init__(self, display: str | None = None) -> None:
        super().__init__()
        self.display = display
        self._sink: InputQueue | None = None
        self._listener = None
        self._held: set[int] = set()

    def start(self, sink: InputQueue) -> None:
        if self._listener is not None:
            return
        name = _x11.resolve_display(self.display, self.name)
        _x11.connect(name, self.name, "RECORD").close()
        self._sink = sink
        self._held.clear()
        recording = threading.Event()
        with _display_env(name):
            try:
                cls = _listener_class()
            except Exception as exc:  # noqa: BLE001  pynput raises ImportError and Xlib errors here
                reason = (
                    str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
                )
                raise self.error(
                    f"pynput's X11 keyboard backend failed to load: {reason}"
                ) from None
            listener = cls(name, self._handle_event, recording)
            listener.start()
            recording.wait(_START_TIMEOUT_S)
        if not recording.is_set():
            self._stop_listener(listener)
            raise self.error(
                f"the keyboard listener on {name} did not start recording within {_START_TIMEOUT_S:g} s"
            )
        self._listener = listener

    def _handle_event(self, event) -> None:
        """pynput's callback for each key event: stamp, name, enqueue."""
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

    @staticmethod
    def _stop_listener(listener) -> None:
        if listener.is_alive():
            listener.stop()
            listener.join(2.0)

    def stop(self) -> None:
        listener, self._listener = self._listener, None
        if listener is not None:
            self._stop_listener(listener)
        self._held.clear()
