"""Virtual X displays and the reference moving picture, for `hindsight demo`, tests and benchmarks.

:class:`VirtualDisplay` runs Xvfb (optionally with a window manager) on a display
number Xvfb picks itself; :class:`MovingScene` plays FFmpeg's ``testsrc2`` in
ffplay on a display, the reference scene of DESIGN section 9. Both are context
managers and never outlive their owner: they are stopped on exit, on garbage
collection and at interpreter exit. python-xlib is imported where it is used, so
that without X11 ``hindsight demo`` says so in one line.
"""

from __future__ import annotations

import os
import select
import shutil
import subprocess
import tempfile
import time
import weakref
from typing import IO, TYPE_CHECKING, Self

from hindsight.recorder import x11
from hindsight.recorder.errors import CaptureError
from hindsight.recorder.video.source import CaptureGeometry

if TYPE_CHECKING:
    from hindsight.recorder.video.x11_windows import WindowInfo

__all__ = ["MovingScene", "VirtualDisplay", "child_env", "ensure_display"]


def child_env(display: str, **extra: str) -> dict[str, str]:
    """A copy of this process's environment for a child on ``display``.

    The one place a display is handed to a child through DISPLAY; this process's own
    environment is never changed.
    """
    return {**os.environ, "DISPLAY": display, **extra}


def _require(program: str, package: str) -> str:
    path = shutil.which(program)
    if path is None:
        raise CaptureError(f"{program} is not installed (apt-get install {package})")
    return path


def _stop_processes(procs: list[subprocess.Popen], timeout_s: float = 5.0) -> None:
    # last started first: the window manager/ffplay go before the X server they use
    for proc in reversed(procs):
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout_s)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
    procs.clear()


def _release(procs: list[subprocess.Popen], log: IO[bytes]) -> None:
    """What an owner leaves when it is collected: its children stopped, its log closed (an
    open file left to the collector is a ResourceWarning in every test that used one)."""
    _stop_processes(procs)
    log.close()


def _log_tail(log, limit: int = 400) -> str:
    log.seek(0)
    text = log.read().decode("utf-8", "replace").strip()
    return text[-limit:] if text else "no output"


def _can_connect(name: str) -> bool:
    return x11.reachable(name)


