"""Frozen, validated configuration of a recorder, passed in explicitly (no globals).

Each dataclass checks itself on construction and raises :class:`ConfigError` with
the setting's name and what is wrong. ``parse_*`` turn the CLI's and the settings
file's text forms (``12M``, ``100,200,1280,720``) into these values.

:data:`DEFAULTS` is the one place a default is defined: the dataclasses below, the
settings reader, the command line's help texts and the demo all read it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from hindsight.paths import default_clips_dir
from hindsight.recorder.errors import ConfigError

__all__ = [
    "CaptureConfig",
    "EncoderConfig",
    "AudioConfig",
    "AUDIO_BACKENDS",
    "parse_audio_tracks",
    "parse_audio_bitrate",
    "RingConfig",
    "RecorderConfig",
    "parse_bitrate",
    "parse_region",
    "parse_size",
    "CAPTURE_SOURCES",
    "DEFAULTS",
    "RecorderDefaults",
    "format_bitrate",
]

CAPTURE_SOURCES = ("auto", "x11grab", "mss", "fake")
AUDIO_BACKENDS = ("auto", "pulse", "wasapi", "tone", "none")

_SUFFIX = {"": 1, "k": 1_000, "m": 1_000_000, "g": 1_000_000_000}
_MIB = 2**20
_AUDIO_BITRATE = (32_000, 512_000)  # bits per second, per AAC track


@dataclass(frozen=True)
class RecorderDefaults:
    """What a recorder does when neither the settings file nor a flag says otherwise."""

    monitor: int = 1
    fps: int = 60
    capture_source: str = "auto"
    draw_cursor: bool = True
    encoder: str = "auto"
    bitrate_bps: int = 12_000_000  # bits per second
    keyframe_interval_ms: int = 1000
    preset: str = "ultrafast"
    buffer_seconds: int = 30
    max_buffer_mb: int = 1024
    clip_seconds: int = 30
    hotkey: str = "F8"
    game: str = "auto"
    input_enabled: bool = True
    save_timeout_ms: int = 10_000
    audio: str = "system"  # which sources: "system", "system,mic", "mic" or "none"
    audio_backend: str = "auto"
    audio_bitrate_bps: int = 160_000  # AAC-LC stereo, per track
    audio_volume: float = 1.0  # system sound in the mix
    mic_volume: float = 1.0  # microphone in the mix

    @property
    def max_buffer_bytes(self) -> int:
        return self.max_buffer_mb * _MIB

    @property
    def clips_dir(self) -> Path:
        """The user's videos folder + Hindsight (``HINDSIGHT_CLIPS_DIR`` overrides it); read when
        asked."""
        return default_clips_dir()


DEFAULTS = RecorderDefaults()


def format_bitrate(bps: int) -> str:
    """Bits per second in FFmpeg's short form (``12M``, ``6500k``), the inverse of
    :func:`parse_bitrate`."""
    for suffix, scale in (("G", 1_000_000_000), ("M", 1_000_000), ("k", 1_000)):
        if bps % scale == 0:
            return f"{bps // scale}{suffix}"
    return str(bps)


def _parse_rate(text: str | int, what: str, example: str, low: int, high: int) -> int:
    if isinstance(text, int) and not isinstance(text, bool):
        value = text
    else:
        m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([kKmMgG]?)\s*", str(text))
        if not m:
            raise ConfigError(
                f"{what} {text!r}: expected a number with an optional k/M/G suffix, e.g. {example}"
            )
        value = int(float(m.group(1)) * _SUFFIX[m.group(2).lower()])
    if not low <= value <= high:
        raise ConfigError(
            f"{what} {text!r}: must be between {format_bitrate(low)} and {format_bitrate(high)}"
        )
    return value


def parse_bitrate(text: str | int) -> int:
    """``12M`` / ``2500k`` / ``8000000`` (FFmpeg's form) to bits per second."""
    return _parse_rate(text, "bitrate", "12M", 100_000, 1_000_000_000)


def parse_audio_bitrate(text: str | int) -> int:
    """An audio track's bitrate, ``160k`` / ``96000``, to bits per second (32k..512k)."""
    return _parse_rate(text, "audio bitrate", "160k", _AUDIO_BITRATE[0], _AUDIO_BITRATE[1])


def parse_size(text: str | int) -> int:
    """``512M`` / ``2G`` / a plain byte count to bytes (binary units: 1M = 2**20)."""
    if isinstance(text, int) and not isinstance(text, bool):
        return text
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([kKmMgG]?)i?[bB]?\s*", str(text))
    if not m:
        raise ConfigError(
            f"size {text!r}: expected a number with an optional k/M/G suffix, e.g. 512M"
        )
    scale = {"": 1, "k": 2**10, "m": _MIB, "g": 2**30}[m.group(2).lower()]
    return int(float(m.group(1)) * scale)


def parse_region(text: str | tuple[int, int, int, int]) -> tuple[int, int, int, int]:
    """``X,Y,W,H`` to a tuple of four ints."""
    parts: list[str | int]
    if isinstance(text, tuple):
        parts = list(text)
    else:
        parts = [p.strip() for p in str(text).split(",")]
    try:
        x, y, w, h = (int(p) for p in parts)
    except (TypeError, ValueError):
        raise ConfigError(
            f"region {text!r}: expected X,Y,W,H as four integers, e.g. 0,0,1280,720"
        ) from None
    return (x, y, w, h)


@dataclass(frozen=True)
class CaptureConfig:
    """What to capture and how often: a monitor, a region or a window, at ``fps``."""

    monitor: int = DEFAULTS.monitor
    region: tuple[int, int, int, int] | None = None
    window: str | None = None
    display: str | None = None
    fps: int = DEFAULTS.fps
    draw_cursor: bool = DEFAULTS.draw_cursor
    source: str = DEFAULTS.capture_source

    def __post_init__(self) -> None:
        if self.region is not None and self.window is not None:
            raise ConfigError("capture: give either a region or a window, not both")
        if self.monitor < 0:
            raise ConfigError(
                f"monitor {self.monitor}: must be 0 (all monitors) or a monitor number from 1"
            )
        if self.region is not None:
            x, y, w, h = self.region
            if w < 16 or h < 16 or x < 0 or y < 0:
                raise ConfigError(
                    f"region {self.region}: x and y must be >= 0, width and height >= 16"
                )
        if self.window is not None and not self.window.strip():
            raise ConfigError("window: the title must not be empty")
        if not 1 <= self.fps <= 240:
            raise ConfigError(f"fps {self.fps}: must be between 1 and 240")
        if self.source not in CAPTURE_SOURCES:
            raise ConfigError(
                f"capture source {self.source!r}: must be one of {', '.join(CAPTURE_SOURCES)}"
            )


@dataclass(frozen=True)
class EncoderConfig:
    """Which encoder and how: fixed keyframe interval, no B-frames, target bitrate."""

    encoder: str = DEFAULTS.encoder
    bitrate_bps: int = DEFAULTS.bitrate_bps
    keyframe_interval_ms: int = DEFAULTS.keyframe_interval_ms
    preset: str = DEFAULTS.preset

    def __post_init__(self) -> None:
        if not 100_000 <= self.bitrate_bps <= 1_000_000_000:
            raise ConfigError(f"bitrate {self.bitrate_bps}: must be between 100k and 1000M bits/s")
        if not 100 <= self.keyframe_interval_ms <= 10_000:
            raise ConfigError(
                f"keyframe interval {self.keyframe_interval_ms} ms: must be 100..10000"
            )
        if not self.encoder:
            raise ConfigError("encoder: must be 'auto' or an encoder name such as libx264")


def parse_audio_tracks(text: str) -> tuple[bool, bool]:
    """``system`` / ``system,mic`` / ``mic`` / ``none`` to (system on, mic on)."""
    parts = {p.strip().lower() for p in str(text).split(",") if p.strip()}
    if parts == {"none"}:
        return False, False
    if not parts or not parts <= {"system", "mic"}:
        raise ConfigError(
            f"audio {text!r}: expected system, system,mic, mic or none (the microphone is off "
            "unless named)"
        )
    return "system" in parts, "mic" in parts


@dataclass(frozen=True)
class AudioConfig:
    """Which sounds a clip keeps: the system output always by default, the microphone on request.

    ``system_device`` / ``mic_device`` name a device as ``hindsight audio devices``
    lists it; None is the default one. The volumes scale each source in the mix
    track only; the system and microphone tracks keep what was recorded.
    """

    system: bool = parse_audio_tracks(DEFAULTS.audio)[0]
    mic: bool = parse_audio_tracks(DEFAULTS.audio)[1]
    system_device: str | None = None
    mic_device: str | None = None
    backend: str = DEFAULTS.audio_backend
    bitrate_bps: int = DEFAULTS.audio_bitrate_bps
    system_volume: float = DEFAULTS.audio_volume
    mic_volume: float = DEFAULTS.mic_volume

    def __post_init__(self) -> None:
        if self.backend not in AUDIO_BACKENDS:
            raise ConfigError(
                f"audio backend {self.backend!r}: must be one of {', '.join(AUDIO_BACKENDS)}"
            )
        low, high = _AUDIO_BITRATE
        if not low <= self.bitrate_bps <= high:
            raise ConfigError(
                f"audio bitrate {self.bitrate_bps}: must be between "
                f"{format_bitrate(low)} and {format_bitrate(high)}"
            )
        for name, volume in (("volume", self.system_volume), ("mic volume", self.mic_volume)):
            if not 0.0 <= volume <= 4.0:
                raise ConfigError(f"audio {name} {volume}: must be between 0.0 and 4.0")
        for name, device in (("device", self.system_device), ("mic device", self.mic_device)):
            if device is not None and not device.strip():
                raise ConfigError(f"audio {name}: must not be empty (omit it for the default)")

    @property
    def enabled(self) -> bool:
        return (self.system or self.mic) and self.backend != "none"


@dataclass(frozen=True)
class RingConfig:
    """How much the replay buffer keeps: seconds and a hard byte cap."""

    buffer_seconds: int = DEFAULTS.buffer_seconds
    max_buffer_bytes: int = DEFAULTS.max_buffer_bytes

    def __post_init__(self) -> None:
        if not 2 <= self.buffer_seconds <= 3600:
            raise ConfigError(f"buffer seconds {self.buffer_seconds}: must be 2..3600")
        if self.max_buffer_bytes < 4 * 2**20:
            raise ConfigError(f"max buffer {self.max_buffer_bytes} bytes: must be at least 4 MB")


@dataclass(frozen=True)
class RecorderConfig:
    """Everything a recording session needs, built from settings plus CLI flags."""

    capture: CaptureConfig = field(default_factory=CaptureConfig)
    encoder: EncoderConfig = field(default_factory=EncoderConfig)
    ring: RingConfig = field(default_factory=RingConfig)
    audio: AudioConfig = field(default_factory=AudioConfig)
    clips_dir: Path = field(default_factory=lambda: DEFAULTS.clips_dir)
    hotkey: str = DEFAULTS.hotkey
    default_clip_seconds: int = DEFAULTS.clip_seconds
    input_enabled: bool = DEFAULTS.input_enabled
    game: str = DEFAULTS.game
    maps_dirs: tuple[Path, ...] = ()
    save_timeout_ms: int = DEFAULTS.save_timeout_ms

    def __post_init__(self) -> None:
        if not 1 <= self.default_clip_seconds <= self.ring.buffer_seconds:
            raise ConfigError(
                f"clip seconds {self.default_clip_seconds}: must be 1..{self.ring.buffer_seconds} "
                "(the buffer length)"
            )
        if not self.hotkey.strip():
            raise ConfigError("hotkey: must not be empty (e.g. F8 or ctrl+shift+s)")
