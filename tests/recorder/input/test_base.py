"""The shared input pieces: RawInput never shows its name, the queue never blocks, the chooser."""

from __future__ import annotations

import logging
import pathlib
import subprocess
import sys
import threading
import time
import traceback
from types import SimpleNamespace

import pytest

from hindsight.actionmap import names
from hindsight.clock import now_ns
from hindsight.errors import HindsightError
from hindsight.recorder.input import (
    BACKENDS,
    EvdevPadSource,
    FallbackPadSource,
    InputError,
    InputQueue,
    InputSource,
    PynputWindowsSource,
    RawInput,
    SdlPadSource,
    X11KeyboardSource,
    X11MouseSource,
    create_input_sources,
    pynput_windows,
)

PACKAGE = pathlib.Path(__file__).parents[3] / "hindsight" / "recorder" / "input"


# -- RawInput -------------------------------------------------------------------------


def test_raw_input_repr_and_str_name_nothing():
    item = RawInput(now_ns(), "key:W", 1.0)
    for text in (repr(item), str(item), f"{item}", f"{item!r}", repr([item]), repr({"k": item})):
        assert "W" not in text.replace("RawInput", "")
        assert "key" not in text
        assert text.count("<redacted>") >= 1


def test_raw_input_does_not_leak_into_a_traceback():
    item = RawInput(now_ns(), "key:Semicolon", 1.0)
    try:
        raise ValueError(item)
    except ValueError as exc:
        text = "".join(traceback.format_exception(exc))
    assert "Semicolon" not in text
    assert "RawInput(<redacted>)" in text


def test_raw_input_is_frozen_small_and_has_defaults():
    item = RawInput(5, "mouse:left")
    assert (item.x, item.y, item.device) == (1.0, 0.0, 0)
    with pytest.raises(AttributeError):
        item.name = "mouse:right"  # type: ignore[misc]
    assert not hasattr(item, "__dict__")  # slots
    assert item == RawInput(5, "mouse:left", 1.0, 0.0, 0)


def test_input_error_is_a_hindsight_error_with_one_line():
    source = X11MouseSource(":1")
    err = source.error("the X server is gone")
    assert isinstance(err, InputError) and isinstance(err, HindsightError)
    assert str(err) == "cannot start input source x11-mouse: the X server is gone"


# -- InputQueue -------------------------------------------------------------------------


def test_queue_is_fifo_and_get_times_out():
    q = InputQueue()
    items = [RawInput(i, "key:A", float(i % 2)) for i in range(10)]
    for item in items:
        assert q.put(item)
    assert len(q) == 10
    assert [q.get(0) for _ in range(10)] == items
    t0 = time.monotonic()
    assert q.get(timeout=0.05) is None
    assert time.monotonic() - t0 >= 0.04


def test_full_queue_drops_counts_and_never_blocks(caplog):
    q = InputQueue(maxsize=8)
    caplog.set_level(logging.WARNING, logger="hindsight.recorder.input")
    for i in range(8):
        assert q.put(RawInput(i, "key:Q"))
    # A blocking put would hang here (the suite's timeout fails it); how fast a put is
    # is measured by tests/bench/bench_input_callback.py, not asserted here.
    results = [q.put(RawInput(100 + i, "key:Q")) for i in range(10_000)]
    assert not any(results)
    assert q.dropped == 10_000
    warnings = [r for r in caplog.records if "dropped" in r.getMessage()]
    assert len(warnings) == 1  # at most once per 10 s
    assert "key" not in warnings[0].getMessage() and "Q" not in warnings[0].getMessage()
    # what was queued before is intact
    assert [q.get(0).t_ns for _ in range(8)] == list(range(8))


def test_queue_warns_again_after_the_interval(caplog):
    q = InputQueue(maxsize=1, warn_interval_s=0.05)
    caplog.set_level(logging.WARNING, logger="hindsight.recorder.input")
    q.put(RawInput(0, "key:Q"))
    q.put(RawInput(1, "key:Q"))
    q.put(RawInput(2, "key:Q"))
    time.sleep(0.06)
    q.put(RawInput(3, "key:Q"))
    assert len([r for r in caplog.records if "dropped" in r.getMessage()]) == 2
    assert q.dropped == 3


def test_close_wakes_a_blocked_consumer_and_refuses_more():
    q = InputQueue()
    q.put(RawInput(1, "pad:south"))
    got = []

    def consume():
        while (item := q.get(timeout=5)) is not None:
            got.append(item)
        got.append("end")

    thread = threading.Thread(target=consume)
    thread.start()
    time.sleep(0.05)
    t0 = time.monotonic()
    q.close()
    thread.join(2)
    assert not thread.is_alive() and time.monotonic() - t0 < 1
    assert [g if g == "end" else g.t_ns for g in got] == [1, "end"]
    assert not q.put(RawInput(2, "pad:south"))
    assert q.closed and q.get(0) is None and q.get(0) is None
    assert len(q) == 0


