"""Controller sources: SDL with SDL's own virtual controllers, and the evdev mapping.

SDL runs on the source's thread. SDL's virtual joystick API is driven on that same
thread through ``SdlPadSource.call``: attaching a virtual game controller there makes
SDL announce it like a plugged-in pad (the source opens it), and setting its buttons
and axes produces the events a real pad would on the next pump.
"""

from __future__ import annotations

import ctypes
import os
import sys
import time
from collections.abc import Iterator
from types import SimpleNamespace

import pytest

from hindsight.actionmap import names
from hindsight.clock import now_ns
from hindsight.recorder.input import (
    EvdevPadMapper,
    EvdevPadSource,
    FallbackPadSource,
    InputError,
    InputQueue,
    RawInput,
    SdlPadSource,
    sdl_pad,
)
from hindsight.recorder.input.sdl_pad import load_sdl

sdl2 = load_sdl()
B = SimpleNamespace(**{
    n[len("SDL_CONTROLLER_BUTTON_"):]: getattr(sdl2, n)
    for n in dir(sdl2) if n.startswith("SDL_CONTROLLER_BUTTON_")
})  # fmt: skip
LEFTX, LEFTY, RIGHTX, RIGHTY, TRIGGERLEFT, TRIGGERRIGHT = range(6)


def drain(q: InputQueue, settle_s: float = 0.15) -> list[RawInput]:
    out = []
    while (item := q.get(timeout=settle_s)) is not None:
        out.append(item)
    return out


def wait_until(predicate, timeout_s: float = 3.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.005)


class VirtualPad:
    """An SDL virtual game controller (6 axes, 15 buttons), living on the source's SDL thread."""

    def __init__(self, source: SdlPadSource) -> None:
        self.source = source
        self.index, self.joystick = source.call(self._attach)

    @staticmethod
    def _attach():
        desc = sdl2.SDL_VirtualJoystickDesc()
        desc.version = sdl2.SDL_VIRTUAL_JOYSTICK_DESC_VERSION
        desc.type = sdl2.SDL_JOYSTICK_TYPE_GAMECONTROLLER
        desc.naxes = 6
        desc.nbuttons = 15
        desc.name = b"Hindsight test pad"
        index = sdl2.SDL_JoystickAttachVirtualEx(ctypes.byref(desc))
        assert index >= 0, sdl2.SDL_GetError()
        joystick = sdl2.SDL_JoystickOpen(index)  # our handle to set its state
        assert joystick, sdl2.SDL_GetError()
        return index, joystick

    def button(self, button: int, pressed: bool) -> None:
        self.source.call(
            lambda: sdl2.SDL_JoystickSetVirtualButton(self.joystick, button, int(pressed))
        )

    def axes(self, **values: int) -> None:
        order = {"leftx": LEFTX, "lefty": LEFTY, "rightx": RIGHTX, "righty": RIGHTY,
                 "lefttrigger": TRIGGERLEFT, "righttrigger": TRIGGERRIGHT}  # fmt: skip

        def apply():
            for name, value in values.items():
                assert sdl2.SDL_JoystickSetVirtualAxis(self.joystick, order[name], value) == 0

        self.source.call(apply)

    def unplug(self) -> None:
        def detach():
            instance = sdl2.SDL_JoystickInstanceID(self.joystick)
            sdl2.SDL_JoystickClose(self.joystick)
            for i in range(sdl2.SDL_NumJoysticks()):
                if sdl2.SDL_JoystickGetDeviceInstanceID(i) == instance:
                    sdl2.SDL_JoystickDetachVirtual(i)

        self.source.call(detach)


@pytest.fixture
def sdl_source() -> Iterator[tuple[SdlPadSource, InputQueue]]:
    q = InputQueue()
    source = SdlPadSource()
    source.start(q)
    yield source, q
    source.stop()


@pytest.fixture
def pad(sdl_source) -> VirtualPad:
    source, q = sdl_source
    virtual = VirtualPad(source)
    wait_until(lambda: source.connected == 1)
    drain(q, 0.05)  # whatever the pad reports as it arrives
    return virtual


def test_pressing_a_gives_south_pressed_then_released(sdl_source, pad):
    _source, q = sdl_source
    t_sent = now_ns()
    pad.button(B.A, True)
    pad.button(B.A, False)
    got = drain(q)
    assert [(r.name, r.x, r.device) for r in got] == [("pad:south", 1.0, 0), ("pad:south", 0.0, 0)]
    assert t_sent < got[0].t_ns < got[1].t_ns
    assert got[0].t_ns - t_sent < 50_000_000  # SDL pumps every millisecond


