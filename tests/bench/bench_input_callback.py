"""Input callback cost: from entry to return of each source's real callback, per event.

    python -m tests.bench.bench_input_callback [--events 4000]

The callbacks measured are the ones the backends call for every event:
``X11KeyboardSource._handle_event`` (the RECORD thread), ``X11MouseSource._handle_event``
(the XInput 2 raw event loop) and ``SdlPadSource._handle_event`` (the SDL thread). Each is
wrapped with a perf_counter_ns pair (the wrapper's own ~0.2 us is included). Events come
from XTest on an Xvfb and from an SDL virtual controller. Only calls that are input events
count (SDL's wake-ups and device events are left out). Target: median <= 50 us.
"""

from __future__ import annotations

import argparse
import ctypes
import time

from Xlib import X
from Xlib import display as xdisplay
from Xlib.ext import xtest

from hindsight.demo.display import VirtualDisplay
from hindsight.recorder.input import InputQueue
from hindsight.recorder.input.sdl_pad import SdlPadSource, load_sdl
from hindsight.recorder.input.x11_keyboard import X11KeyboardSource
from hindsight.recorder.input.x11_mouse import X11MouseSource
from tests.bench.common import isolated_user_dirs, median, percentile, print_json, wait_until

TARGET_MEDIAN_US = 50.0


def timed(source, *, only_inputs: bool) -> list[float]:
    """Replace ``source._handle_event`` by a timing wrapper; returns the list it fills (us)."""
    inner = source._handle_event
    stats = source.stats
    durations: list[float] = []
    clock = time.perf_counter_ns

    def wrapper(*args):
        before = stats.events + stats.unnamed_dropped + stats.repeats_dropped
        t0 = clock()
        inner(*args)
        t1 = clock()
        if (
            not only_inputs
            or stats.events + stats.unnamed_dropped + stats.repeats_dropped != before
        ):
            durations.append((t1 - t0) / 1000)

    source._handle_event = wrapper
    return durations


def summary(durations: list[float], queued: int) -> dict:
    return {
        "callbacks": len(durations),
        "inputs_queued": queued,
        "median_us": round(median(durations), 2),
        "p99_us": round(percentile(durations, 99), 2),
        "max_us": round(max(durations), 2),
    }


def drain(q: InputQueue) -> int:
    n = 0
    while q.get(timeout=0.3) is not None:
        n += 1
    return n


def bench_keyboard(display: str, events: int) -> dict:
    q = InputQueue(maxsize=events * 2)
    source = X11KeyboardSource(display)
    durations = timed(source, only_inputs=False)
    source.start(q)
    conn = xdisplay.Display(display)
    keycodes = [24, 25, 26, 38, 39, 40, 65]  # Q W E A S D Space
    try:
        for i in range(events // 2):
            code = keycodes[i % len(keycodes)]
            xtest.fake_input(conn, X.KeyPress, code)
            xtest.fake_input(conn, X.KeyRelease, code)
            if i % 20 == 19:
                conn.sync()
                time.sleep(0.001)
        conn.sync()
        wait_until(lambda: len(durations) >= events, 10)
        queued = drain(q)
    finally:
        conn.close()
        source.stop()
    return summary(durations, queued)


def bench_mouse(display: str, events: int) -> dict:
    q = InputQueue(maxsize=events * 2)
    source = X11MouseSource(display)
    durations = timed(source, only_inputs=False)
    source.start(q)
    conn = xdisplay.Display(display)
    try:
        sent = 0
        i = 0
        while sent < events:
            if i % 4 == 0:
                xtest.fake_input(conn, X.ButtonPress, 1)
                xtest.fake_input(conn, X.ButtonRelease, 1)
                sent += 2
            else:
                xtest.fake_input(conn, X.MotionNotify, detail=True, x=3, y=-2)
                sent += 1
            i += 1
            if i % 10 == 0:
                conn.sync()
                time.sleep(0.001)
        conn.sync()
        wait_until(lambda: len(durations) >= sent, 10)
        queued = drain(q)
    finally:
        conn.close()
        source.stop()
    return summary(durations, queued)


def bench_sdl(events: int) -> dict:
    sdl2 = load_sdl()
    q = InputQueue(maxsize=events * 2)
    source = SdlPadSource()
    durations = timed(source, only_inputs=True)
    source.start(q)

    def attach():
        desc = sdl2.SDL_VirtualJoystickDesc()
        desc.version = sdl2.SDL_VIRTUAL_JOYSTICK_DESC_VERSION
        desc.type = sdl2.SDL_JOYSTICK_TYPE_GAMECONTROLLER
        desc.naxes, desc.nbuttons = 6, 15
        index = sdl2.SDL_JoystickAttachVirtualEx(ctypes.byref(desc))
        return index, sdl2.SDL_JoystickOpen(index)

    try:
        index, joy = source.call(attach)
        wait_until(lambda: source.connected == 1, 5)
        for i in range((events + 3) // 4):
            value = (i * 977) % 60000 - 30000

            def step(i=i, value=value):
                sdl2.SDL_JoystickSetVirtualButton(joy, sdl2.SDL_CONTROLLER_BUTTON_A, i % 2)
                sdl2.SDL_JoystickSetVirtualAxis(joy, 0, value)
                sdl2.SDL_JoystickSetVirtualAxis(joy, 3, -value)
                sdl2.SDL_JoystickSetVirtualAxis(joy, 5, value)

            source.call(step)
        wait_until(lambda: len(durations) >= events, 10)
        queued = drain(q)
        source.call(lambda: (sdl2.SDL_JoystickClose(joy), sdl2.SDL_JoystickDetachVirtual(index)))
    finally:
        source.stop()
    return summary(durations, queued)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=4000, help="input events per source")
    args = parser.parse_args()
    with VirtualDisplay(1280, 720) as display:
        result = {
            "events_per_source": args.events,
            "x11_keyboard": bench_keyboard(display.name, args.events),
            "x11_mouse": bench_mouse(display.name, args.events),
        }
    result["sdl_pad"] = bench_sdl(args.events)
    result["target_median_us"] = TARGET_MEDIAN_US
    result["target_met"] = all(
        result[k]["median_us"] <= TARGET_MEDIAN_US for k in ("x11_keyboard", "x11_mouse", "sdl_pad")
    )
    print_json(result)


if __name__ == "__main__":
    with isolated_user_dirs():  # never the user's own settings, maps or clips
        main()
