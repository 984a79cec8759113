"""Process names and Steam app id of a Linux process, from /proc, cached by pid.

Names are what action maps match: the basename of /proc/<pid>/exe, /proc/<pid>/comm
and the basename of argv[0] (Wine/Proton games put a Windows path there, so both
separators count). ``SteamAppId``/``SteamGameId`` come from /proc/<pid>/environ,
which Steam sets for the games it starts. Anything unreadable is skipped; a
process that is gone gives None. The cache is keyed by pid and checked against
the process's start time, so a reused pid is read afresh.
"""

from __future__ import annotations

import ntpath
import os
import threading
from dataclasses import dataclass

from hindsight.recorder.input.focus.base import unique_names

__all__ = ["ProcessCache", "ProcessInfo", "read_process", "start_time"]

_STEAM_VARS = (b"SteamAppId", b"SteamGameId")


@dataclass(frozen=True)
class ProcessInfo:
    pid: int
    names: tuple[str, ...]
    steam_appid: int | None
    start_time: int


def _proc(pid: int, name: str) -> str:
    return f"/proc/{pid}/{name}"


def _basename(path: str) -> str:
    # a Windows path (Wine's argv[0]) or a Unix one
    return ntpath.basename(path.rstrip("/\\")) if path else ""


def start_time(pid: int) -> int | None:
    """Field 22 of /proc/<pid>/stat (clock ticks since boot), None if the process is gone."""
    try:
        with open(_proc(pid, "stat"), "rb") as f:
            stat = f.read()
    except OSError:
        return None
    # comm (field 2) may contain spaces and parentheses: split after the last ')'
    fields = stat[stat.rfind(b")") + 2 :].split()
    try:
        return int(fields[19])
    except (IndexError, ValueError):
        return None


def _read_bytes(path: str) -> bytes | None:
    try:
        with open(path, "rb") as f:
            return f.read()
    except OSError:
        return None


def _exe_name(pid: int) -> str:
    try:
        target = os.readlink(_proc(pid, "exe"))
    except OSError:  # another user's process, a kernel thread, gone
        return ""
    target = target.removesuffix(" (deleted)")
    return os.path.basename(target)


def _argv0_name(pid: int) -> str:
    cmdline = _read_bytes(_proc(pid, "cmdline"))
    if not cmdline:
        return ""
    argv0 = cmdline.split(b"\0", 1)[0].decode("utf-8", "surrogateescape")
    return _basename(argv0)


def _comm_name(pid: int) -> str:
    comm = _read_bytes(_proc(pid, "comm"))
    return comm.decode("utf-8", "surrogateescape").rstrip("\n") if comm else ""


def _appid(value: bytes) -> int | None:
    try:
        number = int(value)
    except ValueError:
        return None
    # SteamGameId of a non-Steam shortcut is a 64-bit id, not an app id; 0 means none
    return number if 0 < number < 2**32 else None


def _steam_appid(pid: int) -> int | None:
    environ = _read_bytes(_proc(pid, "environ"))
    if not environ:
        return None
    found: dict[bytes, bytes] = {}
    for entry in environ.split(b"\0"):
        key, sep, value = entry.partition(b"=")
        if sep and key in _STEAM_VARS:
            found[key] = value
    for key in _STEAM_VARS:
        appid = _appid(found.get(key, b""))
        if appid is not None:
            return appid
    return None


def read_process(pid: int) -> ProcessInfo | None:
    """Names and Steam app id of ``pid``; None if it is gone or nothing names it."""
    if pid <= 0:
        return None
    started = start_time(pid)
    if started is None:
        return None
    names = unique_names((_exe_name(pid), _comm_name(pid), _argv0_name(pid)))
    appid = _steam_appid(pid)
    # the pid may have exited (and been reused) while we read: trust only a stable start
    if start_time(pid) != started or not names:
        return None
    return ProcessInfo(pid, names, appid, started)


class ProcessCache:
    """:func:`read_process` with a per-pid cache, invalidated when the start time changes."""

    def __init__(self, max_entries: int = 256) -> None:
        self._entries: dict[int, ProcessInfo] = {}
        self._max = max_entries
        self._lock = threading.Lock()

    def get(self, pid: int) -> ProcessInfo | None:
        started = start_time(pid) if pid > 0 else None
        if started is None:
            with self._lock:
                self._entries.pop(pid, None)
            return None
        with self._lock:
            cached = self._entries.get(pid)
        if cached is not None and cached.start_time == started:
            return cached
        info = read_process(pid)
        with self._lock:
            if info is None:
                self._entries.pop(pid, None)
            else:
                if len(self._entries) >= self._max:
                    self._entries.clear()
                self._entries[pid] = info
        return info

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
