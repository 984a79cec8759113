"""X11 keyboard and mouse sources on a real Xvfb, driven with XTest, xdotool and XWarpPointer."""

from __future__ import annotations

import os
import shutil
import statistics
import struct
import subprocess
import time
from collections.abc import Iterator
from types import SimpleNamespace

import pytest
from Xlib import XK, X
from Xlib import display as xdisplay
from Xlib.ext import xinput, xtest

from hindsight.clock import now_ns
from hindsight.recorder.input import InputError, InputQueue, RawInput
from hindsight.recorder.input.x11_keyboard import X11KeyboardSource
from hindsight.recorder.input.x11_mouse import X11MouseSource, parse_raw_event
from tests.x11 import xvfb  # noqa: F401

pytestmark = pytest.mark.x11

KEYCODE_W = 25  # evdev KEY_W (17) + 8
KEYCODE_A = 38  # evdev KEY_A (30) + 8
KEYCODE_UNNAMED = 255  # evdev 247: no name in our vocabulary


def drain(q: InputQueue, settle_s: float = 0.15) -> list[RawInput]:
    """Everything queued until nothing more arrives for ``settle_s``."""
    out = []
    while (item := q.get(timeout=settle_s)) is not None:
        out.append(item)
    return out


def wait_for(q: InputQueue, n: int, timeout_s: float = 3.0) -> list[RawInput]:
    out = []
    deadline = time.monotonic() + timeout_s
    while len(out) < n and (left := deadline - time.monotonic()) > 0:
        item = q.get(timeout=left)
        if item is not None:
            out.append(item)
    return out


@pytest.fixture
def conn(xvfb) -> Iterator[xdisplay.Display]:  # noqa: F811
    """The test's own client connection, as a second application would have."""
    c = xdisplay.Display(xvfb.name)
    yield c
    c.close()


@pytest.fixture
def keyboard(xvfb) -> Iterator[tuple[X11KeyboardSource, InputQueue]]:  # noqa: F811
    q = InputQueue()
    source = X11KeyboardSource(xvfb.name)
    source.start(q)
    yield source, q
    source.stop()


@pytest.fixture
def mouse(xvfb) -> Iterator[tuple[X11MouseSource, InputQueue]]:  # noqa: F811
    q = InputQueue()
    source = X11MouseSource(xvfb.name)
    source.start(q)
    yield source, q
    source.stop()


def key(c, keycode: int, press: bool) -> None:
    xtest.fake_input(c, X.KeyPress if press else X.KeyRelease, keycode)
    c.sync()


def set_layout(display: str, layout: str) -> None:
    setxkbmap = shutil.which("setxkbmap")
    assert setxkbmap, "setxkbmap is missing: apt-get install x11-xkb-utils"
    subprocess.run([setxkbmap, "-display", display, layout], check=True, timeout=10)


# -- keyboard ------------------------------------------------------------------------------


@pytest.mark.parametrize(("layout", "w_types", "a_types"), [("us", "w", "a"), ("fr", "z", "q")])
def test_keys_are_named_by_physical_position_in_any_layout(
    xvfb,  # noqa: F811
    keyboard,
    layout,
    w_types,
    a_types,
):
    _source, q = keyboard
    set_layout(xvfb.name, layout)
    try:
        c = xdisplay.Display(xvfb.name)  # a fresh connection sees the new keymap
        try:
            # the layout really changed: the W position types z on AZERTY, the A position q
            assert XK.keysym_to_string(c.keycode_to_keysym(KEYCODE_W, 0)) == w_types
            assert XK.keysym_to_string(c.keycode_to_keysym(KEYCODE_A, 0)) == a_types
            key(c, KEYCODE_W, True)
            key(c, KEYCODE_W, False)
            key(c, KEYCODE_A, True)
            key(c, KEYCODE_A, False)
        finally:
            c.close()
        got = wait_for(q, 4)
    finally:
        set_layout(xvfb.name, "us")
    assert [(r.name, r.x, r.device) for r in got] == [
        ("key:W", 1.0, 0), ("key:W", 0.0, 0), ("key:A", 1.0, 0), ("key:A", 0.0, 0),
    ]  # fmt: skip
    assert all(repr(r) == "RawInput(<redacted>)" for r in got)
    assert drain(q) == []


