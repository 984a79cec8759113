"""Sound: one interface (:class:`AudioSource`), one backend per module, one chooser.

Backends: ``pulse`` (PulseAudio and PipeWire's pulse server), ``wasapi`` (Windows
loopback), ``tone`` (a beep generator for tests). :func:`choose_audio_backend` picks
one from the config and HINDSIGHT_AUDIO_BACKEND; :class:`AudioCapture` records a run's
tracks into their rings. Backend modules are imported lazily by the chooser.
"""

from __future__ import annotations

from hindsight.recorder.audio.capture import PREROLL_SAMPLES, AudioCapture, AudioCut, AudioTrack
from hindsight.recorder.audio.chooser import ENV_OVERRIDE, choose_audio_backend
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

__all__ = [
    "CHANNELS",
    "ENV_OVERRIDE",
    "PREROLL_SAMPLES",
    "SAMPLE_RATE",
    "AudioBackend",
    "AudioBlock",
    "AudioCapture",
    "AudioCut",
    "AudioDevice",
    "AudioDeviceLost",
    "AudioError",
    "AudioKind",
    "AudioSource",
    "AudioTrack",
    "choose_audio_backend",
]
