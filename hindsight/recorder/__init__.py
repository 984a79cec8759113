"""The recorder: capture, encode, packet ring, clip export, the session, its CLI and control
channel.

The names below are the recorder's public surface; everything else is internal.
"""

from __future__ import annotations

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
