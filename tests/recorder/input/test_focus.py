"""Focus tracking: which process owns the focused window, on real X servers.

Windows are made by small python-xlib programs in subprocesses (so their pids are
not the test's), each named with prctl(PR_SET_NAME) and given a secret-looking
title that must never come back out of the tracker. Every display is run both
with openbox (EWMH, event-driven) and bare (XGetInputFocus, polled).
Long because each case runs against both kinds of display; the cases share the
window-making helpers at the top.
"""

from __future__ import annotations

import logging
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest
from Xlib import X

from hindsight.clock import now_ns
from hindsight.demo.display import VirtualDisplay
from hindsight.recorder import x11
from hindsight.recorder.input import focus as focus_pkg
from hindsight.recorder.input.focus import (
    FixedFocusTracker,
    FocusError,
    ForegroundApp,
    NoFocusTracker,
    WindowsFocusTracker,
    X11FocusTracker,
    create_focus_tracker,
    procinfo,
)
from hindsight.recorder.input.focus.x11 import _Resolver

pytestmark = pytest.mark.x11

MS = 1_000_000
LATENCY_NS = 200 * MS  # a change must be reported within this
TITLE = "SECRET-TITLE Bank statement of J. Doe 4417"

# A top-level window with a child, mapped; prints "<top> <child>" and waits for stdin
# to close. argv: process name, title, _NET_WM_PID ("own", "none" or a number), and
# optionally the host to name in WM_CLIENT_MACHINE.
HELPER = r"""
import ctypes, os, sys
from Xlib import X, Xatom, display
name, title, pid_mode = sys.argv[1:4]
ctypes.CDLL(None).prctl(15, name.encode(), 0, 0, 0)  # PR_SET_NAME: /proc/<pid>/comm
d = display.Display()
s = d.screen()
w = s.root.create_window(20, 20, 200, 150, 0, s.root_depth, X.InputOutput, X.CopyFromParent,
                         background_pixel=s.white_pixel, event_mask=X.StructureNotifyMask)
w.set_wm_name(title)
w.change_property(d.intern_atom("_NET_WM_NAME"), d.intern_atom("UTF8_STRING"), 8, title.encode())
w.set_wm_class(name, name)
if pid_mode != "none":
    pid = os.getpid() if pid_mode == "own" else int(pid_mode)
    w.change_property(d.intern_atom("_NET_WM_PID"), Xatom.CARDINAL, 32, [pid])
if len(sys.argv) > 4:
    w.set_wm_client_machine(sys.argv[4])
child = w.create_window(10, 10, 60, 40, 0, s.root_depth, X.InputOutput, X.CopyFromParent,
                        background_pixel=s.black_pixel)
child.map()
w.map()
d.flush()
while d.next_event().type != X.MapNotify:
    pass
print(w.id, child.id, flush=True)
sys.stdin.read()
"""


@dataclass
class Win:
    proc: subprocess.Popen
    top: int
    child: int

    @property
    def pid(self) -> int:
        return self.proc.pid


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.kill()
    proc.wait(5)
    for stream in (proc.stdin, proc.stdout):
        if stream:
            stream.close()


@pytest.fixture(scope="module", params=["openbox", "bare"])
def display(request) -> Iterator[VirtualDisplay]:
    if not shutil.which("xdotool"):
        pytest.fail("xdotool is not installed (apt-get install xdotool)", pytrace=False)
    wm = "openbox" if request.param == "openbox" else None
    with VirtualDisplay(640, 480, wm=wm) as vd:
        yield vd


