"""Controllers through SDL2's GameController API (pysdl2), on a thread of their own.

SDL knows thousands of pads and maps each onto its standard layout, which is our
``pad:*`` vocabulary (A is ``pad:south``, the bottom face button, on every pad;
Nintendo pads too, as SDL is told to map by position, not by label). The thread
initialises only SDL's game-controller subsystem (no video, no audio, no signal
handlers), with background events allowed so pads are heard while the game has the
focus, and waits on SDL's event queue. A pad plugged in takes the lowest free slot
(``RawInput.device``); unplugging it releases what it held.

Values: buttons 1.0 / 0.0; sticks one RawInput with the current (x, y), x = v/32767
and y = -v/32767 (up positive), clamped to [-1, 1]; triggers v/32767 in 0..1. No
deadzone here: the translator applies the map's. (SDL itself holds back the release of
the guide button until 250 ms after its press.)

SDL's event queue is process-wide, so one SdlPadSource runs per process at a time.
:meth:`SdlPadSource.call` runs a function on the SDL thread (tests use it to drive
SDL's virtual controllers).
"""

from __future__ import annotations

import ctypes
import threading
import warnings
from collections import deque
from collections.abc import Callable
from typing import Any

from hindsight.clock import now_ns
from hindsight.recorder.input.base import NO_SINK, InputQueue, InputSource, RawInput

__all__ = ["SDL_BUTTON_NAMES", "SdlPadSource", "load_sdl"]

# SDL_GameControllerButton -> our name (MISC1, paddles and touchpad have none)
SDL_BUTTON_NAMES: dict[str, str] = {
    "A": "pad:south", "B": "pad:east", "X": "pad:west", "Y": "pad:north",
    "BACK": "pad:back", "GUIDE": "pad:guide", "START": "pad:start",
    "LEFTSTICK": "pad:left_stick_click", "RIGHTSTICK": "pad:right_stick_click",
    "LEFTSHOULDER": "pad:left_shoulder", "RIGHTSHOULDER": "pad:right_shoulder",
    "DPAD_UP": "pad:dpad_up", "DPAD_DOWN": "pad:dpad_down",
    "DPAD_LEFT": "pad:dpad_left", "DPAD_RIGHT": "pad:dpad_right",
}  # fmt: skip
# SDL_GameControllerAxis order: LEFTX, LEFTY, RIGHTX, RIGHTY, TRIGGERLEFT, TRIGGERRIGHT
_STICKS = ("pad:left_stick", "pad:right_stick")
_TRIGGERS = ("pad:left_trigger", "pad:right_trigger")
_START_TIMEOUT_S = 5.0
_WAIT_MS = 100  # how long one wait may block; stop() wakes it at once anyway

_process_lock = threading.Lock()  # held by the running SdlPadSource


