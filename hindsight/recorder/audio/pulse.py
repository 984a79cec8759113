"""Recording sound from PulseAudio (and PipeWire's pulse server) through libpulse.

One job: turn a PulseAudio record stream into :class:`AudioBlock`\\ s stamped on the
one clock with the time their first sample was heard. System sound is the monitor
of a sink (``<sink>.monitor``), the microphone a plain source. libpulse runs its own
thread (a threaded main loop); its read callback stamps and copies each fragment
into a bounded queue that :meth:`PulseSource.read` takes from.

Stamping. The stream's timing info says, at a moment ``timestamp``, how far the
server had written (``write_index``) and how much sound sat before that point in
the device (``source_usec``) or, for a monitor, how far the sink had rendered ahead
of what is heard (``sink_usec``). From that, the sample at the chunk's
``read_index`` was heard at ``timestamp + read_index - (write_index + source_usec +
transport_usec - sink_usec)``: arrival minus the chunk's duration minus the source's
latency, measured by the server rather than guessed. A monitor renders ahead, so
that is often *later* than the chunk's arrival minus its duration (up to the sink's
whole latency, ~0.4 s for an idle null sink). Until timing info comes, arrival minus
the latency libpulse reports for the read index stands in.
"""

from __future__ import annotations

import ctypes
import queue
import threading
import time
from typing import Any

import numpy as np

from hindsight.clock import NS_PER_S, now_ns
from hindsight.recorder.audio import pulse_ffi as ffi
from hindsight.recorder.audio.source import (
    CHANNELS,
    SAMPLE_RATE,
    AudioBackend,
    AudioBlock,
    AudioDevice,
    AudioDeviceLost,
    AudioError,
    AudioKind,
    AudioSource,
)

__all__ = ["PulseBackend", "PulseSource"]

_lib = ffi.load()  # OSError without libpulse: the chooser says what to install

_FRAME_BYTES = 4 * CHANNELS
_FRAGMENT_FRAMES = SAMPLE_RATE // 100  # 10 ms: blocks small enough for a tight timeline
_QUEUE_BLOCKS = 400  # ~4 s of 10 ms blocks before the reader is too slow and we drop
_TIMING_EVERY_NS = 100_000_000  # ask for fresh timing this often: the sink's latency moves
_LOST = object()


def _wall_minus_clock_ns() -> int:
    # libpulse stamps timing info with gettimeofday; our clock is monotonic.
    return time.time_ns() - now_ns()


def _devices(conn: ffi.Connection) -> list[AudioDevice]:
    sink, source = conn.defaults()
    out = []
    for name, desc, monitors in conn.sources():
        if monitors is not None:
            out.append(AudioDevice(name, desc, AudioKind.SYSTEM, monitors == sink))
        else:
            out.append(AudioDevice(name, desc, AudioKind.MIC, name == source))
    return out


def _pick(devices: list[AudioDevice], kind: AudioKind, name: str | None) -> AudioDevice:
    """The device to record for ``kind``: ``name`` or the default; one line if there is none."""
    mine = [d for d in devices if d.kind is kind]
    if name is None:
        for d in mine:
            if d.is_default:
                return d
        what = "output (sink) to monitor" if kind is AudioKind.SYSTEM else "input source"
        raise AudioError(f"the PulseAudio/PipeWire server has no default {what}")
    for d in mine:
        if d.name == name:
            return d
    names = ", ".join(d.name for d in mine) or "none"
    raise AudioError(f"no PulseAudio {kind} device {name!r}; there are: {names}")