def test_key_stamps_increase_and_follow_the_fake_input_within_ms(keyboard, conn):
    _source, q = keyboard
    latencies = []
    stamps = []
    for i in range(20):
        t_sent = now_ns()
        key(conn, KEYCODE_W, i % 2 == 0)
        (item,) = wait_for(q, 1)
        assert item.name == "key:W" and item.x == (1.0 if i % 2 == 0 else 0.0)
        assert item.t_ns >= t_sent
        latencies.append((item.t_ns - t_sent) / 1e6)
        stamps.append(item.t_ns)
    assert stamps == sorted(stamps) and len(set(stamps)) == len(stamps)
    assert statistics.median(latencies) < 5.0, latencies
    assert max(latencies) < 100.0, latencies


def test_autorepeat_is_dropped_and_counted(keyboard, conn):
    source, q = keyboard
    key(conn, KEYCODE_A, True)
    time.sleep(1.2)  # the server's autorepeat starts after 660 ms
    key(conn, KEYCODE_A, False)
    got = drain(q, 0.3)
    assert [(r.name, r.x) for r in got] == [("key:A", 1.0), ("key:A", 0.0)]
    assert source.stats.repeats_dropped > 0
    assert source.stats.events == 2


def test_unnamed_keycodes_are_dropped_and_counted(keyboard, conn):
    source, q = keyboard
    key(conn, KEYCODE_UNNAMED, True)
    key(conn, KEYCODE_UNNAMED, False)
    key(conn, KEYCODE_W, True)
    key(conn, KEYCODE_W, False)
    got = wait_for(q, 2)
    assert [r.name for r in got] == ["key:W", "key:W"]
    assert drain(q) == []
    assert source.stats.unnamed_dropped == 2


def test_keyboard_stops_and_does_not_touch_display_env(xvfb, conn, monkeypatch):  # noqa: F811
    monkeypatch.setenv("DISPLAY", ":4242")  # another display: the source must still use ours
    q = InputQueue()
    source = X11KeyboardSource(xvfb.name)
    source.start(q)
    source.start(q)  # a second start is harmless
    assert os.environ["DISPLAY"] == ":4242"
    key(conn, KEYCODE_W, True)
    key(conn, KEYCODE_W, False)
    assert len(wait_for(q, 2)) == 2
    t0 = time.monotonic()
    source.stop()
    assert time.monotonic() - t0 < 1.0
    source.stop()
    key(conn, KEYCODE_W, True)
    key(conn, KEYCODE_W, False)
    assert drain(q) == []


def test_keyboard_errors_are_one_line(monkeypatch):
    monkeypatch.delenv("DISPLAY", raising=False)
    with pytest.raises(
        InputError, match=r"^cannot start input source x11-keyboard: DISPLAY is not set"
    ):
        X11KeyboardSource().start(InputQueue())
    with pytest.raises(InputError, match=r"cannot connect to X display ':4241'") as info:
        X11KeyboardSource(":4241").start(InputQueue())
    assert "\n" not in str(info.value)


# -- mouse ----------------------------------------------------------------------------------


def test_mouse_buttons_press_and_release(mouse, conn):
    source, q = mouse
    for button in (1, 2, 3, 8, 9):
        xtest.fake_input(conn, X.ButtonPress, button)
        xtest.fake_input(conn, X.ButtonRelease, button)
    conn.sync()
    got = wait_for(q, 10)
    assert [(r.name, r.x) for r in got] == [
        (name, value)
        for name in ("mouse:left", "mouse:middle", "mouse:right", "mouse:x1", "mouse:x2")
        for value in (1.0, 0.0)
    ]
    assert all(r.device == 0 for r in got)
    assert source.stats.events == 10