def load_sdl():
    """The pysdl2 module, SDL2 loaded; raises with the loader's reason."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "Using SDL2 binaries from pysdl2-dll"
        import sdl2
    return sdl2


def _clamp(value: float) -> float:
    return max(-1.0, min(value, 1.0))


class _Pad:
    __slots__ = ("axes", "controller", "held", "slot")

    def __init__(self, slot: int, controller) -> None:
        self.slot = slot
        self.controller = controller
        self.axes = [0.0] * 6
        self.held: set[str] = set()


class SdlPadSource(InputSource):
    """Every game controller SDL sees, as ``pad:*`` inputs."""

    name = "sdl"

    def __init__(self) -> None:
        super().__init__()
        self._sink: InputQueue = NO_SINK
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._error: str | None = None
        self._stopping = False
        self._calls: deque = deque()
        self._pads: dict[int, _Pad] = {}  # SDL joystick instance id -> pad
        self._sdl: Any = None  # the pysdl2 module, once loaded
        self._wake_type = 0
        self._buttons: tuple[str | None, ...] = ()

    @property
    def connected(self) -> int:
        """How many controllers are open."""
        return len(self._pads)

    def start(self, sink: InputQueue) -> None:
        if self._thread is not None:
            return
        try:
            sdl2 = load_sdl()
        except Exception as exc:  # noqa: BLE001  ImportError, or RuntimeError when no SDL2 library is found
            reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise self.error(
                f"SDL2 could not be loaded ({reason}); pip install pysdl2-dll"
            ) from None
        if not _process_lock.acquire(blocking=False):
            raise self.error("another SDL controller source already runs in this process")
        self._sdl = sdl2
        self._buttons = tuple(SDL_BUTTON_NAMES.get(name) for name in self._button_order(sdl2))
        self._sink = sink
        self._stopping = False
        self._error = None
        self._ready.clear()
        self._thread = threading.Thread(target=self._run, name="hindsight-sdl-pad", daemon=True)
        self._thread.start()
        if not self._ready.wait(_START_TIMEOUT_S):
            self._error = f"SDL did not initialise within {_START_TIMEOUT_S:g} s"
        if self._error is not None:
            error = self._error
            self.stop()
            raise self.error(error)

    @staticmethod
    def _button_order(sdl2) -> list[str]:
        order = [""] * sdl2.SDL_CONTROLLER_BUTTON_MAX
        for attr in dir(sdl2):
            if attr.startswith("SDL_CONTROLLER_BUTTON_") and attr not in (
                "SDL_CONTROLLER_BUTTON_MAX",
                "SDL_CONTROLLER_BUTTON_INVALID",
            ):
                index = getattr(sdl2, attr)
                if 0 <= index < len(order):
                    order[index] = attr[len("SDL_CONTROLLER_BUTTON_") :]
        return order

    # -- the SDL thread -------------------------------------------------------------

    def _run(self) -> None:
        sdl2 = self._sdl
        sdl2.SDL_SetHint(sdl2.SDL_HINT_JOYSTICK_ALLOW_BACKGROUND_EVENTS, b"1")
        sdl2.SDL_SetHint(sdl2.SDL_HINT_NO_SIGNAL_HANDLERS, b"1")  # Ctrl-C stays ours
        sdl2.SDL_SetHint(sdl2.SDL_HINT_GAMECONTROLLER_USE_BUTTON_LABELS, b"0")  # by position
        if sdl2.SDL_Init(sdl2.SDL_INIT_GAMECONTROLLER) != 0:
            self._error = f"SDL_Init failed: {sdl2.SDL_GetError().decode('utf-8', 'replace')}"
            self._ready.set()
            return
        try:
            self._wake_type = sdl2.SDL_RegisterEvents(1)
            self._ready.set()
            event = sdl2.SDL_Event()
            ref = ctypes.byref(event)
            wait, poll = sdl2.SDL_WaitEventTimeout, sdl2.SDL_PollEvent
            while not self._stopping:
                if wait(ref, _WAIT_MS):
                    self._handle_event(event)
                    while poll(ref):
                        self._handle_event(event)
                while self._calls:
                    self._run_call(*self._calls.popleft())
        finally:
            for pad in self._pads.values():
                sdl2.SDL_GameControllerClose(pad.controller)
            self._pads.clear()
            while self._calls:  # nobody will run these now
                _fn, done, box = self._calls.popleft()
                box["error"] = RuntimeError("the SDL source stopped")
                done.set()
            sdl2.SDL_QuitSubSystem(sdl2.SDL_INIT_GAMECONTROLLER)
            if sdl2.SDL_WasInit(0) == 0:
                sdl2.SDL_Quit()

    @staticmethod
    def _run_call(fn, done: threading.Event, box: dict) -> None:
        try:
            box["result"] = fn()
        except BaseException as exc:  # noqa: BLE001  handed to the caller
            box["error"] = exc
        done.set()

    def _handle_event(self, event) -> None:
        """The callback for each SDL event: stamp, name, enqueue (device events: open/close)."""
        t_ns = now_ns()
        sdl2 = self._sdl
        etype = event.type
        if etype == sdl2.SDL_CONTROLLERAXISMOTION:
            motion = event.caxis
            pad = self._pads.get(motion.which)
            if pad is None:
                return
            axis = motion.axis
            if axis < 4:  # sticks: LEFTX, LEFTY, RIGHTX, RIGHTY
                pad.axes[axis] = _clamp(
                    -motion.value / 32767.0 if axis & 1 else motion.value / 32767.0
                )
                base = axis & ~1
                self._stats.events += 1
                self._sink.put(
                    RawInput(t_ns, _STICKS[axis >> 1], pad.axes[base], pad.axes[base + 1], pad.slot)
                )
            elif axis < 6:
                value = _clamp(max(motion.value, 0) / 32767.0)
                pad.axes[axis] = value
                self._stats.events += 1
                self._sink.put(RawInput(t_ns, _TRIGGERS[axis - 4], value, 0.0, pad.slot))
            else:
                self._stats.unnamed_dropped += 1
        elif etype == sdl2.SDL_CONTROLLERBUTTONDOWN or etype == sdl2.SDL_CONTROLLERBUTTONUP:
            button = event.cbutton
            pad = self._pads.get(button.which)
            if pad is None:
                return
            name = self._buttons[button.button] if button.button < len(self._buttons) else None
            if name is None:
                self._stats.unnamed_dropped += 1
                return
            if etype == sdl2.SDL_CONTROLLERBUTTONDOWN:
                pad.held.add(name)
                value = 1.0
            else:
                pad.held.discard(name)
                value = 0.0
            self._stats.events += 1
            self._sink.put(RawInput(t_ns, name, value, 0.0, pad.slot))
        elif etype == sdl2.SDL_CONTROLLERDEVICEADDED:
            self._open(event.cdevice.which)
        elif etype == sdl2.SDL_CONTROLLERDEVICEREMOVED:
            self._close(event.cdevice.which, t_ns)

    def _open(self, device_index: int) -> None:
        sdl2 = self._sdl
        controller = sdl2.SDL_GameControllerOpen(device_index)
        if not controller:
            return
        instance = sdl2.SDL_JoystickInstanceID(sdl2.SDL_GameControllerGetJoystick(controller))
        if instance in self._pads:  # announced twice (present at init); keep one handle
            sdl2.SDL_GameControllerClose(controller)
            return
        used = {pad.slot for pad in self._pads.values()}
        slot = next(i for i in range(len(used) + 1) if i not in used)
        self._pads[instance] = _Pad(slot, controller)

    def _close(self, instance: int, t_ns: int) -> None:
        pad = self._pads.pop(instance, None)
        if pad is None:
            return
        # a pad pulled out mid-press must not leave its inputs held
        for name in sorted(pad.held):
            self._sink.put(RawInput(t_ns, name, 0.0, 0.0, pad.slot))
        for i, name in enumerate(_STICKS):
            if pad.axes[2 * i] or pad.axes[2 * i + 1]:
                self._sink.put(RawInput(t_ns, name, 0.0, 0.0, pad.slot))
        for i, name in enumerate(_TRIGGERS):
            if pad.axes[4 + i]:
                self._sink.put(RawInput(t_ns, name, 0.0, 0.0, pad.slot))
        self._sdl.SDL_GameControllerClose(pad.controller)

    # -- other threads --------------------------------------------------------------

    def _wake(self) -> None:
        sdl2 = self._sdl
        event = sdl2.SDL_Event()
        event.type = self._wake_type
        sdl2.SDL_PushEvent(ctypes.byref(event))  # thread-safe; ends the current wait

    def call(self, fn: Callable[[], Any], timeout: float = 5.0) -> Any:
        """Run ``fn`` on the SDL thread and return its result (or raise its exception)."""
        if self._thread is None or not self._thread.is_alive():
            raise RuntimeError("the SDL source is not running")
        if threading.current_thread() is self._thread:
            return fn()
        done = threading.Event()
        box: dict[str, Any] = {}
        self._calls.append((fn, done, box))
        self._wake()
        if not done.wait(timeout):
            raise TimeoutError(f"the SDL thread did not run the call within {timeout:g} s")
        if "error" in box:
            raise box["error"]
        return box.get("result")

    def stop(self) -> None:
        thread, self._thread = self._thread, None
        if thread is None:
            return
        self._stopping = True
        if self._wake_type:
            self._wake()
        thread.join(5.0)
        self._wake_type = 0
        _process_lock.release()
