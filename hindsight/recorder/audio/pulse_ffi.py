"""The few libpulse calls the PulseAudio backend needs, as ctypes declarations.

Only :mod:`hindsight.recorder.audio.pulse` imports this: a threaded main loop, a
context, one record stream (peek/drop, timing info, latency) and the two
introspection calls that list sources and name the defaults. Loading fails with
OSError where libpulse.so.0 is absent, which the chooser turns into one line.
"""

from __future__ import annotations

import ctypes
from ctypes import (
    CFUNCTYPE,
    POINTER,
    Structure,
    c_char_p,
    c_int,
    c_int64,
    c_long,
    c_size_t,
    c_uint8,
    c_uint32,
    c_uint64,
    c_void_p,
)
from typing import Any

__all__ = [
    "load",
    "SampleSpec",
    "BufferAttr",
    "TimingInfo",
    "ServerInfo",
    "SourceInfo",
    "CONTEXT_STATE_CB",
    "STREAM_STATE_CB",
    "STREAM_REQUEST_CB",
    "SERVER_INFO_CB",
    "SOURCE_INFO_CB",
    "SAMPLE_FLOAT32LE",
    "CONTEXT_NOAUTOSPAWN",
    "CONTEXT_READY",
    "CONTEXT_FAILED",
    "CONTEXT_TERMINATED",
    "STREAM_READY",
    "STREAM_FAILED",
    "STREAM_TERMINATED",
    "STREAM_INTERPOLATE_TIMING",
    "STREAM_AUTO_TIMING_UPDATE",
    "STREAM_DONT_MOVE",
    "STREAM_ADJUST_LATENCY",
    "INVALID_INDEX",
]

SAMPLE_FLOAT32LE = 5
CONTEXT_NOAUTOSPAWN = 0x0001
# pa_context_state_t
CONTEXT_READY, CONTEXT_FAILED, CONTEXT_TERMINATED = 4, 5, 6
# pa_stream_state_t
STREAM_READY, STREAM_FAILED, STREAM_TERMINATED = 2, 3, 4
# pa_stream_flags_t
STREAM_INTERPOLATE_TIMING = 0x0002
STREAM_AUTO_TIMING_UPDATE = 0x0008
STREAM_DONT_MOVE = 0x0200  # a device that goes away fails the stream instead of moving it
STREAM_ADJUST_LATENCY = 0x2000
INVALID_INDEX = 0xFFFFFFFF
_CHANNELS_MAX = 32


class SampleSpec(Structure):
    _fields_ = [("format", c_int), ("rate", c_uint32), ("channels", c_uint8)]


class ChannelMap(Structure):
    _fields_ = [("channels", c_uint8), ("map", c_int * _CHANNELS_MAX)]


class CVolume(Structure):
    _fields_ = [("channels", c_uint8), ("values", c_uint32 * _CHANNELS_MAX)]


class BufferAttr(Structure):
    _fields_ = [
        ("maxlength", c_uint32),
        ("tlength", c_uint32),
        ("prebuf", c_uint32),
        ("minreq", c_uint32),
        ("fragsize", c_uint32),
    ]


class TimeVal(Structure):
    _fields_ = [("tv_sec", c_long), ("tv_usec", c_long)]


class TimingInfo(Structure):
    _fields_ = [
        ("timestamp", TimeVal),
        ("synchronized_clocks", c_int),
        ("sink_usec", c_uint64),
        ("source_usec", c_uint64),
        ("transport_usec", c_uint64),
        ("playing", c_int),
        ("write_index_corrupt", c_int),
        ("write_index", c_int64),
        ("read_index_corrupt", c_int),
        ("read_index", c_int64),
        ("configured_sink_usec", c_uint64),
        ("configured_source_usec", c_uint64),
        ("since_underrun", c_int64),
    ]


class ServerInfo(Structure):
    # Only the leading fields we read; libpulse owns the memory.
    _fields_ = [
        ("user_name", c_char_p),
        ("host_name", c_char_p),
        ("server_version", c_char_p),
        ("server_name", c_char_p),
        ("sample_spec", SampleSpec),
        ("default_sink_name", c_char_p),
        ("default_source_name", c_char_p),
    ]


