"""A libpulse playback stream that knows when each of its samples is heard.

The reference for the record side's stamps: the *playback* side's own timing
(``pa_stream_get_time`` of the stream playing the sound: the sink input's read index
minus the sink's latency, interpolated), sampled on the clock while it plays. It
shares no arithmetic with the record stream's stamping, only the server.
"""

from __future__ import annotations

import ctypes
import sys
import threading
from ctypes import POINTER, c_int, c_int64, c_size_t, c_uint64, c_void_p
from statistics import median
from typing import Any

import numpy as np

from hindsight.clock import NS_PER_S, now_ns
from hindsight.recorder.audio import pulse_ffi as ffi

__all__ = ["TimedPlayer"]

RATE = 48_000
_FRAME = 8
_lib = ffi.load()
_lib.pa_stream_connect_playback.restype = c_int
_lib.pa_stream_connect_playback.argtypes = [
    c_void_p,
    ctypes.c_char_p,
    POINTER(ffi.BufferAttr),
    c_int,
    c_void_p,
    c_void_p,
]
_lib.pa_stream_set_write_callback.restype = None
_lib.pa_stream_set_write_callback.argtypes = [c_void_p, ffi.STREAM_REQUEST_CB, c_void_p]
_lib.pa_stream_write.restype = c_int
_lib.pa_stream_write.argtypes = [c_void_p, c_void_p, c_size_t, c_void_p, c_int64, c_int]
_lib.pa_stream_get_time.restype = c_int
_lib.pa_stream_get_time.argtypes = [c_void_p, POINTER(c_uint64)]


class TimedPlayer:
    """Play ``pcm`` (float32 stereo) into ``sink``; :meth:`heard_at` maps samples to the clock."""

    def __init__(self, pcm: np.ndarray, sink: str) -> None:
        self._data = np.ascontiguousarray(pcm, dtype="<f4").tobytes()
        self._pos = 0
        self._samples: list[tuple[int, int]] = []  # (stream time heard, clock) in ns
        self.done = threading.Event()
        self._conn = ffi.connected()
        spec = ffi.SampleSpec(ffi.SAMPLE_FLOAT32LE, RATE, 2)
        attr = ffi.BufferAttr(0xFFFFFFFF, RATE // 50 * _FRAME, 0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF)
        self._write_cb = ffi.STREAM_REQUEST_CB(lambda _s, n, _u: self._feed(n))
        flags = ffi.STREAM_INTERPOLATE_TIMING | ffi.STREAM_AUTO_TIMING_UPDATE
        flags |= ffi.STREAM_ADJUST_LATENCY
        conn = self._conn
        _lib.pa_threaded_mainloop_lock(conn.mainloop)
        try:
            self._stream: Any = _lib.pa_stream_new(conn.context, b"reference", spec, None)
            _lib.pa_stream_set_write_callback(self._stream, self._write_cb, None)
            err = _lib.pa_stream_connect_playback(
                self._stream, sink.encode(), attr, flags, None, None
            )
            assert err == 0, "playback stream refused"
        finally:
            _lib.pa_threaded_mainloop_unlock(conn.mainloop)

    def _feed(self, nbytes: int) -> None:
        # libpulse's thread, lock held: write what is asked, then note the time heard now.
        chunk = self._data[self._pos : self._pos + nbytes]
        if not chunk:
            chunk = bytes(nbytes)  # keep playing silence so the sink keeps its pace
            self.done.set()
        self._pos += len(chunk)
        _lib.pa_stream_write(self._stream, chunk, len(chunk), None, 0, 0)
        heard = c_uint64()
        if _lib.pa_stream_get_time(self._stream, ctypes.byref(heard)) == 0 and heard.value:
            self._samples.append((heard.value * 1000, now_ns()))

    def heard_at(self, sample: int, window_ns: int = 150_000_000) -> int:
        """Clock time sample ``sample`` of ``pcm`` was heard.

        From the timing taken while the stream played the ``window_ns`` after it (the
        sink's latency moves, so only timing near the sample counts); the median of the
        offsets between the clock and the stream time heard.
        """
        at_ns = sample * NS_PER_S // RATE
        near = [t - heard for heard, t in self._samples if at_ns <= heard <= at_ns + window_ns]
        assert len(near) >= 3, "the player has too little timing near that sample"
        return int(median(near)) + at_ns

    def spread_ns(self, sample: int, window_ns: int = 150_000_000) -> int:
        """How far the offsets used by :meth:`heard_at` disagree (max - min); unbounded when
        there is too little timing to tell (a loaded machine can skip the updates)."""
        at_ns = sample * NS_PER_S // RATE
        near = [t - heard for heard, t in self._samples if at_ns <= heard <= at_ns + window_ns]
        return max(near) - min(near) if len(near) >= 3 else sys.maxsize

    def close(self) -> None:
        conn = self._conn
        _lib.pa_threaded_mainloop_lock(conn.mainloop)
        _lib.pa_stream_disconnect(self._stream)
        _lib.pa_stream_unref(self._stream)
        _lib.pa_threaded_mainloop_unlock(conn.mainloop)
        conn.close()
