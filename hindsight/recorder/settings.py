"""Recorder settings: the ``[record]`` and ``[audio]`` tables of the user's ``settings.toml``,
then CLI flags.

The file is optional. Unknown keys and bad values are rejected with the file and
the key, so a typo never silently falls back to a default. Flags given on the
command line override the file; the result is a validated :class:`RecorderConfig`.

Both tables land in one flat mapping of settings keys (the keys the command line's
overrides use too): ``[record]`` keys as they are, ``[audio]`` keys by
:data:`AUDIO_SETTINGS` (``[audio] device`` is ``audio_device``).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from hindsight.errors import HindsightError
from hindsight.paths import settings_path
from hindsight.recorder.config import (
    DEFAULTS,
    AudioConfig,
    CaptureConfig,
    EncoderConfig,
    RecorderConfig,
    RingConfig,
    format_bitrate,
    parse_audio_bitrate,
    parse_audio_tracks,
    parse_bitrate,
    parse_region,
    parse_size,
)
from hindsight.recorder.errors import ConfigError
from hindsight.settings_file import checked_table, read_settings_file

__all__ = [
    "AUDIO_KEYS",
    "AUDIO_SETTINGS",
    "RECORD_KEYS",
    "audio_config",
    "load_settings",
    "build_recorder_config",
    "DEFAULT_SETTINGS_TEXT",
]

# key -> type, for the [record] table and the matching CLI options (None = not given).
RECORD_KEYS: dict[str, type | tuple[type, ...]] = {
    "monitor": int,
    "region": str,
    "window": str,
    "display": str,
    "fps": int,
    "buffer_seconds": int,
    "max_buffer_mb": int,
    "bitrate": (str, int),
    "encoder": str,
    "keyframe_interval_ms": int,
    "preset": str,
    "clip_seconds": int,
    "hotkey": str,
    "clips_dir": str,
    "capture_source": str,
    "draw_cursor": bool,
    "game": str,
    "input": bool,
    "maps_dirs": list,
}

# key -> type, for the [audio] table.
AUDIO_KEYS: dict[str, type | tuple[type, ...]] = {
    "tracks": str,
    "device": str,
    "mic_device": str,
    "volume": (int, float),
    "mic_volume": (int, float),
    "bitrate": (str, int),
    "backend": str,
}

# [audio] key -> settings key (the name a command-line override uses).
AUDIO_SETTINGS = {
    "tracks": "audio",
    "device": "audio_device",
    "mic_device": "mic_device",
    "volume": "audio_volume",
    "mic_volume": "mic_volume",
    "bitrate": "audio_bitrate",
    "backend": "audio_backend",
}

DEFAULT_SETTINGS_TEXT = f"""\
# Hindsight settings. Command-line flags override these.
[record]
fps = {DEFAULTS.fps}
buffer_seconds = {DEFAULTS.buffer_seconds}          # how far back a save can reach
max_buffer_mb = {DEFAULTS.max_buffer_mb}         # hard cap on the replay buffer's memory
bitrate = "{format_bitrate(DEFAULTS.bitrate_bps)}"
encoder = "{DEFAULTS.encoder}"             # or h264_nvenc, h264_qsv, h264_amf, libx264, ...
clip_seconds = {DEFAULTS.clip_seconds}            # what the hotkey saves
hotkey = "{DEFAULTS.hotkey}"
# clips_dir = "~/Videos/Hindsight"
# monitor = 1
# region = "0,0,1280,720"
# window = "Counter-Strike 2"

