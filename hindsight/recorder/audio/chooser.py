"""Pick the audio backend: the config's choice, the HINDSIGHT_AUDIO_BACKEND override, or the
one this system has.

``auto`` is PulseAudio (which PipeWire also serves) on Linux and WASAPI on Windows.
Backend modules are imported here and only here, lazily, so every command starts
on any system and the error names what to install or start when none works.
"""

from __future__ import annotations

import os
import sys
from importlib import import_module

from hindsight.recorder.audio.source import AudioBackend, AudioError
from hindsight.recorder.config import AUDIO_BACKENDS, AudioConfig
from hindsight.recorder.errors import ConfigError

__all__ = ["ENV_OVERRIDE", "choose_audio_backend"]

ENV_OVERRIDE = "HINDSIGHT_AUDIO_BACKEND"

# name -> (module, class, what to install when the module cannot load)
_BACKENDS = {
    "pulse": ("pulse", "PulseBackend", "libpulse (Debian/Ubuntu: apt install libpulse0)"),
    "wasapi": ("wasapi", "WasapiBackend", "soundcard (pip install soundcard)"),
    "tone": ("tone", "ToneBackend", "numpy"),
}


def _name(config: AudioConfig) -> str:
    name = config.backend
    if name == "auto":
        override = os.environ.get(ENV_OVERRIDE, "").strip().lower()
        if override and override not in AUDIO_BACKENDS:
            raise ConfigError(
                f"{ENV_OVERRIDE}={override!r}: must be one of {', '.join(AUDIO_BACKENDS)}"
            )
        name = override or "auto"
    if name == "auto":
        name = "wasapi" if sys.platform.startswith("win") else "pulse"
    return name


def choose_audio_backend(config: AudioConfig) -> AudioBackend | None:
    """The backend to record with; None when sound is turned off (``none``).

    Raises :class:`AudioError` with one line when the backend cannot load.
    """
    name = _name(config)
    if name == "none":
        return None
    module, cls, install = _BACKENDS[name]
    try:
        backend = getattr(import_module(f"hindsight.recorder.audio.{module}"), cls)
    except (ImportError, OSError) as exc:
        raise AudioError(f"audio backend {name} cannot load ({exc}): it needs {install}") from None
    instance: AudioBackend = backend()
    return instance