@pytest.fixture
def spawn(display) -> Iterator[Callable[..., Win]]:
    """Start helper windows on ``display``; all are killed at the end of the test."""
    procs: list[subprocess.Popen] = []

    def start(
        name: str,
        pid_mode: str = "own",
        env: dict[str, str] | None = None,
        on: VirtualDisplay | None = None,
        machine: str | None = None,
    ) -> Win:
        target = on or display
        proc = subprocess.Popen(
            [sys.executable, "-c", HELPER, name, TITLE, pid_mode, *([machine] if machine else [])],
            env={**target.env(), **(env or {})},
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        procs.append(proc)
        line = proc.stdout.readline().split()
        assert len(line) == 2, f"helper window {name} did not start"
        return Win(proc, int(line[0]), int(line[1]))

    yield start
    for proc in procs:
        _stop(proc)


class Reports:
    """Collects the tracker's callbacks with the time they arrived."""

    def __init__(self) -> None:
        self.items: list[tuple[ForegroundApp | None, int, int]] = []
        self.cond = threading.Condition()

    def __call__(self, app: ForegroundApp | None, t_ns: int) -> None:
        with self.cond:
            self.items.append((app, t_ns, now_ns()))
            self.cond.notify_all()

    def wait(self, pred: Callable[[ForegroundApp | None], bool], since: int = 0, timeout=3.0):
        """The first report at index >= ``since`` matching ``pred``: (app, t_ns, received_ns)."""
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                for item in self.items[since:]:
                    if pred(item[0]):
                        return item
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"no matching focus report; got {self.items[since:]}")
                self.cond.wait(left)

    def __len__(self) -> int:
        with self.cond:
            return len(self.items)


def pid_is(pid: int | None) -> Callable[[ForegroundApp | None], bool]:
    return lambda app: app is not None and app.pid == pid


def is_none(app: ForegroundApp | None) -> bool:
    return app is None


def xdotool(vd: VirtualDisplay, *args: str) -> None:
    subprocess.run(["xdotool", *args], env=vd.env(), check=True, timeout=10, capture_output=True)


def focus(vd: VirtualDisplay, window: int) -> None:
    # with a window manager ask it (EWMH); without one set the X input focus directly
    xdotool(vd, "windowactivate" if vd.wm else "windowfocus", "--sync", str(window))


def set_input_focus(vd: VirtualDisplay, window) -> None:
    with x11.connection(vd.name) as conn:
        target = conn.screen().root if window == "root" else window
        conn.set_input_focus(target, X.RevertToParent, X.CurrentTime)
        conn.sync()


@pytest.fixture
def tracker(display) -> Iterator[X11FocusTracker]:
    t = X11FocusTracker(display.name)
    yield t
    t.stop()


def exe_name(pid: int) -> str:
    return os.path.basename(os.readlink(f"/proc/{pid}/exe"))


def no_secret(app: ForegroundApp | None) -> None:
    assert TITLE not in repr(app)
    if app is not None:
        assert all(TITLE not in str(value) for value in vars(app).values())
        assert not any("SECRET" in name for name in app.names)


# -- the X11 tracker --------------------------------------------------------------------


def test_reports_each_focused_app_quickly_and_never_a_title(display, spawn, tracker, caplog):
    caplog.set_level(logging.DEBUG, logger="hindsight")
    a, b = spawn("hs-game-a"), spawn("hs-game-b")
    reports = Reports()
    tracker.start(reports)
    assert len(reports) == 1, "start() reports the current state once, at once"
    last_t = reports.items[0][1]
    for win, name in ((a, "hs-game-a"), (b, "hs-game-b"), (a, "hs-game-a")):
        since = len(reports)
        before = now_ns()
        focus(display, win.top)
        after = now_ns()
        app, t_ns, received = reports.wait(pid_is(win.pid), since)
        assert received - after <= LATENCY_NS, f"reported {(received - after) / MS:.0f} ms late"
        assert before - LATENCY_NS <= t_ns <= received
        assert t_ns > last_t, "timestamps increase"
        last_t = t_ns
        assert name in app.names  # from /proc/<pid>/comm (prctl)
        assert app.names[0] == exe_name(win.pid)  # /proc/<pid>/exe first
        assert os.path.basename(sys.executable) in app.names  # argv[0]
        assert len(set(app.names)) == len(app.names)
        assert app.window_id == win.top
        assert app.steam_appid is None
        assert tracker.current() == app
    for app, _, _ in reports.items:
        no_secret(app)
    assert caplog.records, "the tracker logs at debug level"
    assert TITLE not in caplog.text
    assert all(TITLE not in str(r.args) for r in caplog.records)


