"""Keeping resident memory close to what the replay buffer really holds.

The recorder's threads each allocate (packets on the encode thread, whole clips on
the save thread, events on the input threads). glibc gives every thread its own
malloc arena and keeps freed memory in them, so RSS drifts well above the live
data. Two arenas are plenty here, and trimming after a save returns the clip's
transient buffers. Where the C library is not glibc these calls are absent and
nothing happens.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging

__all__ = ["limit_arenas", "trim"]

log = logging.getLogger(__name__)

_M_ARENA_MAX = -8


def _libc() -> ctypes.CDLL | None:
    name = ctypes.util.find_library("c")
    if not name:
        return None
    try:
        return ctypes.CDLL(name)
    except OSError:
        return None


_LIBC = _libc()


def limit_arenas(arenas: int = 2) -> bool:
    """Cap malloc arenas (before the recorder's threads start); True if the C library took it."""
    mallopt = getattr(_LIBC, "mallopt", None)
    if mallopt is None:
        return False
    return bool(mallopt(_M_ARENA_MAX, arenas))


def trim() -> bool:
    """Give freed heap memory back to the system; True if anything was released."""
    malloc_trim = getattr(_LIBC, "malloc_trim", None)
    if malloc_trim is None:
        return False
    return bool(malloc_trim(0))
