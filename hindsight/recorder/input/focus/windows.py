"""Foreground application on Windows: GetForegroundWindow and the image name of its process.

Polls every ``poll_ms`` on a thread (a foreground change is rare and cheap to
notice; no message loop needed). ``ctypes.windll`` is imported only in
:meth:`WindowsFocusTracker.start`, so the module imports anywhere. The Steam app
id is not read on Windows (another process's environment is not readily
readable there), so maps match by image name. Any failure reports None.
"""

from __future__ import annotations

import ctypes
import logging
import ntpath
import threading

from hindsight.clock import now_ns
from hindsight.recorder.input.focus.base import (
    ChangeReporter,
    FocusChanged,
    FocusError,
    FocusTracker,
    ForegroundApp,
)

__all__ = ["WindowsFocusTracker"]

log = logging.getLogger(__name__)

_PROCESS_QUERY_LIMITED_INFORMATION = 0x1000


class _Win32:
    """The few user32/kernel32 calls used, with their prototypes."""

    def __init__(self) -> None:
        from ctypes import wintypes

        windll = ctypes.windll  # type: ignore[attr-defined]  # AttributeError off Windows
        self._wintypes = wintypes
        self.user32, self.kernel32 = windll.user32, windll.kernel32
        self.user32.GetForegroundWindow.restype = wintypes.HWND
        self.user32.GetForegroundWindow.argtypes = []
        self.user32.GetWindowThreadProcessId.restype = wintypes.DWORD
        self.user32.GetWindowThreadProcessId.argtypes = [wintypes.HWND, wintypes.LPDWORD]
        self.kernel32.OpenProcess.restype = wintypes.HANDLE
        self.kernel32.OpenProcess.argtypes = [wintypes.DWORD, wintypes.BOOL, wintypes.DWORD]
        self.kernel32.QueryFullProcessImageNameW.restype = wintypes.BOOL
        self.kernel32.QueryFullProcessImageNameW.argtypes = [
            wintypes.HANDLE, wintypes.DWORD, wintypes.LPWSTR, ctypes.POINTER(wintypes.DWORD),
        ]  # fmt: skip
        self.kernel32.CloseHandle.argtypes = [wintypes.HANDLE]

    def foreground(self) -> tuple[int, int]:
        """(window handle, process id); (0, 0) when nothing is in the foreground."""
        hwnd = self.user32.GetForegroundWindow()
        if not hwnd:
            return 0, 0
        pid = self._wintypes.DWORD(0)
        self.user32.GetWindowThreadProcessId(hwnd, ctypes.byref(pid))
        return int(hwnd), int(pid.value)

    def image_name(self, pid: int) -> str:
        handle = self.kernel32.OpenProcess(_PROCESS_QUERY_LIMITED_INFORMATION, False, pid)
        if not handle:
            return ""
        try:
            size = self._wintypes.DWORD(32768)
            buf = ctypes.create_unicode_buffer(size.value)
            if not self.kernel32.QueryFullProcessImageNameW(handle, 0, buf, ctypes.byref(size)):
                return ""
            return ntpath.basename(buf.value)
        finally:
            self.kernel32.CloseHandle(handle)


class WindowsFocusTracker(FocusTracker):
    """The foreground app on Windows, polled every ``poll_ms``."""

    def __init__(self, poll_ms: int = 50) -> None:
        if poll_ms <= 0:
            raise ValueError("poll_ms must be positive")
        self.poll_s = poll_ms / 1000
        self._reporter = ChangeReporter()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._api: _Win32 | None = None
        self._last: tuple[int, int] | None = None

    def start(self, on_changed: FocusChanged) -> None:
        if self._thread is not None:
            raise RuntimeError("the focus tracker is already running")
        try:
            self._api = _Win32()
        except (AttributeError, OSError) as exc:
            raise FocusError(
                f"the Windows focus tracker needs Windows ({exc}); set HINDSIGHT_FOCUS=x11 or none"
            ) from None
        self._stopping.clear()
        self._last = None
        self._reporter.begin(on_changed)
        self._poll()
        self._thread = threading.Thread(target=self._run, name="hindsight-focus-win", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        thread, self._thread = self._thread, None
        if thread is None:
            return
        self._stopping.set()
        thread.join(5.0)
        self._reporter.end()

    def current(self) -> ForegroundApp | None:
        return self._reporter.current

    def _run(self) -> None:
        while not self._stopping.wait(self.poll_s):
            self._poll()

    def _poll(self) -> None:
        t_ns = now_ns()
        api = self._api
        if api is None:  # not started
            return
        try:
            key = api.foreground()
            if key == self._last:
                return
            hwnd, pid = key
            name = api.image_name(pid) if pid else ""
        except Exception as exc:  # noqa: BLE001 - fail closed: unknown means unfocused
            log.debug("focus: cannot resolve the foreground window (%s)", type(exc).__name__)
            self._last = None
            self._reporter.report(None, t_ns)
            return
        self._last = key
        # an unnamed process (elevated, exited) cannot match a map: unknown
        app = ForegroundApp(pid, (name,), None, hwnd) if name else None
        self._reporter.report(app, t_ns)

    def __repr__(self) -> str:
        return f"<WindowsFocusTracker poll={self.poll_s * 1000:g}ms>"