class PulseSource(AudioSource):
    """One PulseAudio record stream; see the module docstring for how blocks are stamped."""

    name = "pulse"

    def __init__(self, kind: AudioKind, device: str | None = None) -> None:
        super().__init__(kind, device)
        self._conn: ffi.Connection | None = None
        self._stream: Any = None
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._lost: str | None = None
        self._recording: str | None = None  # the source name actually recorded
        self._next_timing_ns = 0
        self._cbs: tuple[Any, ...] = ()
        #: the latest latency (us) libpulse interpolated for the read index; may be negative
        self.reported_latency_us = 0

    # ---- lifecycle ---------------------------------------------------------------------

    def open(self) -> None:
        self.close()
        self._queue = queue.SimpleQueue()
        self._lost = None
        conn = ffi.connected()
        try:
            device = _pick(_devices(conn), self.kind, self.device)
            self._recording = device.name
            self._conn = conn
            conn.lost = self._on_lost
            self._start_stream(conn, device.name)
        except BaseException:
            self.close()
            conn.close()
            raise

    def _start_stream(self, conn: ffi.Connection, source: str) -> None:
        spec = ffi.SampleSpec(ffi.SAMPLE_FLOAT32LE, SAMPLE_RATE, CHANNELS)
        attr = ffi.BufferAttr(
            maxlength=0xFFFFFFFF,
            tlength=0xFFFFFFFF,
            prebuf=0xFFFFFFFF,
            minreq=0xFFFFFFFF,
            fragsize=_FRAGMENT_FRAMES * _FRAME_BYTES,
        )
        changed = threading.Event()

        def on_state(_s: Any, _u: Any) -> None:
            changed.set()
            self._on_stream_state()

        state_cb = ffi.STREAM_STATE_CB(on_state)
        read_cb = ffi.STREAM_REQUEST_CB(lambda _s, _n, _u: self._on_readable())
        self._cbs = (state_cb, read_cb)  # libpulse keeps only the C pointers
        flags = (
            ffi.STREAM_ADJUST_LATENCY
            | ffi.STREAM_INTERPOLATE_TIMING
            | ffi.STREAM_AUTO_TIMING_UPDATE
            | ffi.STREAM_DONT_MOVE
        )
        _lib.pa_threaded_mainloop_lock(conn.mainloop)
        try:
            stream = _lib.pa_stream_new(conn.context, f"Hindsight {self.kind}".encode(), spec, None)
            if not stream:
                raise AudioError("the PulseAudio/PipeWire server refused a record stream")
            self._stream = stream
            _lib.pa_stream_set_state_callback(stream, state_cb, None)
            _lib.pa_stream_set_read_callback(stream, read_cb, None)
            if _lib.pa_stream_connect_record(stream, source.encode(), attr, flags) < 0:
                raise AudioError(f"PulseAudio would not record {source!r}")
        finally:
            _lib.pa_threaded_mainloop_unlock(conn.mainloop)
        deadline = time.monotonic() + ffi.CONNECT_TIMEOUT_S
        while True:
            state = conn.call(_lib.pa_stream_get_state, self._stream)
            if state == ffi.STREAM_READY:
                return
            if state in (ffi.STREAM_FAILED, ffi.STREAM_TERMINATED):
                err = conn.call(_lib.pa_context_errno, conn.context)
                why = (_lib.pa_strerror(err) or b"?").decode()
                raise AudioError(f"PulseAudio would not record {source!r}: {why}")
            if time.monotonic() > deadline:
                raise AudioError(f"PulseAudio did not start recording {source!r}")
            changed.wait(0.05)
            changed.clear()

    def close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is None:
            return
        conn.lost = None
        if self._stream:
            _lib.pa_threaded_mainloop_lock(conn.mainloop)
            self._lost = self._lost or "closed"
            _lib.pa_stream_disconnect(self._stream)
            _lib.pa_stream_unref(self._stream)
            self._stream = None
            _lib.pa_threaded_mainloop_unlock(conn.mainloop)
        conn.close()

    def describe(self) -> str:
        which = self._recording or self.device or "default"
        return f"pulse {self.kind} ({'default: ' if self.device is None else ''}{which})"

    # ---- reading -----------------------------------------------------------------------

    def read(self, timeout_s: float) -> AudioBlock | None:
        try:
            item = self._queue.get(timeout=timeout_s)
        except queue.Empty:
            return None
        if item is _LOST:
            self._queue.put(_LOST)  # every later read says so too
            raise AudioDeviceLost(f"{self.describe()}: {self._lost}")
        block: AudioBlock = item
        return block

    # ---- libpulse's thread (the main loop lock is held) ----------------------------------

    def _on_lost(self, why: str) -> None:
        if self._lost is None:
            self._lost = why
            self._queue.put(_LOST)

    def _on_stream_state(self) -> None:
        if self._stream and _lib.pa_stream_get_state(self._stream) in (
            ffi.STREAM_FAILED,
            ffi.STREAM_TERMINATED,
        ):
            self._on_lost(f"{self._recording} went away")

    def _on_readable(self) -> None:
        stream = self._stream
        data = ctypes.c_void_p()
        size = ctypes.c_size_t()
        while stream and _lib.pa_stream_peek(stream, ctypes.byref(data), ctypes.byref(size)) == 0:
            nbytes = size.value
            if nbytes == 0:
                break
            if data.value is None:  # a hole: nothing was recorded there; the stamps show it
                _lib.pa_stream_drop(stream)
                continue
            arrival_ns = now_ns()
            frames = nbytes // _FRAME_BYTES
            t_ns = self._stamp(stream, arrival_ns, frames)
            pcm = np.frombuffer(ctypes.string_at(data.value, frames * _FRAME_BYTES), np.float32)
            _lib.pa_stream_drop(stream)
            if self._lost is not None:
                break
            if self._queue.qsize() >= _QUEUE_BLOCKS:
                self.dropped_blocks += 1
                continue
            self._queue.put(AudioBlock(t_ns, pcm.reshape(frames, CHANNELS)))
        # Automatic updates come ever more rarely; a sink's latency jumps when a stream
        # starts or stops, so keep asking.
        if stream and self._lost is None and now_ns() >= self._next_timing_ns:
            self._next_timing_ns = now_ns() + _TIMING_EVERY_NS
            op = _lib.pa_stream_update_timing_info(stream, None, None)
            if op:
                _lib.pa_operation_unref(op)

    def _stamp(self, stream: Any, arrival_ns: int, frames: int) -> int:
        """Clock time the chunk's first sample (at the stream's read index) was heard."""
        latency = ctypes.c_uint64()
        negative = ctypes.c_int()
        if _lib.pa_stream_get_latency(stream, ctypes.byref(latency), ctypes.byref(negative)) == 0:
            self.reported_latency_us = -latency.value if negative.value else latency.value
        info = _lib.pa_stream_get_timing_info(stream)
        if info:
            ti = info.contents
            if not ti.read_index_corrupt and not ti.write_index_corrupt:
                at_ns = ti.timestamp.tv_sec * NS_PER_S + ti.timestamp.tv_usec * 1000
                at_ns -= _wall_minus_clock_ns()  # read each time: NTP may slew the wall clock
                heard_us = ti.transport_usec + ti.source_usec - ti.sink_usec  # signed in Python
                ahead_bytes = ti.read_index - ti.write_index
                ahead_ns = ahead_bytes * NS_PER_S // (SAMPLE_RATE * _FRAME_BYTES)
                return at_ns + ahead_ns - heard_us * 1000
        # libpulse's latency is already the age of the sample at the read index (the
        # chunk's first): the chunk's duration is inside it.
        del frames
        return arrival_ns - self.reported_latency_us * 1000


class PulseBackend(AudioBackend):
    """Lists the server's sources and records them; every call connects afresh."""

    name = "pulse"

    def devices(self) -> list[AudioDevice]:
        conn = ffi.connected()
        try:
            return _devices(conn)
        finally:
            conn.close()

    def source(self, kind: AudioKind, device: str | None = None) -> AudioSource:
        return PulseSource(kind, device)