class VirtualDisplay:
    """An Xvfb server on a free display number, optionally with a window manager."""

    def __init__(
        self,
        width: int = 1920,
        height: int = 1080,
        *,
        depth: int = 24,
        wm: str | None = None,
        start_timeout_s: float = 10.0,
    ) -> None:
        self.width, self.height, self.depth = width, height, depth
        self.wm = wm
        self.start_timeout_s = start_timeout_s
        self.number: int | None = None
        self._procs: list[subprocess.Popen] = []
        # the children's stderr, kept for error messages; lives as long as this object
        self._log = tempfile.TemporaryFile()  # noqa: SIM115
        self._finalizer = weakref.finalize(self, _release, self._procs, self._log)

    @property
    def name(self) -> str:
        """The X display name, e.g. ``":3"``."""
        if self.number is None:
            raise CaptureError("the virtual display is not running")
        return f":{self.number}"

    @property
    def running(self) -> bool:
        return bool(self._procs) and self._procs[0].poll() is None

    def env(self) -> dict[str, str]:
        """A copy of the environment with DISPLAY pointing here, for child processes."""
        return child_env(self.name)

    def start(self) -> VirtualDisplay:
        if self.running:
            return self
        xvfb = _require("Xvfb", "xvfb")
        read_fd, write_fd = os.pipe()
        # -displayfd: Xvfb picks a free number itself (honouring other servers' lock
        # files and sockets) and writes it only once it accepts connections.
        cmd = [
            xvfb, "-displayfd", str(write_fd),
            "-screen", "0", f"{self.width}x{self.height}x{self.depth}",
            "-nolisten", "tcp", "-noreset",
        ]  # fmt: skip
        try:
            proc = subprocess.Popen(
                cmd,
                pass_fds=(write_fd,),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=self._log,
            )
        finally:
            os.close(write_fd)
        self._procs.append(proc)
        try:
            self.number = self._read_number(read_fd, proc)
        finally:
            os.close(read_fd)
        deadline = time.monotonic() + self.start_timeout_s
        while not _can_connect(self.name):
            if time.monotonic() > deadline:
                name = self.name
                self.stop()
                raise CaptureError(f"Xvfb on {name} does not accept connections")
            time.sleep(0.05)
        if self.wm:
            self._start_wm()
        return self

    def _read_number(self, read_fd: int, proc: subprocess.Popen) -> int:
        deadline = time.monotonic() + self.start_timeout_s
        data = b""
        while not data.endswith(b"\n"):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                self.stop()
                raise CaptureError(f"Xvfb did not start within {self.start_timeout_s:g} s")
            ready, _, _ = select.select([read_fd], [], [], min(remaining, 0.1))
            chunk = os.read(read_fd, 16) if ready else b""
            # end of file before a number: Xvfb exited (bad option, no free display...)
            if (ready and not chunk) or (not data and proc.poll() is not None):
                self.stop()
                raise CaptureError(f"Xvfb failed to start: {_log_tail(self._log)}")
            data += chunk
        return int(data.strip())

    def _start_wm(self) -> None:
        program = _require(self.wm, self.wm)
        args = [program, "--sm-disable"] if self.wm == "openbox" else [program]
        self._procs.append(
            subprocess.Popen(
                args,
                env=self.env(),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=self._log,
            )
        )
        # An EWMH window manager announces itself on the root window; wait for that so
        # the first window mapped afterwards is already managed.
        deadline = time.monotonic() + self.start_timeout_s
        while time.monotonic() < deadline:
            with x11.connection(self.name) as conn:
                atom = conn.intern_atom("_NET_SUPPORTING_WM_CHECK")
                if conn.screen().root.get_full_property(atom, 0) is not None:
                    return
            if self._procs[-1].poll() is not None:
                break
            time.sleep(0.05)
        self.stop()
        raise CaptureError(f"window manager {self.wm} did not start: {_log_tail(self._log)}")

    def stop(self) -> None:
        """Stop the window manager and the server; safe to call more than once."""
        _stop_processes(self._procs)
        self.number = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    def __repr__(self) -> str:
        where = f":{self.number}" if self.number is not None else "stopped"
        return f"<VirtualDisplay {where} {self.width}x{self.height}x{self.depth} wm={self.wm}>"


