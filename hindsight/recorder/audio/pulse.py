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
import os
import queue
import threading
import time
from collections.abc import Callable
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
_CONNECT_TIMEOUT_S = 2.0
_TIMING_EVERY_NS = 100_000_000  # ask for fresh timing this often: the sink's latency moves
_LOST = object()


def _no_server_line() -> str:
    where = os.environ.get("PULSE_SERVER")
    at = f"PULSE_SERVER={where}" if where else "the user's session socket"
    return (
        f"no PulseAudio/PipeWire server ({at}): start it (pulseaudio --start, or "
        "pipewire-pulse) or run with --audio none"
    )


def _wall_minus_clock_ns() -> int:
    # libpulse stamps timing info with gettimeofday; our clock is monotonic.
    return time.time_ns() - now_ns()


class _Connection:
    """A threaded main loop and a READY context; every libpulse call holds its lock."""

    def __init__(self) -> None:
        self.mainloop = _lib.pa_threaded_mainloop_new()
        if not self.mainloop:
            raise AudioError("libpulse could not make a main loop")
        self.context = _lib.pa_context_new(
            _lib.pa_threaded_mainloop_get_api(self.mainloop), b"Hindsight"
        )
        self._changed = threading.Event()
        # Kept referenced: libpulse holds only the C pointer.
        self._state_cb = ffi.CONTEXT_STATE_CB(lambda _c, _u: self._changed.set())
        self._callbacks: list[Any] = []
        self.lost: Callable[[str], None] | None = None
        _lib.pa_context_set_state_callback(self.context, self._state_cb, None)
        self._started = False

    def connect(self) -> None:
        if _lib.pa_context_connect(self.context, None, ffi.CONTEXT_NOAUTOSPAWN, None) < 0:
            raise AudioError(_no_server_line())
        if _lib.pa_threaded_mainloop_start(self.mainloop) < 0:
            raise AudioError("libpulse could not start its thread")
        self._started = True
        deadline = time.monotonic() + _CONNECT_TIMEOUT_S
        while True:
            state = self.call(_lib.pa_context_get_state, self.context)
            if state == ffi.CONTEXT_READY:
                break
            if state in (ffi.CONTEXT_FAILED, ffi.CONTEXT_TERMINATED):
                raise AudioError(_no_server_line())
            left = deadline - time.monotonic()
            if left <= 0:
                raise AudioError(_no_server_line() + " (it did not answer)")
            self._changed.wait(min(left, 0.05))
            self._changed.clear()
        # From now on a context that fails means the server has gone.
        self._state_cb = ffi.CONTEXT_STATE_CB(self._on_state)
        self.call(_lib.pa_context_set_state_callback, self.context, self._state_cb, None)

    def _on_state(self, _ctx: Any, _u: Any) -> None:
        state = _lib.pa_context_get_state(self.context)
        if state in (ffi.CONTEXT_FAILED, ffi.CONTEXT_TERMINATED) and self.lost is not None:
            self.lost("the PulseAudio/PipeWire server went away")

    def call(self, func: Callable[..., Any], *args: Any) -> Any:
        _lib.pa_threaded_mainloop_lock(self.mainloop)
        try:
            return func(*args)
        finally:
            _lib.pa_threaded_mainloop_unlock(self.mainloop)

    def _collect(self, start: Callable[[Any], Any], make_cb: Callable[..., Any]) -> list[Any]:
        """Run one introspection operation; its callback appends to the list it returns."""
        done = threading.Event()
        out: list[Any] = []
        cb = make_cb(out, done)
        self._callbacks.append(cb)
        op = self.call(start, cb)
        if not op:
            raise AudioError("the PulseAudio/PipeWire server refused to list its devices")
        try:
            if not done.wait(_CONNECT_TIMEOUT_S):
                raise AudioError("the PulseAudio/PipeWire server did not list its devices")
        finally:
            self.call(_lib.pa_operation_unref, op)
            self._callbacks.remove(cb)
        return out

    def defaults(self) -> tuple[str, str]:
        """(default sink, default source) names."""

        def make(out: list[Any], done: threading.Event) -> Any:
            def on_info(_c: Any, info: Any, _u: Any) -> None:
                if info:
                    i = info.contents
                    out.append((i.default_sink_name or b"", i.default_source_name or b""))
                done.set()

            return ffi.SERVER_INFO_CB(on_info)

        got = self._collect(
            lambda cb: _lib.pa_context_get_server_info(self.context, cb, None), make
        )
        sink, source = got[0] if got else (b"", b"")
        return sink.decode(errors="replace"), source.decode(errors="replace")

    def sources(self) -> list[tuple[str, str, str | None]]:
        """Every source as (name, description, name of the sink it monitors or None)."""

        def make(out: list[Any], done: threading.Event) -> Any:
            def on_source(_c: Any, info: Any, eol: int, _u: Any) -> None:
                if eol or not info:
                    done.set()
                    return
                i = info.contents
                monitors = None
                if i.monitor_of_sink != ffi.INVALID_INDEX and i.monitor_of_sink_name:
                    monitors = i.monitor_of_sink_name.decode(errors="replace")
                desc = (i.description or b"").decode(errors="replace")
                out.append((i.name.decode(errors="replace"), desc, monitors))

            return ffi.SOURCE_INFO_CB(on_source)

        return self._collect(
            lambda cb: _lib.pa_context_get_source_info_list(self.context, cb, None), make
        )

    def devices(self) -> list[AudioDevice]:
        sink, source = self.defaults()
        out = []
        for name, desc, monitors in self.sources():
            if monitors is not None:
                out.append(
                    AudioDevice(name, f"Monitor of {desc}", AudioKind.SYSTEM, monitors == sink)
                )
            else:
                out.append(AudioDevice(name, desc, AudioKind.MIC, name == source))
        return out

    def close(self) -> None:
        if self.context:
            if self._started:
                _lib.pa_threaded_mainloop_lock(self.mainloop)
            self.lost = None
            _lib.pa_context_disconnect(self.context)
            _lib.pa_context_unref(self.context)
            self.context = None
            if self._started:
                _lib.pa_threaded_mainloop_unlock(self.mainloop)
        if self.mainloop:
            if self._started:
                _lib.pa_threaded_mainloop_stop(self.mainloop)
            _lib.pa_threaded_mainloop_free(self.mainloop)
            self.mainloop = None