def test_every_standard_button_has_its_positional_name(sdl_source, pad):
    _source, q = sdl_source
    expected = {
        "A": "pad:south", "B": "pad:east", "X": "pad:west", "Y": "pad:north",
        "BACK": "pad:back", "GUIDE": "pad:guide", "START": "pad:start",
        "LEFTSTICK": "pad:left_stick_click", "RIGHTSTICK": "pad:right_stick_click",
        "LEFTSHOULDER": "pad:left_shoulder", "RIGHTSHOULDER": "pad:right_shoulder",
        "DPAD_UP": "pad:dpad_up", "DPAD_DOWN": "pad:dpad_down",
        "DPAD_LEFT": "pad:dpad_left", "DPAD_RIGHT": "pad:dpad_right",
    }  # fmt: skip
    for sdl_name in expected:
        pad.button(getattr(B, sdl_name), True)
        if sdl_name == "GUIDE":
            time.sleep(0.3)  # SDL holds back a guide release until 250 ms after the press
        pad.button(getattr(B, sdl_name), False)
    got = drain(q)
    assert [(r.name, r.x) for r in got] == [
        (name, value) for name in expected.values() for value in (1.0, 0.0)
    ]
    assert all(names.input_kind(r.name) == "button" for r in got)


def test_left_stick_is_one_input_with_x_right_and_y_up(sdl_source, pad):
    _source, q = sdl_source
    pad.axes(leftx=32767, lefty=-32768)  # SDL: right and up (SDL's y grows down)
    got = drain(q)
    assert {r.name for r in got} == {"pad:left_stick"}
    last = got[-1]
    assert (last.x, last.y) == (pytest.approx(1.0), pytest.approx(1.0))
    pad.axes(leftx=-16384, lefty=16384)  # left half, down half
    last = drain(q)[-1]
    assert (last.x, last.y) == (pytest.approx(-0.5, abs=1e-3), pytest.approx(-0.5, abs=1e-3))
    pad.axes(rightx=-32768, righty=32767)
    got = drain(q)
    assert {r.name for r in got} == {"pad:right_stick"}
    assert (got[-1].x, got[-1].y) == (pytest.approx(-1.0), pytest.approx(-1.0))
    assert all(-1.0 <= r.x <= 1.0 and -1.0 <= r.y <= 1.0 for r in got)


def test_triggers_run_from_0_to_1(sdl_source, pad):
    _source, q = sdl_source
    # a virtual controller's trigger axes span the joystick range; SDL maps it onto 0..32767
    pad.axes(righttrigger=32767)
    pad.axes(righttrigger=0)
    pad.axes(righttrigger=-32768)
    pad.axes(lefttrigger=32767)
    got = drain(q)
    assert [(r.name, round(r.x, 3)) for r in got] == [
        ("pad:right_trigger", 1.0), ("pad:right_trigger", 0.5),
        ("pad:right_trigger", 0.0), ("pad:left_trigger", 1.0),
    ]  # fmt: skip
    assert all(0.0 <= r.x <= 1.0 for r in got)


def test_pads_take_the_lowest_free_slot_and_unplugging_releases(sdl_source, pad):
    source, q = sdl_source
    second = VirtualPad(source)
    wait_until(lambda: source.connected == 2)
    drain(q, 0.05)
    second.button(B.B, True)
    pad.button(B.A, True)
    pad.axes(leftx=32767)
    got = drain(q)
    assert [(r.name, r.x, r.device) for r in got] == [
        ("pad:east", 1.0, 1), ("pad:south", 1.0, 0), ("pad:left_stick", 1.0, 0),
    ]  # fmt: skip
    pad.unplug()  # while A and the stick are held
    wait_until(lambda: source.connected == 1)
    got = drain(q)
    assert ("pad:south", 0.0, 0) in [(r.name, r.x, r.device) for r in got]
    assert [(r.x, r.y) for r in got if r.name == "pad:left_stick"][-1] == (0.0, 0.0)
    third = VirtualPad(source)  # takes slot 0 again
    wait_until(lambda: source.connected == 2)
    drain(q, 0.05)
    third.button(B.Y, True)
    assert [(r.name, r.device) for r in drain(q)] == [("pad:north", 0)]
    second.unplug()
    third.unplug()
    wait_until(lambda: source.connected == 0)


def test_one_sdl_source_per_process_and_restart(sdl_source):
    source, q = sdl_source
    other = SdlPadSource()
    with pytest.raises(InputError, match="another SDL controller source already runs"):
        other.start(InputQueue())
    source.stop()
    assert not sdl2.SDL_WasInit(sdl2.SDL_INIT_GAMECONTROLLER)  # SDL was shut down
    source.start(q)  # and comes back
    virtual = VirtualPad(source)
    wait_until(lambda: source.connected == 1)
    drain(q, 0.05)
    virtual.button(B.START, True)
    assert [r.name for r in drain(q)] == ["pad:start"]
    virtual.unplug()