def test_the_state_at_start_is_the_first_report(display, spawn, tracker):
    a = spawn("hs-game-a")
    focus(display, a.top)
    reports = Reports()
    tracker.start(reports)
    app, _, _ = reports.items[0]
    assert app is not None and app.pid == a.pid and "hs-game-a" in app.names
    with pytest.raises(RuntimeError, match="already running"):
        tracker.start(reports)


def test_nothing_focused_is_none(display, spawn, tracker):
    a = spawn("hs-game-a")
    focus(display, a.top)
    reports = Reports()
    tracker.start(reports)
    reports.wait(pid_is(a.pid))
    since = len(reports)
    if display.wm:
        xdotool(display, "windowminimize", "--sync", str(a.top))  # openbox: no active window
        reports.wait(is_none, since)
        assert tracker.current() is None
    else:
        for target in ("root", X.NONE):
            since = len(reports)
            set_input_focus(display, target)
            reports.wait(is_none, since)
            assert tracker.current() is None
            since = len(reports)
            focus(display, a.top)
            reports.wait(pid_is(a.pid), since)


def test_pointer_root_focus_follows_the_pointer(display, spawn, tracker):
    if display.wm:
        pytest.skip("with a window manager the active window decides")
    a = spawn("hs-game-a")
    xdotool(display, "mousemove", "--sync", "600", "450")  # over the bare root
    set_input_focus(display, X.PointerRoot)
    reports = Reports()
    tracker.start(reports)
    assert reports.items[0][0] is None
    xdotool(display, "mousemove", "--sync", "100", "100")  # over window a
    app, _, _ = reports.wait(pid_is(a.pid), 1)
    assert app.window_id == a.top
    xdotool(display, "mousemove", "--sync", "600", "450")
    reports.wait(is_none, len(reports))


def test_a_child_window_resolves_to_its_top_level_window(display, spawn, tracker):
    if display.wm:
        pytest.skip("openbox only activates top-level windows")
    a = spawn("hs-game-a")
    reports = Reports()
    tracker.start(reports)
    xdotool(display, "windowfocus", "--sync", str(a.child))
    app, _, _ = reports.wait(pid_is(a.pid))
    assert app.window_id == a.top


def test_a_frame_resolves_to_the_client_window_under_it(display, spawn):
    if not display.wm:
        pytest.skip("needs a reparenting window manager")
    a = spawn("hs-game-a", pid_mode="none")
    with x11.connection(display.name) as conn:
        resolver = _Resolver(conn, procinfo.ProcessCache(), use_xres=True)
        frame = resolver._ancestors(a.top)[-1]
        assert frame != a.top, "openbox reparents into a frame"
        app = resolver._resolve_window(frame)
    assert app is not None and app.pid == a.pid and app.window_id == a.top


def test_a_killed_window_is_not_reported_as_focused(display, spawn, tracker):
    a, b = spawn("hs-game-a"), spawn("hs-game-b")
    focus(display, b.top)
    focus(display, a.top)
    reports = Reports()
    tracker.start(reports)
    reports.wait(pid_is(a.pid))
    since = len(reports)
    a.proc.kill()
    a.proc.wait(5)
    app, _, _ = reports.wait(lambda app: app is None or app.pid != a.pid, since)
    assert app is None or app.pid == b.pid
    time.sleep(0.3)
    assert tracker.current() is None or tracker.current().pid == b.pid


def test_without_net_wm_pid_xres_names_the_process(display, spawn, tracker):
    a = spawn("hs-game-a", pid_mode="none")
    focus(display, a.top)
    reports = Reports()
    tracker.start(reports)
    app, _, _ = reports.wait(pid_is(a.pid))
    assert "hs-game-a" in app.names


def test_without_net_wm_pid_or_xres_it_fails_closed(display, spawn):
    a, b = spawn("hs-game-a", pid_mode="none"), spawn("hs-game-b")
    focus(display, b.top)
    tracker = X11FocusTracker(display.name, use_xres=False)
    reports = Reports()
    try:
        tracker.start(reports)
        reports.wait(pid_is(b.pid))  # _NET_WM_PID alone works
        since = len(reports)
        focus(display, a.top)
        reports.wait(is_none, since)
        time.sleep(0.2)
        assert tracker.current() is None
    finally:
        tracker.stop()