def test_queue_survives_concurrent_producers():
    q = InputQueue(maxsize=100_000)

    def produce(k):
        for i in range(5000):
            q.put(RawInput(i, "mouse:delta", 1.0, 0.0, k))

    threads = [threading.Thread(target=produce, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(q) == 20_000 and q.dropped == 0


# -- the chooser ----------------------------------------------------------------------


@pytest.fixture
def no_override(monkeypatch):
    monkeypatch.delenv("HINDSIGHT_INPUT", raising=False)


def kinds(sources):
    return [type(s) for s in sources]


def test_default_on_linux_with_a_display_is_x11_and_pads(no_override, monkeypatch):
    monkeypatch.setattr(sys, "platform", "linux")
    sources = create_input_sources(":7")
    assert kinds(sources) == [X11KeyboardSource, X11MouseSource, FallbackPadSource]
    assert sources[0].display == ":7" and sources[1].display == ":7"
    assert [f for f in sources[2].candidates] == [SdlPadSource, EvdevPadSource]
    monkeypatch.setenv("DISPLAY", ":8")
    assert kinds(create_input_sources()) == [X11KeyboardSource, X11MouseSource, FallbackPadSource]


def test_default_without_a_display_says_what_to_fix(no_override, monkeypatch):
    monkeypatch.setattr(sys, "platform", "linux")
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    with pytest.raises(InputError) as info:
        create_input_sources()
    assert str(info.value) == (
        "no keyboard/mouse input backend for this system: DISPLAY is not set "
        "(keyboard and mouse actions need an X11 session)"
    )
    monkeypatch.setenv("WAYLAND_DISPLAY", "wayland-0")
    with pytest.raises(InputError, match="Wayland session"):
        create_input_sources()
    # controllers alone need no display
    assert kinds(create_input_sources(keyboard_mouse=False)) == [FallbackPadSource]
    assert create_input_sources(keyboard_mouse=False, pads=False) == []


def test_default_on_windows_is_the_pynput_hooks(no_override, monkeypatch):
    monkeypatch.setattr(sys, "platform", "win32")
    monkeypatch.delenv("DISPLAY", raising=False)
    assert kinds(create_input_sources()) == [PynputWindowsSource, FallbackPadSource]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("none", []),
        ("x11", [X11KeyboardSource, X11MouseSource]),
        ("X11, sdl", [X11KeyboardSource, X11MouseSource, SdlPadSource]),
        ("evdev", [EvdevPadSource]),
        ("sdl,evdev", [FallbackPadSource]),
        ("windows,sdl", [PynputWindowsSource, SdlPadSource]),
    ],
)
def test_env_override(monkeypatch, value, expected):
    monkeypatch.setenv("HINDSIGHT_INPUT", value)
    monkeypatch.setenv("DISPLAY", ":9")
    assert kinds(create_input_sources()) == expected


def test_env_override_keeps_the_order_of_the_pad_fallbacks(monkeypatch):
    monkeypatch.setenv("HINDSIGHT_INPUT", "evdev,sdl")
    (source,) = create_input_sources(keyboard_mouse=False)
    assert source.candidates == (EvdevPadSource, SdlPadSource)


@pytest.mark.parametrize(
    ("value", "match"),
    [
        (
            "joystick",
            r"unknown input backend 'joystick' \(choose from x11, windows, sdl, evdev, none\)",
        ),
        ("none,sdl", "'none' cannot be combined"),
        ("x11,windows", "choose one keyboard/mouse backend"),
        (" , ", "HINDSIGHT_INPUT is empty"),
    ],
)
def test_env_override_errors(monkeypatch, value, match):
    monkeypatch.setenv("HINDSIGHT_INPUT", value)
    with pytest.raises(InputError, match=match):
        create_input_sources(":1")


def test_x11_override_without_a_display(monkeypatch):
    monkeypatch.setenv("HINDSIGHT_INPUT", "x11")
    monkeypatch.delenv("DISPLAY", raising=False)
    with pytest.raises(InputError, match="DISPLAY is not set"):
        create_input_sources()
    assert create_input_sources(keyboard_mouse=False) == []


def test_backends_list():
    assert BACKENDS == ("x11", "windows", "sdl", "evdev", "none")


# -- FallbackPadSource --------------------------------------------------------------------


class _Fake(InputSource):
    name = "fake"

    def __init__(self, fail: str | None = None):
        super().__init__()
        self.fail = fail
        self.started = self.stopped = False

    def start(self, sink):
        if self.fail:
            raise self.error(self.fail)
        self.started = True
        self._stats.events = 3

    def stop(self):
        self.stopped = True


def test_fallback_uses_the_first_backend_that_starts():
    made = []

    def factory(fail=None):
        def make():
            made.append(_Fake(fail))
            return made[-1]

        return make

    source = FallbackPadSource([factory("SDL2 could not be loaded"), factory(None), factory(None)])
    source.start(InputQueue())
    assert source.active is made[1] and len(made) == 2
    assert source.failures == ["cannot start input source fake: SDL2 could not be loaded"]
    assert source.stats.events == 3
    source.stop()
    assert made[1].stopped and source.active is None
    source.stop()  # twice is fine