class SourceInfo(Structure):
    _fields_ = [
        ("name", c_char_p),
        ("index", c_uint32),
        ("description", c_char_p),
        ("sample_spec", SampleSpec),
        ("channel_map", ChannelMap),
        ("owner_module", c_uint32),
        ("volume", CVolume),
        ("mute", c_int),
        ("monitor_of_sink", c_uint32),
        ("monitor_of_sink_name", c_char_p),
    ]


CONTEXT_STATE_CB = CFUNCTYPE(None, c_void_p, c_void_p)
STREAM_STATE_CB = CFUNCTYPE(None, c_void_p, c_void_p)
STREAM_REQUEST_CB = CFUNCTYPE(None, c_void_p, c_size_t, c_void_p)
SERVER_INFO_CB = CFUNCTYPE(None, c_void_p, POINTER(ServerInfo), c_void_p)
SOURCE_INFO_CB = CFUNCTYPE(None, c_void_p, POINTER(SourceInfo), c_int, c_void_p)

# name -> (restype, argtypes)
_SIGNATURES: dict[str, tuple[Any, list[Any]]] = {
    "pa_threaded_mainloop_new": (c_void_p, []),
    "pa_threaded_mainloop_free": (None, [c_void_p]),
    "pa_threaded_mainloop_start": (c_int, [c_void_p]),
    "pa_threaded_mainloop_stop": (None, [c_void_p]),
    "pa_threaded_mainloop_lock": (None, [c_void_p]),
    "pa_threaded_mainloop_unlock": (None, [c_void_p]),
    "pa_threaded_mainloop_get_api": (c_void_p, [c_void_p]),
    "pa_context_new": (c_void_p, [c_void_p, c_char_p]),
    "pa_context_unref": (None, [c_void_p]),
    "pa_context_connect": (c_int, [c_void_p, c_char_p, c_int, c_void_p]),
    "pa_context_disconnect": (None, [c_void_p]),
    "pa_context_get_state": (c_int, [c_void_p]),
    "pa_context_errno": (c_int, [c_void_p]),
    "pa_context_set_state_callback": (None, [c_void_p, CONTEXT_STATE_CB, c_void_p]),
    "pa_context_get_server_info": (c_void_p, [c_void_p, SERVER_INFO_CB, c_void_p]),
    "pa_context_get_source_info_list": (c_void_p, [c_void_p, SOURCE_INFO_CB, c_void_p]),
    "pa_operation_unref": (None, [c_void_p]),
    "pa_strerror": (c_char_p, [c_int]),
    "pa_stream_new": (c_void_p, [c_void_p, c_char_p, POINTER(SampleSpec), c_void_p]),
    "pa_stream_unref": (None, [c_void_p]),
    "pa_stream_get_state": (c_int, [c_void_p]),
    "pa_stream_set_state_callback": (None, [c_void_p, STREAM_STATE_CB, c_void_p]),
    "pa_stream_set_read_callback": (None, [c_void_p, STREAM_REQUEST_CB, c_void_p]),
    "pa_stream_connect_record": (c_int, [c_void_p, c_char_p, POINTER(BufferAttr), c_int]),
    "pa_stream_disconnect": (c_int, [c_void_p]),
    "pa_stream_peek": (c_int, [c_void_p, POINTER(c_void_p), POINTER(c_size_t)]),
    "pa_stream_drop": (c_int, [c_void_p]),
    "pa_stream_get_timing_info": (POINTER(TimingInfo), [c_void_p]),
    "pa_stream_update_timing_info": (c_void_p, [c_void_p, c_void_p, c_void_p]),
    "pa_stream_get_latency": (c_int, [c_void_p, POINTER(c_uint64), POINTER(c_int)]),
    "pa_stream_get_device_name": (c_char_p, [c_void_p]),
}

_lib: ctypes.CDLL | None = None


def load() -> ctypes.CDLL:
    """libpulse with every function above typed; raises OSError when it is not installed."""
    global _lib
    if _lib is None:
        lib = ctypes.CDLL("libpulse.so.0")
        for name, (restype, argtypes) in _SIGNATURES.items():
            func = getattr(lib, name)
            func.restype = restype
            func.argtypes = argtypes
        _lib = lib
    return _lib
