"""Foreground application on X11: the focused top-level window and the process that owns it.

With an EWMH window manager (``_NET_SUPPORTING_WM_CHECK`` on the root names a live
window) the focused window is the root's ``_NET_ACTIVE_WINDOW``, watched through
PropertyNotify events. Without one (bare Xvfb, kiosk sessions) it is the X input
focus (``XGetInputFocus``), polled every ``poll_ms``: a child window is walked up
to its top-level window, and with ``PointerRoot`` focus the keyboard goes to the
top-level window under the pointer. Both modes re-check everything on a slow
timer as a safety net, and a window manager starting or stopping switches mode.

The owning process is the X-Resource extension's answer (``XResQueryClientIds``
with the local-client-pid mask): the server asks the kernel who is on the other
end of the window's connection, which a client cannot fake and which is right
across pid namespaces (Flatpak). Where XRes is missing or does not answer, the
client's own ``_NET_WM_PID`` is used, unless ``WM_CLIENT_MACHINE`` names another
host. Under a reparenting window manager the client window is the one with
``WM_STATE`` or in ``_NET_CLIENT_LIST``, found below the frame.

Everything runs on one thread with its own X connection. Any error resolving a
window or process reports None (unknown), which the recorder treats as unfocused.
Window titles are never requested, so they cannot end up anywhere.
"""

from __future__ import annotations

import logging
import select
import socket
import threading
import time
from contextlib import ExitStack

from Xlib import X, error
from Xlib import display as xdisplay

from hindsight.clock import now_ns
from hindsight.recorder import x11
from hindsight.recorder.input.focus.base import (
    ChangeReporter,
    FocusChanged,
    FocusError,
    FocusTracker,
    ForegroundApp,
)
from hindsight.recorder.input.focus.procinfo import ProcessCache

__all__ = ["X11FocusTracker"]

log = logging.getLogger(__name__)

_RECHECK_S = 1.0  # the safety-net re-check, in both modes
_RECONNECT_S = 1.0  # after the X connection is lost
_MAX_TREE_DEPTH = 64  # walking up: X trees are shallow; a loop bound, not a limit
_MAX_SEARCH = 256  # windows looked at below a frame for the client window

try:  # X-Resource support in python-xlib (0.33 has it)
    from Xlib.ext import res as _xres
except ImportError:  # pragma: no cover - older python-xlib
    _xres = None


def _wid(value) -> int:
    """A window id from python-xlib's Window objects or the plain codes (None, PointerRoot)."""
    if value is None:
        return X.NONE
    return value if isinstance(value, int) else int(value.id)


def _same_host(machine: str | None) -> bool:
    if not machine:
        return True  # not stated: assume local (the usual case)
    local = socket.gethostname()
    return (
        machine.casefold() == local.casefold()
        or machine.split(".")[0].casefold() == local.split(".")[0].casefold()
    )