def test_fallback_says_why_nothing_works():
    source = FallbackPadSource([lambda: _Fake("no SDL"), lambda: _Fake("no /dev/input")])
    with pytest.raises(InputError) as info:
        source.start(InputQueue())
    assert str(info.value) == (
        "no controller input backend works: cannot start input source fake: no SDL; "
        "cannot start input source fake: no /dev/input"
    )
    assert source.active is None


# -- Windows (logic only; the hooks need Windows) --------------------------------------------


def test_windows_scan_codes_name_physical_keys():
    name = pynput_windows.windows_key_name
    assert name(0x11, 0) == "key:W"
    assert name(0x1C, 0) == "key:Enter"
    assert name(0x1C, 0x01) == "key:NumpadEnter"
    assert name(0x1D, 0x01) == "key:RightCtrl"
    assert name(0x4B, 0x01) == "key:Left"
    assert name(0x4B, 0) == "key:Numpad4"
    # low-level hooks report Pause as 0x45 and NumLock as the extended 0x45
    assert name(0x45, 0) == "key:Pause"
    assert name(0x45, 0x01) == "key:NumLock"
    assert name(0x20, 0x01) is None  # a media key
    for code, key in names.WINDOWS_SCAN_KEYS.items():
        assert names.is_input_name(f"key:{key}"), hex(code)


def _hook_source():
    source = PynputWindowsSource()
    source._sink = InputQueue()
    return source


def drain(q):
    out = []
    while (item := q.get(0)) is not None:
        out.append(item)
    return out


def test_windows_keyboard_callback_drops_autorepeat_and_unknown_keys():
    source = _hook_source()

    def key(scan, flags=0):
        return SimpleNamespace(scanCode=scan, flags=flags)

    for msg, data in [
        (0x0100, key(0x11)), (0x0100, key(0x11)), (0x0100, key(0x11)), (0x0101, key(0x11)),
        (0x0104, key(0x38)), (0x0105, key(0x38)), (0x0100, key(0x20, 1)), (0x0101, key(0x20, 1)),
    ]:  # fmt: skip
        assert source._on_key(msg, data) is False  # pynput's own handling is skipped
    got = [(r.name, r.x) for r in drain(source._sink)]
    assert got == [("key:W", 1.0), ("key:W", 0.0), ("key:LeftAlt", 1.0), ("key:LeftAlt", 0.0)]
    assert source.stats.repeats_dropped == 2
    assert source.stats.unnamed_dropped == 2


def test_windows_mouse_callback_gives_deltas_buttons_and_notches():
    source = _hook_source()

    def at(x, y, data=0):
        return SimpleNamespace(pt=SimpleNamespace(x=x, y=y), mouseData=data)

    source._on_mouse(0x0200, at(100, 100))  # first position: no delta yet
    source._on_mouse(0x0200, at(103, 90))
    source._on_mouse(0x0201, at(103, 90))
    source._on_mouse(0x0202, at(103, 90))
    source._on_mouse(0x020B, at(0, 0, 2 << 16))
    source._on_mouse(0x020A, at(0, 0, (240 & 0xFFFF) << 16))  # two notches up
    source._on_mouse(0x020A, at(0, 0, (-120 & 0xFFFF) << 16))  # one down
    source._on_mouse(0x020E, at(0, 0, 120 << 16))  # horizontal: no name
    got = [(r.name, r.x, r.y) for r in drain(source._sink)]
    assert got == [
        ("mouse:delta", 3.0, 10.0),  # y up
        ("mouse:left", 1.0, 0.0),
        ("mouse:left", 0.0, 0.0),
        ("mouse:x2", 1.0, 0.0),
        ("mouse:wheel_up", 1.0, 0.0), ("mouse:wheel_up", 0.0, 0.0),
        ("mouse:wheel_up", 1.0, 0.0), ("mouse:wheel_up", 0.0, 0.0),
        ("mouse:wheel_down", 1.0, 0.0), ("mouse:wheel_down", 0.0, 0.0),
    ]  # fmt: skip
    assert source.stats.unnamed_dropped == 1


def test_windows_source_cannot_start_here_and_says_why():
    if sys.platform == "win32":
        pytest.skip("this checks the error off Windows")
    source = PynputWindowsSource()
    with pytest.raises(
        InputError, match="cannot start input source windows: pynput's Windows hooks"
    ):
        source.start(InputQueue())
    source.stop()


# -- style rules ------------------------------------------------------------------------------


def test_only_the_chooser_looks_at_the_platform():
    offenders = [
        p.name
        for p in PACKAGE.glob("*.py")
        if p.name != "chooser.py" and "sys.platform" in p.read_text()
    ]
    assert offenders == []


def test_package_imports_without_a_display_and_loads_no_backend():
    code = (
        "import sys, hindsight.recorder.input as i;"
        "print(sorted(m for m in ('pynput', 'sdl2', 'inputs', 'Xlib') if m in sys.modules))"
    )
    env = {k: v for k, v in __import__("os").environ.items() if k != "DISPLAY"}
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "[]"