[audio]
tracks = "{DEFAULTS.audio}"          # system, system,mic, mic or none (no mic unless named)
volume = {DEFAULTS.audio_volume}               # system sound in the mix track (0.0..4.0)
mic_volume = {DEFAULTS.mic_volume}           # microphone in the mix track (0.0..4.0)
bitrate = "{format_bitrate(DEFAULTS.audio_bitrate_bps)}"         # per AAC track
# device = "NAME"          # what to record as system sound; `hindsight audio devices` lists names
# mic_device = "NAME"      # the microphone, when tracks names mic
# backend = "{DEFAULTS.audio_backend}"        # or pulse, wasapi, tone (a test beep), none
"""


def load_settings(path: Path | None = None) -> dict[str, Any]:
    """The ``[record]`` and ``[audio]`` tables of the settings file as settings keys (empty if
    there is no file); a bad value raises one line naming the file and the key."""
    path = path or settings_path()
    data = read_settings_file(path, ConfigError)
    settings = checked_table(data, "record", RECORD_KEYS, path, ConfigError)
    audio = checked_table(data, "audio", AUDIO_KEYS, path, ConfigError)
    for key, value in audio.items():
        try:
            _check_audio_value(key, value)
        except ConfigError as err:
            raise ConfigError(f"{path}: audio.{key}: {err}") from None
        settings[AUDIO_SETTINGS[key]] = value
    return settings


def _check_audio_value(key: str, value: Any) -> None:  # noqa: ANN401
    """Raise :class:`ConfigError` when one ``[audio]`` value is bad (types are checked already)."""
    if key == "tracks":
        parse_audio_tracks(value)
    elif key == "bitrate":
        parse_audio_bitrate(value)
    elif key == "volume":
        AudioConfig(system_volume=_number(value))
    elif key == "mic_volume":
        AudioConfig(mic_volume=_number(value))
    elif key == "device":
        AudioConfig(system_device=value)
    elif key == "mic_device":
        AudioConfig(mic_device=value)
    elif key == "backend":
        AudioConfig(backend=value)


def _number(value: Any) -> float:  # noqa: ANN401
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ConfigError(f"audio volume {value!r}: expected a number, e.g. 0.8")
    return float(value)


def audio_config(merged: Mapping[str, Any]) -> AudioConfig:
    """The sound part of a merged settings mapping (settings keys, see :data:`AUDIO_SETTINGS`)."""
    system, mic = parse_audio_tracks(merged.get("audio", DEFAULTS.audio))
    return AudioConfig(
        system=system,
        mic=mic,
        system_device=merged.get("audio_device"),
        mic_device=merged.get("mic_device"),
        backend=merged.get("audio_backend", DEFAULTS.audio_backend),
        bitrate_bps=parse_audio_bitrate(merged.get("audio_bitrate", DEFAULTS.audio_bitrate_bps)),
        system_volume=_number(merged.get("audio_volume", DEFAULTS.audio_volume)),
        mic_volume=_number(merged.get("mic_volume", DEFAULTS.mic_volume)),
    )


def build_recorder_config(
    overrides: Mapping[str, Any], settings: Mapping[str, Any] | None = None
) -> RecorderConfig:
    """Merge settings and CLI ``overrides`` (None = not given) into a validated config."""
    merged = dict(settings if settings is not None else load_settings())
    merged.update({k: v for k, v in overrides.items() if v is not None})
    if merged.get("region") is not None or merged.get("window") is not None:
        if "monitor" in overrides and overrides["monitor"] is not None:
            raise ConfigError("give one of --monitor, --region or --window")
    try:
        capture = CaptureConfig(
            monitor=merged.get("monitor", DEFAULTS.monitor),
            region=parse_region(merged["region"]) if merged.get("region") else None,
            window=merged.get("window"),
            display=merged.get("display"),
            fps=merged.get("fps", DEFAULTS.fps),
            draw_cursor=merged.get("draw_cursor", DEFAULTS.draw_cursor),
            source=merged.get("capture_source", DEFAULTS.capture_source),
        )
        encoder = EncoderConfig(
            encoder=merged.get("encoder", DEFAULTS.encoder),
            bitrate_bps=parse_bitrate(merged.get("bitrate", DEFAULTS.bitrate_bps)),
            keyframe_interval_ms=merged.get("keyframe_interval_ms", DEFAULTS.keyframe_interval_ms),
            preset=merged.get("preset", DEFAULTS.preset),
        )
        ring = RingConfig(
            buffer_seconds=merged.get("buffer_seconds", DEFAULTS.buffer_seconds),
            max_buffer_bytes=parse_size(f"{merged.get('max_buffer_mb', DEFAULTS.max_buffer_mb)}M"),
        )
        clips_dir = (
            Path(merged["clips_dir"]).expanduser()
            if merged.get("clips_dir")
            else DEFAULTS.clips_dir
        )
        return RecorderConfig(
            capture=capture,
            encoder=encoder,
            ring=ring,
            audio=audio_config(merged),
            clips_dir=clips_dir,
            hotkey=merged.get("hotkey", DEFAULTS.hotkey),
            # A short buffer makes the default clip as long as the buffer, not an error.
            default_clip_seconds=merged.get(
                "clip_seconds", min(DEFAULTS.clip_seconds, ring.buffer_seconds)
            ),
            input_enabled=merged.get("input", DEFAULTS.input_enabled),
            game=merged.get("game", DEFAULTS.game),
            maps_dirs=tuple(Path(d).expanduser() for d in merged.get("maps_dirs") or ()),
        )
    except HindsightError:
        raise
    except (TypeError, ValueError) as err:
        raise ConfigError(f"settings: {err}") from None