def test_net_wm_pid_of_another_host_is_not_trusted(display, spawn):
    a = spawn("hs-game-a", machine="elsewhere.invalid")
    b = spawn("hs-game-b", machine=socket.gethostname())
    tracker = X11FocusTracker(display.name, use_xres=False)
    reports = Reports()
    try:
        focus(display, b.top)
        tracker.start(reports)
        reports.wait(pid_is(b.pid))  # the local host's _NET_WM_PID is trusted
        since = len(reports)
        focus(display, a.top)
        reports.wait(is_none, since)
    finally:
        tracker.stop()


def test_xres_wins_over_a_false_net_wm_pid(display, spawn, tracker):
    # a window claiming to belong to the test process: the server knows better
    a = spawn("hs-game-a", pid_mode=str(os.getpid()))
    focus(display, a.top)
    reports = Reports()
    tracker.start(reports)
    app, _, _ = reports.wait(lambda app: app is not None)
    assert app.pid == a.pid


def test_steam_appid_comes_from_the_process_environment(display, spawn, tracker):
    a = spawn("hs-game-a", env={"SteamAppId": "730", "SteamGameId": "730"})
    focus(display, a.top)
    reports = Reports()
    tracker.start(reports)
    app, _, _ = reports.wait(pid_is(a.pid))
    assert app.steam_appid == 730


def test_stop_ends_the_thread_and_the_reports(display, spawn):
    a, b = spawn("hs-game-a"), spawn("hs-game-b")
    focus(display, a.top)
    fds = len(os.listdir("/proc/self/fd"))
    tracker = X11FocusTracker(display.name)
    reports = Reports()
    tracker.start(reports)
    assert any(t.name == "hindsight-focus-x11" for t in threading.enumerate())
    tracker.stop()
    tracker.stop()  # harmless
    assert not any(t.name == "hindsight-focus-x11" for t in threading.enumerate())
    assert len(os.listdir("/proc/self/fd")) == fds, "the connection and wake-up pipe are closed"
    count = len(reports)
    focus(display, b.top)
    time.sleep(0.3)
    assert len(reports) == count
    assert tracker.current() is None
    # and it can start again
    reports2 = Reports()
    tracker.start(reports2)
    try:
        reports2.wait(pid_is(b.pid))
    finally:
        tracker.stop()


def test_stop_from_the_callback_does_not_hang(display, spawn):
    a, b = spawn("hs-game-a"), spawn("hs-game-b")
    focus(display, a.top)
    tracker = X11FocusTracker(display.name)
    seen: list[ForegroundApp | None] = []
    stopped = threading.Event()

    def on_changed(app: ForegroundApp | None, _t_ns: int) -> None:
        seen.append(app)
        if app is not None and app.pid == b.pid:
            tracker.stop()
            stopped.set()

    try:
        tracker.start(on_changed)
        focus(display, b.top)
        assert stopped.wait(3), "the change was not reported"
        deadline = time.monotonic() + 3
        while any(t.name == "hindsight-focus-x11" for t in threading.enumerate()):
            assert time.monotonic() < deadline, "the thread did not end"
            time.sleep(0.02)
        # openbox may pass through "no active window" (None) on the way
        assert seen[0].pid == a.pid and seen[-1].pid == b.pid
        assert all(app is None for app in seen[1:-1])
        count = len(seen)
        focus(display, a.top)
        time.sleep(0.3)
        assert len(seen) == count, "nothing is reported after stop"
    finally:
        tracker.stop()


# -- one-off displays ---------------------------------------------------------------------