def _connected() -> _Connection:
    conn = _Connection()
    try:
        conn.connect()
    except BaseException:
        conn.close()
        raise
    return conn


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
        self._conn: _Connection | None = None
        self._stream: Any = None
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._lost: str | None = None
        self._recording: str | None = None  # the source name actually recorded
        self._next_timing_ns = 0
        self._wall_offset_ns = 0
        self._cbs: tuple[Any, ...] = ()
        #: the latest latency (us) libpulse interpolated for the read index; may be negative
        self.reported_latency_us = 0

    # ---- lifecycle ---------------------------------------------------------------------

    def open(self) -> None:
        self.close()
        self._queue = queue.SimpleQueue()
        self._lost = None
        conn = _connected()
        try:
            device = _pick(conn.devices(), self.kind, self.device)
            self._recording = device.name
            self._conn = conn
            conn.lost = self._on_lost
            self._start_stream(conn, device.name)
        except BaseException:
            self.close()
            conn.close()
            raise

    def _start_stream(self, conn: _Connection, source: str) -> None:
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
        self._wall_offset_ns = _wall_minus_clock_ns()
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
        deadline = time.monotonic() + _CONNECT_TIMEOUT_S
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
                at_ns -= self._wall_offset_ns
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
        conn = _connected()
        try:
            return conn.devices()
        finally:
            conn.close()

    def source(self, kind: AudioKind, device: str | None = None) -> AudioSource:
        return PulseSource(kind, device)