class _Resolver:
    """From the X server's focus state to a ForegroundApp, on one connection."""

    def __init__(self, conn: xdisplay.Display, processes: ProcessCache, use_xres: bool) -> None:
        self.conn = conn
        self.root = conn.screen().root
        self.processes = processes
        self.xres = (
            use_xres
            and _xres is not None
            and conn.has_extension(_xres.extname)
            and hasattr(conn, "res_query_client_ids")
        )
        atom = conn.intern_atom
        self.wm_check = atom("_NET_SUPPORTING_WM_CHECK")
        self.active = atom("_NET_ACTIVE_WINDOW")
        self.client_list = atom("_NET_CLIENT_LIST")
        self.net_wm_pid = atom("_NET_WM_PID")
        self.wm_state = atom("WM_STATE")
        # (mode, focused window) -> what it resolved to, to keep polling cheap
        self._last_key: tuple[bool, int] | None = None
        self._last_app: ForegroundApp | None = None

    def _window(self, wid: int):
        return self.conn.create_resource_object("window", wid)

    def _cardinal(self, window, atom: int) -> int | None:
        prop = window.get_full_property(atom, X.AnyPropertyType)
        if prop is None or not len(prop.value):
            return None
        return int(prop.value[0])

    def wm_present(self) -> bool:
        """An EWMH window manager is running: its check window exists and points to itself."""
        try:
            check = self._cardinal(self.root, self.wm_check)
            if not check:
                return False
            return self._cardinal(self._window(check), self.wm_check) == check
        except error.XError:  # a stale property naming a destroyed window
            return False

    # -- which window -------------------------------------------------------------

    def focused_window(self, wm: bool) -> int:
        """The window the keyboard goes to (X.NONE when nothing or the root)."""
        if wm:
            return self._cardinal(self.root, self.active) or X.NONE
        focus = _wid(self.conn.get_input_focus().focus)
        if focus == X.PointerRoot:
            # keyboard input follows the pointer: the top-level window under it
            focus = _wid(self.root.query_pointer().child)
        return X.NONE if focus == self.root.id else focus

    def _ancestors(self, wid: int) -> list[int]:
        """``wid`` and its parents up to the top-level window (the root's child)."""
        chain = [wid]
        for _ in range(_MAX_TREE_DEPTH):
            parent = _wid(self._window(chain[-1]).query_tree().parent)
            if parent in (X.NONE, self.root.id):
                return chain
            chain.append(parent)
        raise ValueError("window tree too deep")

    def _is_client(self, wid: int, clients: set[int]) -> bool:
        if wid in clients:
            return True
        return self._window(wid).get_full_property(self.wm_state, X.AnyPropertyType) is not None

    def _client_window(self, chain: list[int]) -> int:
        """The application's window: managed (WM_STATE / client list) if any, else the top-level."""
        clients_prop = self.root.get_full_property(self.client_list, X.AnyPropertyType)
        clients = {int(w) for w in clients_prop.value} if clients_prop is not None else set()
        for wid in reversed(chain):  # outermost first: the one the window manager manages
            if self._is_client(wid, clients):
                return wid
        # a frame (or another wrapper) was focused: the client is somewhere below it
        queue, looked = [chain[-1]], 0
        while queue and looked < _MAX_SEARCH:
            try:
                children = self._window(queue.pop(0)).query_tree().children
            except error.XError:
                continue
            for child in children:
                looked += 1
                if self._is_client(child.id, clients):
                    return child.id
                queue.append(child.id)
        return chain[-1]

    # -- which process ------------------------------------------------------------

    def _xres_pid(self, wid: int) -> int | None:
        reply = self.conn.res_query_client_ids([{"client": wid, "mask": _xres.LocalClientPIDMask}])
        for found in reply.ids:
            if found.spec.mask == _xres.LocalClientPIDMask and len(found.value):
                pid = int(found.value[0])
                if pid > 0:
                    return pid
        return None

    def _pid(self, client: int, chain: list[int]) -> int | None:
        if self.xres:
            try:
                pid = self._xres_pid(client)
            except error.XError:
                pid = None
            if pid is not None:
                return pid
        for wid in [client, *(w for w in chain if w != client)]:
            window = self._window(wid)
            pid = self._cardinal(window, self.net_wm_pid)
            if pid is not None and pid > 0:
                # _NET_WM_PID means a process on WM_CLIENT_MACHINE, not necessarily here
                return pid if _same_host(window.get_wm_client_machine()) else None
        return None

    # -- all of it ----------------------------------------------------------------

    def resolve(self, wm: bool, *, cached: bool) -> ForegroundApp | None:
        """The foreground app now; None when nothing has focus or anything fails.

        With ``cached`` an unchanged focused window reuses the last answer.
        Connection errors propagate (the caller reconnects).
        """
        try:
            focus = self.focused_window(wm)
            key = (wm, focus)
            if cached and key == self._last_key:
                return self._last_app
            app = self._resolve_window(focus) if focus != X.NONE else None
        except error.ConnectionClosedError:
            raise
        except Exception as exc:  # noqa: BLE001 - fail closed: unknown means unfocused
            log.debug("focus: cannot resolve the focused window (%s)", type(exc).__name__)
            self._last_key, self._last_app = None, None
            return None
        self._last_key, self._last_app = key, app
        return app

    def _resolve_window(self, focus: int) -> ForegroundApp | None:
        chain = self._ancestors(focus)
        client = self._client_window(chain)
        pid = self._pid(client, chain)
        if pid is None:
            return None
        info = self.processes.get(pid)
        if info is None:
            return None
        return ForegroundApp(pid, info.names, info.steam_appid, client)