def test_follows_a_window_manager_that_starts_later(spawn):
    with VirtualDisplay(640, 480) as vd:
        a, b = spawn("hs-game-a", on=vd), spawn("hs-game-b", on=vd)
        focus(vd, a.top)
        tracker = X11FocusTracker(vd.name)
        reports = Reports()
        wm = None
        try:
            tracker.start(reports)
            reports.wait(pid_is(a.pid))
            wm = subprocess.Popen(
                ["openbox", "--sm-disable"], env=vd.env(), stderr=subprocess.DEVNULL
            )
            vd.wm = "openbox"  # so focus() asks the window manager
            deadline = time.monotonic() + 10
            while not _wm_running(vd):
                assert time.monotonic() < deadline, "openbox did not start"
                time.sleep(0.05)
            since = len(reports)
            focus(vd, b.top)
            reports.wait(pid_is(b.pid), since)
        finally:
            tracker.stop()
            if wm is not None:
                _stop(wm)


def _wm_running(vd: VirtualDisplay) -> bool:
    with x11.connection(vd.name) as conn:
        atom = conn.intern_atom("_NET_SUPPORTING_WM_CHECK")
        return conn.screen().root.get_full_property(atom, 0) is not None


def test_losing_the_x_server_reports_none(spawn):
    vd = VirtualDisplay(640, 480).start()
    tracker = X11FocusTracker(vd.name)
    try:
        a = spawn("hs-game-a", on=vd)
        focus(vd, a.top)
        reports = Reports()
        tracker.start(reports)
        reports.wait(pid_is(a.pid))
        since = len(reports)
        vd.stop()
        reports.wait(is_none, since)
        assert tracker.current() is None
    finally:
        tracker.stop()
        vd.stop()
    assert not any(t.name == "hindsight-focus-x11" for t in threading.enumerate())


def test_an_unreachable_display_is_a_one_line_focus_error():
    tracker = X11FocusTracker(":4093")
    with pytest.raises(FocusError, match="cannot track the focused window") as info:
        tracker.start(Reports())
    assert "\n" not in str(info.value)
    tracker.stop()


# -- /proc ------------------------------------------------------------------------------


def _sleeper(env: dict[str, str] | None = None, argv0: str | None = None) -> subprocess.Popen:
    cmd = ["bash", "-c", f"exec -a '{argv0}' sleep 30" if argv0 else "exec sleep 30"]
    return subprocess.Popen(cmd, env={**os.environ, **(env or {})})


def _wait_exec(proc: subprocess.Popen) -> None:
    # exec swaps /proc/PID/exe before the new argv is in place: wait for both,
    # or a read in between sees the new exe with an empty command line
    deadline = time.monotonic() + 5
    while exe_name(proc.pid) != "sleep" or not _cmdline(proc.pid):
        assert time.monotonic() < deadline
        time.sleep(0.01)


def _cmdline(pid: int) -> bytes:
    with open(f"/proc/{pid}/cmdline", "rb") as f:
        return f.read()


@pytest.mark.parametrize(
    ("env", "appid"),
    [
        ({"SteamAppId": "570"}, 570),
        ({"SteamGameId": "440"}, 440),
        ({"SteamAppId": "0", "SteamGameId": "620"}, 620),
        # a non-Steam shortcut: a 64-bit game id is not an app id
        ({"SteamAppId": "0", "SteamGameId": str((3_000_000_000 << 32) | 0x02000000)}, None),
        ({"SteamAppId": "not-a-number"}, None),
        ({}, None),
    ],
)
def test_read_process_steam_ids(env, appid):
    clean = {k: v for k, v in os.environ.items() if not k.startswith("Steam")}
    proc = subprocess.Popen(["bash", "-c", "exec sleep 30"], env={**clean, **env})
    try:
        _wait_exec(proc)
        info = procinfo.read_process(proc.pid)
        assert info is not None
        assert info.steam_appid == appid
    finally:
        _stop(proc)


def test_read_process_names_a_wine_style_argv0():
    proc = _sleeper(argv0="C:\\Games\\Counter-Strike\\cs2.exe")
    try:
        _wait_exec(proc)
        info = procinfo.read_process(proc.pid)
        assert info is not None
        assert info.names == ("sleep", "cs2.exe")  # exe and comm agree; argv[0]'s basename
    finally:
        _stop(proc)


