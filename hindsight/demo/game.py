"""A tiny X11 "game" for the demo and the end-to-end tests: a window whose colour flips on every key
press.

    python -m hindsight.demo.game --display :N [--name hs-demo-game] [--size 640x360]

It names its process (``/proc/self/comm``) so an action map can match it like a real
game's executable, sets ``_NET_WM_PID``, and prints ``ready <window id>`` once mapped.
Every KeyPress (not autorepeat) toggles the whole window between two colours and
flushes at once, so the first captured frame that shows the press's effect can be
found in the video; with ``--beep-sink`` it also plays a short beep into that
PulseAudio sink, so the sound of a press can be found in the clip's audio.
:class:`DemoPlayer` plays it with real X input events for ``hindsight demo``.
"""

from __future__ import annotations

import argparse
import ctypes
import os
import sys
import time

from Xlib import X, Xatom, display

COLOURS = (0x202020, 0xE0E0E0)


def set_process_name(name: str) -> None:
    libc = ctypes.CDLL(None)
    libc.prctl(15, name.encode()[:15], 0, 0, 0)  # PR_SET_NAME


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--display", required=True)
    parser.add_argument("--name", default="hs-demo-game")
    parser.add_argument("--title", default="Hindsight Demo Game")
    parser.add_argument("--size", default="640x360")
    parser.add_argument("--position", default="0,0")
    parser.add_argument(
        "--beep-sink", help="play a beep into this PulseAudio sink on every flash (with pacat)"
    )
    args = parser.parse_args()
    beeper = _Beeper(args.beep_sink) if args.beep_sink else None
    set_process_name(args.name)
    w, h = (int(v) for v in args.size.split("x"))
    px, py = (int(v) for v in args.position.split(","))
    d = display.Display(args.display)
    screen = d.screen()
    win = screen.root.create_window(
        px,
        py,
        w,
        h,
        0,
        screen.root_depth,
        X.InputOutput,
        X.CopyFromParent,
        background_pixel=COLOURS[0],
        event_mask=X.KeyPressMask | X.ExposureMask | X.StructureNotifyMask,
    )
    win.set_wm_name(args.title)
    win.change_property(d.intern_atom("_NET_WM_PID"), Xatom.CARDINAL, 32, [os.getpid()])
    win.set_wm_normal_hints(flags=1 | 2, min_width=w, min_height=h, max_width=w, max_height=h)
    gcs = [win.create_gc(foreground=c) for c in COLOURS]
    win.map()
    d.sync()
    state = 0
    ready = False
    while True:
        event = d.next_event()
        if event.type == X.Expose or event.type == X.MapNotify:
            win.fill_rectangle(gcs[state], 0, 0, w, h)
            d.flush()
            if not ready and event.type == X.MapNotify:
                ready = True
                print(f"ready {win.id}", flush=True)
        elif event.type == X.KeyPress:
            state ^= 1
            win.fill_rectangle(gcs[state], 0, 0, w, h)
            d.flush()
            if beeper is not None:
                beeper.beep()


class _Beeper:
    """A ``pacat`` kept open into a sink; each beep is written when its flash is drawn."""

    def __init__(self, sink: str) -> None:
        import subprocess

        from hindsight.demo.sound import beep_pcm, pacat_command

        self._beep = beep_pcm()
        self._proc: subprocess.Popen[bytes] | None = subprocess.Popen(
            pacat_command(sink),
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    def beep(self) -> None:
        if self._proc is None or self._proc.stdin is None:
            return
        try:
            self._proc.stdin.write(self._beep)
            self._proc.stdin.flush()
        except OSError:  # the sound server went away: the game goes on silently
            self._proc = None


class DemoPlayer:
    """Plays the demo game through real X input events (XTest), as a person at the keyboard
    would."""

    def __init__(self, display_name: str) -> None:
        from Xlib.ext import xtest

        self._xtest = xtest
        self.d = display.Display(display_name)

    def focus(self, window_id: int) -> None:
        window = self.d.create_resource_object("window", window_id)
        window.set_input_focus(X.RevertToParent, X.CurrentTime)
        self.d.sync()

    def key(self, keysym: str, hold_s: float = 0.05) -> None:
        from Xlib import XK

        code = self.d.keysym_to_keycode(XK.string_to_keysym(keysym))
        self._xtest.fake_input(self.d, X.KeyPress, code)
        self.d.sync()
        time.sleep(hold_s)
        self._xtest.fake_input(self.d, X.KeyRelease, code)
        self.d.sync()

    def type(self, text: str) -> None:
        for ch in text:
            self.key("space" if ch == " " else ch, 0.02)
            time.sleep(0.03)

    def look(self, dx: int, dy: int, steps: int = 10) -> None:
        for _ in range(steps):
            self._xtest.fake_input(self.d, X.MotionNotify, True, x=dx // steps, y=dy // steps)
            self.d.sync()
            time.sleep(0.016)

    def play(self, seconds: float) -> None:
        """A short round: move, look around, jump, open chat and type (redacted), fire."""
        end = time.monotonic() + seconds
        script = [
            lambda: self.key("w", 0.6),
            lambda: self.look(120, -40),
            lambda: self.key("space"),
            lambda: self.key("d", 0.4),
            lambda: self.key("space"),
            lambda: (self.key("t"), self.type("gg wp"), self.key("Return")),
            lambda: self.look(-80, 20),
            lambda: self.key("a", 0.3),
            lambda: self.key("space"),
        ]
        i = 0
        while time.monotonic() < end:
            script[i % len(script)]()
            i += 1
            time.sleep(0.15)

    def close(self) -> None:
        self.d.close()


if __name__ == "__main__":
    sys.exit(main())