def test_wheel_notches_are_press_and_release_with_one_stamp(mouse, conn):
    source, q = mouse
    for button in (4, 4, 5, 6, 7):  # 6/7: horizontal wheel, not in the vocabulary
        xtest.fake_input(conn, X.ButtonPress, button)
        xtest.fake_input(conn, X.ButtonRelease, button)
    conn.sync()
    got = wait_for(q, 6)
    assert [(r.name, r.x) for r in got] == [
        ("mouse:wheel_up", 1.0), ("mouse:wheel_up", 0.0),
        ("mouse:wheel_up", 1.0), ("mouse:wheel_up", 0.0),
        ("mouse:wheel_down", 1.0), ("mouse:wheel_down", 0.0),
    ]  # fmt: skip
    for press, release in zip(got[::2], got[1::2], strict=True):
        assert press.t_ns == release.t_ns
    assert got[0].t_ns < got[2].t_ns
    assert drain(q) == []
    assert source.stats.unnamed_dropped == 4


def test_relative_motion_is_a_delta_with_y_up(mouse, conn, xvfb):  # noqa: F811
    _source, q = mouse
    t_sent = now_ns()
    xtest.fake_input(conn, X.MotionNotify, detail=True, x=5, y=-3)  # right 5, up 3
    conn.sync()
    (item,) = wait_for(q, 1)
    assert (item.name, item.x, item.y) == ("mouse:delta", 5.0, 3.0)
    assert 0 <= item.t_ns - t_sent < 50_000_000
    subprocess.run(["xdotool", "mousemove_relative", "--", "-10", "20"], env=xvfb.env(), check=True)
    (item,) = wait_for(q, 1)
    assert (item.name, item.x, item.y) == ("mouse:delta", -10.0, -20.0)


def test_pointer_warps_are_not_motion(mouse, conn, xvfb):  # noqa: F811
    """A game warps the pointer back to its centre after every move: only the moves count."""
    _source, q = mouse
    root = conn.screen().root
    centre = (640, 360)
    root.warp_pointer(*centre)
    conn.sync()
    assert drain(q) == []  # a warp alone is no motion
    for _ in range(20):
        xtest.fake_input(conn, X.MotionNotify, detail=True, x=3, y=2)  # the user moves right/down
        conn.sync()
        time.sleep(0.002)
        root.warp_pointer(*centre)  # the game recentres (XWarpPointer)
        conn.sync()
    pointer = root.query_pointer()
    assert (pointer.root_x, pointer.root_y) == centre  # the warps happened
    got = drain(q, 0.3)
    assert {r.name for r in got} == {"mouse:delta"}
    assert sum(r.x for r in got) == pytest.approx(60.0)
    assert sum(r.y for r in got) == pytest.approx(-40.0)  # down is negative
    # xdotool's absolute mousemove is an XWarpPointer from another client: no motion either
    for x, y in [(100, 100), (1200, 700), (640, 360)]:
        subprocess.run(
            ["xdotool", "mousemove", "--sync", str(x), str(y)], env=xvfb.env(), check=True
        )
    pointer = root.query_pointer()
    assert (pointer.root_x, pointer.root_y) == (640, 360)
    assert drain(q, 0.3) == []


def test_motion_is_coalesced_within_a_millisecond(mouse, conn):
    _source, q = mouse
    for _ in range(200):
        xtest.fake_input(conn, X.MotionNotify, detail=True, x=1, y=-1)
    conn.sync()
    got = drain(q, 0.3)
    assert {r.name for r in got} == {"mouse:delta"}
    assert sum(r.x for r in got) == 200 and sum(r.y for r in got) == 200
    assert len(got) < 200  # several events per RawInput
    stamps = [r.t_ns for r in got]
    assert stamps == sorted(stamps)