def test_stop_is_prompt_and_calls_fail_afterwards():
    source = SdlPadSource()
    source.start(InputQueue())
    t0 = time.monotonic()
    source.stop()
    assert time.monotonic() - t0 < 0.5
    source.stop()
    with pytest.raises(RuntimeError, match="not running"):
        source.call(lambda: None)


def test_sdl_that_cannot_load_is_an_input_error(monkeypatch):
    def broken():
        raise RuntimeError("could not find any library for SDL2 (PYSDL2_DLL_PATH: unset)\nmore")

    monkeypatch.setattr(sdl_pad, "load_sdl", broken)
    with pytest.raises(InputError) as info:
        SdlPadSource().start(InputQueue())
    assert str(info.value) == (
        "cannot start input source sdl: SDL2 could not be loaded (could not find any library "
        "for SDL2 (PYSDL2_DLL_PATH: unset)); pip install pysdl2-dll"
    )


def test_fallback_runs_sdl_when_it_loads():
    source = FallbackPadSource()
    source.start(InputQueue())
    try:
        assert isinstance(source.active, SdlPadSource) and source.failures == []
    finally:
        source.stop()


def no_sdl(monkeypatch) -> None:
    monkeypatch.setattr(sdl_pad, "load_sdl", lambda: (_ for _ in ()).throw(ImportError("no SDL2")))


def test_fallback_goes_to_evdev_when_sdl_cannot_load(monkeypatch):
    # A Linux box with /dev/input and the inputs package, but no pad plugged in.
    no_sdl(monkeypatch)
    is_dir = os.path.isdir
    monkeypatch.setattr("os.path.isdir", lambda path: path == "/dev/input" or is_dir(path))
    monkeypatch.setitem(
        sys.modules, "inputs", SimpleNamespace(devices=SimpleNamespace(gamepads=[]))
    )
    source = FallbackPadSource()
    try:
        source.start(InputQueue())
        assert isinstance(source.active, EvdevPadSource) and source.active.pads == 0
        assert len(source.failures) == 1
        assert source.failures[0].startswith(
            "cannot start input source sdl: SDL2 could not be loaded"
        )
    finally:
        source.stop()


def test_fallback_names_both_backends_when_neither_starts(monkeypatch):
    no_sdl(monkeypatch)
    is_dir = os.path.isdir
    monkeypatch.setattr("os.path.isdir", lambda path: path != "/dev/input" and is_dir(path))
    source = FallbackPadSource()
    with pytest.raises(InputError) as caught:
        source.start(InputQueue())
    message = str(caught.value)
    assert message.startswith("no controller input backend works: cannot start input source sdl")
    assert "cannot start input source evdev: there is no /dev/input" in message
    assert source.active is None


# -- evdev mapping (synthetic inputs-style events; no device here) ------------------------------


def ev(ev_type: str, code: str, state: int):
    return SimpleNamespace(ev_type=ev_type, code=code, state=state)


def mapped(mapper: EvdevPadMapper, *events) -> list[tuple]:
    out = []
    for i, event in enumerate(events):
        out += [
            (r.name, round(r.x, 3), round(r.y, 3), r.device) for r in mapper.map_event(i, event)
        ]
    return out


def test_evdev_buttons_by_kernel_position():
    mapper = EvdevPadMapper(device=2)
    codes = {
        "BTN_SOUTH": "pad:south", "BTN_EAST": "pad:east", "BTN_NORTH": "pad:north",
        "BTN_WEST": "pad:west", "BTN_TL": "pad:left_shoulder", "BTN_TR": "pad:right_shoulder",
        "BTN_SELECT": "pad:back", "BTN_START": "pad:start", "BTN_MODE": "pad:guide",
        "BTN_THUMBL": "pad:left_stick_click", "BTN_THUMBR": "pad:right_stick_click",
        "BTN_DPAD_UP": "pad:dpad_up", "BTN_DPAD_LEFT": "pad:dpad_left",
    }  # fmt: skip
    for code, name in codes.items():
        assert mapped(mapper, ev("Key", code, 1), ev("Key", code, 0)) == [
            (name, 1.0, 0.0, 2), (name, 0.0, 0.0, 2),
        ]  # fmt: skip
    assert mapped(mapper, ev("Key", "BTN_TRIGGER_HAPPY1", 1)) == []
    assert mapped(mapper, ev("Sync", "SYN_REPORT", 0), ev("Misc", "MSC_SCAN", 589825)) == []