def test_read_process_of_a_gone_process_is_none():
    proc = _sleeper()
    pid = proc.pid
    _stop(proc)
    assert procinfo.read_process(pid) is None
    assert procinfo.ProcessCache().get(pid) is None
    assert procinfo.read_process(0) is None


def test_process_cache_rereads_when_the_start_time_changes(monkeypatch):
    reads: list[int] = []
    real = procinfo.read_process

    def counting(pid: int):
        reads.append(pid)
        return real(pid)

    monkeypatch.setattr(procinfo, "read_process", counting)
    cache = procinfo.ProcessCache()
    pid = os.getpid()
    first = cache.get(pid)
    assert first is not None and cache.get(pid) == first
    assert reads == [pid], "a second lookup of the same process is cached"
    started = procinfo.start_time(pid)
    monkeypatch.setattr(procinfo, "start_time", lambda p: started + 1)  # "pid reused"
    monkeypatch.setattr(
        procinfo,
        "read_process",
        lambda p: reads.append(p) or procinfo.ProcessInfo(p, ("new",), None, started + 1),
    )
    assert cache.get(pid).names == ("new",)
    assert reads == [pid, pid]


# -- the rest -----------------------------------------------------------------------------


def test_foreground_app_repr_shows_names_and_no_title():
    app = ForegroundApp(42, ("cs2", "cs2.exe"), 730, 0x400000)
    assert repr(app) == (
        "ForegroundApp(pid=42, names=('cs2', 'cs2.exe'), steam_appid=730, window_id=0x400000)"
    )
    assert {f for f in vars(app)} == {"pid", "names", "steam_appid", "window_id"}


def test_static_trackers():
    reports = Reports()
    none = NoFocusTracker()
    none.start(reports)
    assert [item[0] for item in reports.items] == [None]
    assert none.current() is None
    none.stop()

    app = ForegroundApp(7, ("hs-game-a",), None, 1)
    fixed = FixedFocusTracker(app)
    reports = Reports()
    fixed.start(reports)
    fixed.set(app)  # unchanged: not reported again
    fixed.set(None, t_ns=123)
    assert [(item[0], item[1] if item[0] is None else 0) for item in reports.items] == [
        (app, 0),
        (None, 123),
    ]
    fixed.stop()
    fixed.set(app)
    assert len(reports) == 2, "nothing is reported after stop"
    assert fixed.current() == app


def test_windows_tracker_imports_here_and_refuses_to_start():
    tracker = WindowsFocusTracker()
    with pytest.raises(FocusError, match="needs Windows"):
        tracker.start(Reports())
    assert tracker.current() is None
    tracker.stop()


def test_chooser(monkeypatch, display):
    monkeypatch.setenv("HINDSIGHT_FOCUS", "none")
    assert isinstance(create_focus_tracker(None), NoFocusTracker)
    monkeypatch.setenv("HINDSIGHT_FOCUS", "windows")
    assert isinstance(create_focus_tracker(None), WindowsFocusTracker)
    monkeypatch.setenv("HINDSIGHT_FOCUS", "X11")
    chosen = create_focus_tracker(":4093")  # forced: not checked until started
    assert isinstance(chosen, X11FocusTracker)
    monkeypatch.setenv("HINDSIGHT_FOCUS", "wayland")
    with pytest.raises(FocusError, match="HINDSIGHT_FOCUS='wayland' is not one of"):
        create_focus_tracker(None)

    monkeypatch.delenv("HINDSIGHT_FOCUS")
    chosen = create_focus_tracker(display.name)
    assert isinstance(chosen, X11FocusTracker) and chosen.display == display.name
    monkeypatch.delenv("DISPLAY", raising=False)
    with pytest.raises(FocusError, match="no X display reachable") as info:
        create_focus_tracker(None)
    assert "HINDSIGHT_FOCUS=none" in str(info.value) and "\n" not in str(info.value)
    with pytest.raises(FocusError, match=r"\(:4093\)"):
        create_focus_tracker(":4093")


def test_package_exports():
    for name in focus_pkg.__all__:
        assert getattr(focus_pkg, name) is not None
