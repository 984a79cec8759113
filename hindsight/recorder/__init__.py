"""The recorder: capture, encode, packet ring, clip export, the session, its CLI and control
channel.

The names below are the recorder's public surface; everything else is internal.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

# name -> the module that defines it. Loaded on first use (PEP 562), so a client of a
# running recorder (``hindsight clip``, the desktop app) that needs only the control
# channel does not load PyAV and numpy.
_WHERE = {
    "BundleContributor": "hindsight.bundle",
    "ClipSpan": "hindsight.bundle",
    "Contribution": "hindsight.bundle",
    "SavedClip": "hindsight.bundle",
    "CaptureConfig": "hindsight.recorder.config",
    "EncoderConfig": "hindsight.recorder.config",
    "RecorderConfig": "hindsight.recorder.config",
    "RingConfig": "hindsight.recorder.config",
    "CaptureError": "hindsight.recorder.errors",
    "ConfigError": "hindsight.recorder.errors",
    "ControlError": "hindsight.recorder.errors",
    "DiskFullError": "hindsight.recorder.errors",
    "EncoderError": "hindsight.recorder.errors",
    "ExportError": "hindsight.recorder.errors",
    "RecorderNotRunning": "hindsight.recorder.errors",
    "SaveTimeout": "hindsight.recorder.errors",
    "EncodedPacket": "hindsight.recorder.packet",
    "StreamParams": "hindsight.recorder.packet",
    "PacketRing": "hindsight.recorder.ring",
    "SaveRequest": "hindsight.recorder.saver",
    "RecordingSession": "hindsight.recorder.session",
}

if TYPE_CHECKING:
    from hindsight.bundle import BundleContributor, ClipSpan, Contribution, SavedClip
    from hindsight.recorder.config import CaptureConfig, EncoderConfig, RecorderConfig, RingConfig
    from hindsight.recorder.errors import (
        CaptureError,
        ConfigError,
        ControlError,
        DiskFullError,
        EncoderError,
        ExportError,
        RecorderNotRunning,
        SaveTimeout,
    )
    from hindsight.recorder.packet import EncodedPacket, StreamParams
    from hindsight.recorder.ring import PacketRing
    from hindsight.recorder.saver import SaveRequest
    from hindsight.recorder.session import RecordingSession


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


__all__ = [
    "BundleContributor",
    "CaptureConfig",
    "CaptureError",
    "ClipSpan",
    "ConfigError",
    "Contribution",
    "ControlError",
    "DiskFullError",
    "EncodedPacket",
    "EncoderConfig",
    "EncoderError",
    "ExportError",
    "PacketRing",
    "RecorderConfig",
    "RecorderNotRunning",
    "RecordingSession",
    "RingConfig",
    "SaveRequest",
    "SaveTimeout",
    "SavedClip",
    "StreamParams",
]