def test_evdev_sticks_signed_range_y_up():
    mapper = EvdevPadMapper()  # xpad's default ranges
    assert mapped(mapper, ev("Absolute", "ABS_X", 32767), ev("Absolute", "ABS_Y", -32768)) == [
        ("pad:left_stick", 1.0, 0.0, 0), ("pad:left_stick", 1.0, 1.0, 0),
    ]  # fmt: skip
    assert mapped(mapper, ev("Absolute", "ABS_X", 0), ev("Absolute", "ABS_Y", 16384)) == [
        ("pad:left_stick", 0.0, 1.0, 0), ("pad:left_stick", 0.0, -0.5, 0),
    ]  # fmt: skip
    assert mapped(mapper, ev("Absolute", "ABS_RX", -32768)) == [("pad:right_stick", -1.0, 0.0, 0)]


def test_evdev_sticks_unsigned_range_from_the_kernel():
    mapper = EvdevPadMapper(ranges={"ABS_X": (0, 255), "ABS_Y": (0, 255), "ABS_Z": (0, 255)})
    assert mapped(mapper, ev("Absolute", "ABS_X", 255), ev("Absolute", "ABS_Y", 0)) == [
        ("pad:left_stick", 1.0, 0.0, 0), ("pad:left_stick", 1.0, 1.0, 0),
    ]  # fmt: skip
    (item,) = mapper.map(0, "Absolute", "ABS_X", 128)
    assert abs(item.x) < 0.01  # centre
    (item,) = mapper.map(0, "Absolute", "ABS_X", 300)  # out of range: clamped
    assert item.x == 1.0


def test_evdev_triggers_0_to_1_and_digital_ones_only_without_analog():
    mapper = EvdevPadMapper(ranges={"ABS_RZ": (0, 1023)})
    assert mapped(mapper, ev("Key", "BTN_TR2", 1), ev("Key", "BTN_TR2", 0)) == [
        ("pad:right_trigger", 1.0, 0.0, 0), ("pad:right_trigger", 0.0, 0.0, 0),
    ]  # fmt: skip
    assert mapped(mapper, ev("Absolute", "ABS_RZ", 1023), ev("Absolute", "ABS_RZ", 0)) == [
        ("pad:right_trigger", 1.0, 0.0, 0), ("pad:right_trigger", 0.0, 0.0, 0),
    ]  # fmt: skip
    assert mapped(mapper, ev("Key", "BTN_TR2", 1)) == []  # the analog axis is the truth now
    assert mapped(mapper, ev("Absolute", "ABS_Z", 255)) == [("pad:left_trigger", 1.0, 0.0, 0)]
    assert mapped(mapper, ev("Absolute", "ABS_GAS", 512)) == [("pad:right_trigger", 0.5, 0.0, 0)]


def test_evdev_hat_is_the_dpad_with_releases():
    mapper = EvdevPadMapper()
    assert mapped(
        mapper,
        ev("Absolute", "ABS_HAT0Y", -1),
        ev("Absolute", "ABS_HAT0Y", 1),
        ev("Absolute", "ABS_HAT0Y", 0),
        ev("Absolute", "ABS_HAT0X", 1),
        ev("Absolute", "ABS_HAT0X", 1),
        ev("Absolute", "ABS_HAT0X", 0),
    ) == [
        ("pad:dpad_up", 1.0, 0.0, 0),
        ("pad:dpad_up", 0.0, 0.0, 0), ("pad:dpad_down", 1.0, 0.0, 0),
        ("pad:dpad_down", 0.0, 0.0, 0),
        ("pad:dpad_right", 1.0, 0.0, 0),
        ("pad:dpad_right", 0.0, 0.0, 0),
    ]  # fmt: skip


def test_evdev_callback_names_codes_through_inputs():
    import inputs

    source = EvdevPadSource()
    source._sink = InputQueue()
    mapper = EvdevPadMapper(device=1)
    manager = inputs.devices
    source._handle_event(manager, mapper, 0x01, 0x130, 1)  # EV_KEY BTN_SOUTH
    source._handle_event(manager, mapper, 0x00, 0, 0)  # EV_SYN
    source._handle_event(manager, mapper, 0x03, 0x01, -32768)  # EV_ABS ABS_Y
    source._handle_event(manager, mapper, 0x01, 0x2C0, 1)  # BTN_TRIGGER_HAPPY1: no name
    source._handle_event(manager, mapper, 0x04, 0x04, 1)  # MSC_SCAN: not an input
    got = drain(source._sink, 0)
    assert [(r.name, r.x, r.y, r.device) for r in got] == [
        ("pad:south", 1.0, 0.0, 1), ("pad:left_stick", 0.0, 1.0, 1),
    ]  # fmt: skip
    assert source.stats.events == 2 and source.stats.unnamed_dropped == 1


def test_evdev_without_dev_input_says_so(monkeypatch):
    monkeypatch.setattr("os.path.isdir", lambda path: path != "/dev/input")
    with pytest.raises(InputError, match="there is no /dev/input"):
        EvdevPadSource().start(InputQueue())