class MovingScene:
    """FFmpeg's ``testsrc2`` playing in ffplay on ``display``: a picture that always moves.

    Full screen by default (the benchmark reference). With ``fullscreen=False`` it is
    a borderless window of ``size`` at ``position`` titled ``title``, which window
    capture can find. ``pattern`` is any lavfi source taking size and rate, e.g.
    ``color=c=red`` for a still, known picture.
    """

    def __init__(
        self,
        display: str,
        size: tuple[int, int] | None = None,
        *,
        rate: int = 60,
        fullscreen: bool = True,
        title: str = "Hindsight moving scene",
        position: tuple[int, int] = (0, 0),
        pattern: str = "testsrc2",
        start_timeout_s: float = 15.0,
    ) -> None:
        self.display = display
        self.pattern = pattern
        self.rate = rate
        self.fullscreen = fullscreen
        self.title = title
        self.position = position
        self.start_timeout_s = start_timeout_s
        if size is None:
            from hindsight.recorder.video import x11_windows

            screen = x11_windows.screen_geometry(display)
            size = (screen.width, screen.height) if fullscreen else (640, 360)
        self.size = size
        #: where the window ended up once started
        self.geometry: CaptureGeometry | None = None
        self._procs: list[subprocess.Popen] = []
        # the children's stderr, kept for error messages; lives as long as this object
        self._log = tempfile.TemporaryFile()  # noqa: SIM115
        self._finalizer = weakref.finalize(self, _release, self._procs, self._log)

    def start(self) -> MovingScene:
        if self._procs and self._procs[0].poll() is None:
            return self
        ffplay = _require("ffplay", "ffmpeg")
        w, h = self.size
        sep = ":" if "=" in self.pattern else "="
        cmd = [
            ffplay, "-loglevel", "error", "-f", "lavfi",
            "-i", f"{self.pattern}{sep}size={w}x{h}:rate={self.rate}",
            "-an", "-noborder", "-window_title", self.title,
        ]  # fmt: skip
        if self.fullscreen:
            cmd.append("-fs")
        else:
            cmd += ["-left", str(self.position[0]), "-top", str(self.position[1])]
        env = child_env(self.display, SDL_AUDIODRIVER="dummy")
        self._procs.append(
            subprocess.Popen(
                cmd,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=self._log,
            )
        )
        self._wait_mapped()
        return self

    @property
    def pid(self) -> int | None:
        """ffplay's process id while it runs (its window carries it as _NET_WM_PID)."""
        return self._procs[0].pid if self._procs else None

    def _wait_mapped(self) -> None:
        # Full screen means mapped at the screen's size, not merely created: SDL maps
        # the window first and goes full screen a moment later. A window keeps
        # ffplay's size (which rounds odd sizes down), recorded in ``geometry``.
        from Xlib.error import XError

        from hindsight.recorder.video import x11_windows

        deadline = time.monotonic() + self.start_timeout_s
        while time.monotonic() < deadline:
            if self._procs[0].poll() is not None:
                self.stop()
                raise CaptureError(f"ffplay exited on {self.display}: {_log_tail(self._log)}")
            try:
                screen = x11_windows.screen_geometry(self.display)
                for win in x11_windows.list_windows(self.display):
                    # another scene may share the title; SDL names its process in _NET_WM_PID
                    if win.title != self.title or win.pid not in (None, self._procs[0].pid):
                        continue
                    if (not self.fullscreen or win.geometry == screen) and self._painted(
                        win, screen
                    ):
                        self.geometry = win.geometry
                        return
            except (CaptureError, XError):  # the window may vanish or change while we look
                pass
            time.sleep(0.05)
        self.stop()
        raise CaptureError(
            f"ffplay's window {self.title!r} did not appear on {self.display} "
            f"within {self.start_timeout_s:g} s: {_log_tail(self._log)}"
        )

    def _painted(self, win: WindowInfo, screen: CaptureGeometry) -> bool:
        # On a fresh (black) display a mapped window stays black until ffplay shows
        # its first frame; a capture test starting in that gap would see a still,
        # black screen. (Over other windows SDL's window first shows what was
        # underneath, which this cannot tell apart.) Only the on-screen part of a
        # window can be read back, so sample the middle of that.
        visible = win.geometry.clip(screen)
        if visible is None:
            return True  # nothing to see, nothing to wait for
        size = min(32, visible.width, visible.height)
        x = visible.x - win.geometry.x + (visible.width - size) // 2
        y = visible.y - win.geometry.y + (visible.height - size) // 2
        from Xlib import X

        with x11.connection(self.display) as conn:
            window = conn.create_resource_object("window", win.window_id)
            image = window.get_image(x, y, size, size, X.ZPixmap, 0xFFFFFFFF)
            return any(image.data)

    def stop(self) -> None:
        _stop_processes(self._procs)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()


def ensure_display(
    requested: str | None = None,
    *,
    size: tuple[int, int] = (1920, 1080),
    wm: str | None = None,
) -> tuple[str, VirtualDisplay | None]:
    """A working X display: ``requested`` or $DISPLAY if it answers, else a new Xvfb.

    Returns the display name and the VirtualDisplay the caller must stop (None
    when an existing display is used). An explicitly requested display that does
    not answer is an error rather than silently replaced.
    """
    try:
        import Xlib  # noqa: F401  every X11 helper of the demo needs it
    except ImportError:
        raise CaptureError(f"the demo needs an X display: {x11.XLIB_HINT}") from None
    if requested:
        if not _can_connect(requested):
            raise CaptureError(
                f"cannot connect to X display {requested!r}; is the X server running?"
            )
        return requested, None
    current = x11.display_name(None)
    if current and _can_connect(current):
        return current, None
    virtual = VirtualDisplay(*size, wm=wm).start()
    return virtual.name, virtual