def test_motion_and_buttons_keep_their_order(mouse, conn):
    _source, q = mouse
    xtest.fake_input(conn, X.MotionNotify, detail=True, x=4, y=0)
    xtest.fake_input(conn, X.ButtonPress, 1)
    xtest.fake_input(conn, X.MotionNotify, detail=True, x=0, y=4)
    xtest.fake_input(conn, X.ButtonRelease, 1)
    conn.sync()
    got = wait_for(q, 4)
    assert [(r.name, r.x, r.y) for r in got] == [
        ("mouse:delta", 4.0, 0.0), ("mouse:left", 1.0, 0.0),
        ("mouse:delta", 0.0, -4.0), ("mouse:left", 0.0, 0.0),
    ]  # fmt: skip


def test_mouse_stops_promptly_and_hears_nothing_after(xvfb, conn):  # noqa: F811
    q = InputQueue()
    source = X11MouseSource(xvfb.name)
    source.start(q)
    t0 = time.monotonic()
    source.stop()
    assert time.monotonic() - t0 < 0.5
    source.stop()
    xtest.fake_input(conn, X.ButtonPress, 1)
    xtest.fake_input(conn, X.ButtonRelease, 1)
    conn.sync()
    assert drain(q) == []


def test_mouse_errors_are_one_line(monkeypatch):
    monkeypatch.delenv("DISPLAY", raising=False)
    with pytest.raises(
        InputError, match=r"^cannot start input source x11-mouse: DISPLAY is not set"
    ):
        X11MouseSource().start(InputQueue())
    with pytest.raises(InputError, match=r"cannot connect to X display ':4241'"):
        X11MouseSource(":4241").start(InputQueue())


# -- raw event parsing (no server needed) --------------------------------------------------------


def raw_event(evtype: int, sourceid: int, values: dict[int, float], detail: int = 0):
    """An XIRawEvent as python-xlib hands it over (``data`` from deviceid on)."""
    mask = sum(1 << axis for axis in values)
    mask_len = 1
    data = struct.pack("=HIIHHI4x", 2, 0, detail, sourceid, mask_len, 0)
    data += struct.pack("=I", mask)
    ordered = [values[a] for a in sorted(values)]
    for v in ordered:  # accelerated values: deliberately different from the raw ones
        data += struct.pack("=iI", int(v * 2), 0)
    for v in ordered:
        integral = int(v // 1)
        data += struct.pack("=iI", integral, int((v - integral) * 2**32))
    return SimpleNamespace(evtype=evtype, data=data)


def test_parse_raw_event_reads_the_raw_values_of_axes_0_and_1():
    event = raw_event(xinput.RawMotion, 7, {0: 2.5, 1: -3.0, 2: 99.0})
    assert parse_raw_event(event.data) == (7, 0, 2.5, -3.0)
    assert parse_raw_event(raw_event(xinput.RawMotion, 7, {1: 4.0}).data) == (7, 0, None, 4.0)
    assert parse_raw_event(raw_event(xinput.RawMotion, 7, {2: 1.0}).data) == (7, 0, None, None)


def test_absolute_devices_are_differenced_and_scaled():
    source = X11MouseSource(":0")
    source._sink = InputQueue()
    source._absolute = {11: (0.5, 0.25)}  # e.g. a tablet: 2 units per pixel in x, 4 in y
    for x, y in [(1000, 1000), (1010, 1040), (1010, 1000)]:
        source._handle_event(raw_event(xinput.RawMotion, 11, {0: x, 1: y}))
        source._flush_motion()
    source._handle_event(raw_event(xinput.RawMotion, 12, {0: 3, 1: 4}))  # a relative mouse
    source._flush_motion()
    got = drain(source._sink, 0)
    assert [(r.x, r.y) for r in got] == [(5.0, -10.0), (0.0, 10.0), (3.0, -4.0)]
