"""A tiny X11 "game" for end-to-end tests: a window whose colour flips on every key press.

    python -m tests.recorder.actions.testgame --display :N [--name hs-testgame] [--size 640x360]

It names its process (``/proc/self/comm``) so an action map can match it like a real
game's executable, sets ``_NET_WM_PID``, and prints ``ready <window id>`` once mapped.
Every KeyPress (not autorepeat) toggles the whole window between two colours and
flushes at once, so the first captured frame that shows the press's effect can be
found in the video.
"""

from __future__ import annotations

import argparse
import ctypes
import os
import sys

from Xlib import X, Xatom, display

COLOURS = (0x202020, 0xE0E0E0)


def set_process_name(name: str) -> None:
    libc = ctypes.CDLL(None)
    libc.prctl(15, name.encode()[:15], 0, 0, 0)  # PR_SET_NAME


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--display", required=True)
    parser.add_argument("--name", default="hs-testgame")
    parser.add_argument("--title", default="Hindsight Test Game")
    parser.add_argument("--size", default="640x360")
    parser.add_argument("--position", default="0,0")
    args = parser.parse_args()
    set_process_name(args.name)
    w, h = (int(v) for v in args.size.split("x"))
    px, py = (int(v) for v in args.position.split(","))
    d = display.Display(args.display)
    screen = d.screen()
    win = screen.root.create_window(
        px, py, w, h, 0, screen.root_depth, X.InputOutput, X.CopyFromParent,
        background_pixel=COLOURS[0], event_mask=X.KeyPressMask | X.ExposureMask | X.StructureNotifyMask,
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


if __name__ == "__main__":
    sys.exit(main())