class X11FocusTracker(FocusTracker):
    """The foreground app on an X display (``None``: $DISPLAY).

    ``poll_ms`` is the polling interval without a window manager; ``use_xres=False``
    leaves out the X-Resource extension (then only ``_NET_WM_PID`` names a process).
    """

    def __init__(
        self,
        display: str | None,
        poll_ms: int = 50,
        *,
        use_xres: bool = True,
        recheck_s: float = _RECHECK_S,
    ) -> None:
        if poll_ms <= 0:
            raise ValueError("poll_ms must be positive")
        self.display = display
        self.poll_s = poll_ms / 1000
        self.recheck_s = recheck_s
        self.use_xres = use_xres
        self._reporter = ChangeReporter()
        self._processes = ProcessCache()
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()
        self._wake: socket.socket | None = None  # stop() wakes the thread through this

    # -- FocusTracker ---------------------------------------------------------------

    def start(self, on_changed: FocusChanged) -> None:
        if self._thread is not None:
            raise RuntimeError("the focus tracker is already running")
        stack, conn = self._connect()  # FocusError if the display cannot be reached
        t_ns = now_ns()
        try:
            resolver = self._prepare(conn)
            # events are selected before this first look, so no change falls in between
            first = resolver.resolve(resolver.wm_present(), cached=False)
        except (error.XError, error.ConnectionClosedError, OSError) as exc:
            stack.close()
            raise FocusError(
                f"cannot watch the focus on X display {self._name()} ({exc})"
            ) from None
        # per run, so a thread stopped from its own callback cannot be revived by a new start
        self._stopping = threading.Event()
        wake_r, self._wake = socket.socketpair()
        self._reporter.begin(on_changed)
        self._reporter.report(first, t_ns)
        self._thread = threading.Thread(
            target=self._run,
            args=(stack, resolver, wake_r, self._stopping),
            name="hindsight-focus-x11",
            daemon=True,
        )
        self._thread.start()

    def stop(self) -> None:
        thread, self._thread = self._thread, None
        if thread is None:
            return
        self._stopping.set()
        if self._wake is not None:
            try:
                self._wake.send(b"x")
            except OSError:
                pass
            self._wake.close()
            self._wake = None
        if thread is not threading.current_thread():  # stop() from the callback: no join
            thread.join(5.0)
            if thread.is_alive():  # pragma: no cover - a hung X server
                log.warning("focus: the X11 focus thread did not stop")
        self._reporter.end()

    def current(self) -> ForegroundApp | None:
        return self._reporter.current

    def __repr__(self) -> str:
        return f"<X11FocusTracker {self._name()} poll={self.poll_s * 1000:g}ms>"

    # -- internals ------------------------------------------------------------------

    def _name(self) -> str:
        return x11.display_name(self.display) or "(none)"

    def _connect(self) -> tuple[ExitStack, xdisplay.Display]:
        """A connection of the tracker's own, closed when the returned stack closes."""
        stack = ExitStack()
        try:
            conn = stack.enter_context(x11.connection(self.display))
        except x11.X11Unavailable as exc:
            raise FocusError(f"cannot track the focused window: {exc}") from None
        return stack, conn

    def _prepare(self, conn: xdisplay.Display) -> _Resolver:
        # errors of requests without replies would otherwise be printed on stderr
        conn.set_error_handler(lambda err, *_: log.debug("focus: X error %s", type(err).__name__))
        resolver = _Resolver(conn, self._processes, self.use_xres)
        resolver.root.change_attributes(event_mask=X.PropertyChangeMask)
        conn.sync()
        return resolver

    def _run(
        self,
        stack: ExitStack,
        resolver: _Resolver,
        wake: socket.socket,
        stopping: threading.Event,
    ) -> None:
        with wake:
            self._run_until_stopped(stack, resolver, wake, stopping)

    def _run_until_stopped(
        self,
        stack: ExitStack,
        resolver: _Resolver,
        wake: socket.socket,
        stopping: threading.Event,
    ) -> None:
        while True:
            try:
                with stack:
                    self._watch(resolver, wake, stopping)
            except (error.ConnectionClosedError, error.XError, OSError) as exc:
                if not stopping.is_set():
                    log.warning(
                        "focus: lost X display %s (%s); reporting no focus", self._name(), exc
                    )
                    self._reporter.report(None, now_ns())
            while True:  # reconnect until it works or the tracker is stopped
                if stopping.wait(_RECONNECT_S):
                    return
                try:
                    stack, conn = self._connect()
                except FocusError:
                    continue
                try:
                    resolver = self._prepare(conn)
                    break
                except (error.XError, error.ConnectionClosedError, OSError):
                    stack.close()

    def _watch(self, resolver: _Resolver, wake: socket.socket, stopping: threading.Event) -> None:
        conn = resolver.conn
        watched = {resolver.active, resolver.wm_check}
        wm = resolver.wm_present()
        # a full look first (after start() this only repeats its report, which is not sent twice)
        self._reporter.report(resolver.resolve(wm, cached=False), now_ns())
        now = time.monotonic()
        next_full, next_poll = now + self.recheck_s, now + self.poll_s
        while not stopping.is_set():
            changed = mode_changed = False
            while conn.pending_events():
                event = conn.next_event()
                if event.type == X.PropertyNotify and event.atom in watched:
                    changed = True
                    mode_changed |= event.atom == resolver.wm_check
            now = time.monotonic()
            full = now >= next_full
            if changed or full or (not wm and now >= next_poll):
                t_ns = now_ns()
                if full or mode_changed:
                    wm = resolver.wm_present()
                self._reporter.report(resolver.resolve(wm, cached=not full), t_ns)
                if full:
                    next_full = now + self.recheck_s
                next_poll = now + self.poll_s
                continue  # the requests may have queued events: drain before waiting
            deadline = next_full if wm else min(next_full, next_poll)
            ready, _, _ = select.select([conn, wake], [], [], max(0.0, deadline - now))
            if wake in ready:
                return
