"""Recorder settings: the ``[record]`` table of the user's ``settings.toml``, then CLI flags.

The file is optional. Unknown keys and bad values are rejected with the file and
the key, so a typo never silently falls back to a default. Flags given on the
command line override the file; the result is a validated :class:`RecorderConfig`.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from hindsight.errors import HindsightError
from hindsight.paths import default_clips_dir, settings_path
from hindsight.recorder.config import (
    CaptureConfig,
    EncoderConfig,
    RecorderConfig,
    RingConfig,
    parse_bitrate,
    parse_region,
    parse_size,
)
from hindsight.recorder.errors import ConfigError
from hindsight.settings_file import checked_table, read_settings_file

__all__ = ["RECORD_KEYS", "load_settings", "build_recorder_config", "DEFAULT_SETTINGS_TEXT"]

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

DEFAULT_SETTINGS_TEXT = """\
# Hindsight settings. Command-line flags override these.
[record]
fps = 60
buffer_seconds = 30          # how far back a save can reach
max_buffer_mb = 1024         # hard cap on the replay buffer's memory
bitrate = "12M"
encoder = "auto"             # or h264_nvenc, h264_qsv, h264_amf, libx264, ...
clip_seconds = 30            # what the hotkey saves
hotkey = "F8"
# clips_dir = "~/Videos/Hindsight"
# monitor = 1
# region = "0,0,1280,720"
# window = "Counter-Strike 2"
"""


def load_settings(path: Path | None = None) -> dict[str, Any]:
    """The ``[record]`` table of the settings file (empty if there is no file)."""
    path = path or settings_path()
    return checked_table(read_settings_file(path, ConfigError), "record", RECORD_KEYS, path, ConfigError)


def build_recorder_config(overrides: Mapping[str, Any], settings: Mapping[str, Any] | None = None) -> RecorderConfig:
    """Merge settings and CLI ``overrides`` (None = not given) into a validated config."""
    merged = dict(settings if settings is not None else load_settings())
    merged.update({k: v for k, v in overrides.items() if v is not None})
    if merged.get("region") is not None or merged.get("window") is not None:
        if "monitor" in overrides and overrides["monitor"] is not None:
            raise ConfigError("give one of --monitor, --region or --window")
    try:
        capture = CaptureConfig(
            monitor=merged.get("monitor", 1),
            region=parse_region(merged["region"]) if merged.get("region") else None,
            window=merged.get("window"),
            display=merged.get("display"),
            fps=merged.get("fps", 60),
            draw_cursor=merged.get("draw_cursor", True),
            source=merged.get("capture_source", "auto"),
        )
        encoder = EncoderConfig(
            encoder=merged.get("encoder", "auto"),
            bitrate_bps=parse_bitrate(merged.get("bitrate", "12M")),
            keyframe_interval_ms=merged.get("keyframe_interval_ms", 1000),
            preset=merged.get("preset", "ultrafast"),
        )
        ring = RingConfig(
            buffer_seconds=merged.get("buffer_seconds", 30),
            max_buffer_bytes=parse_size(f"{merged['max_buffer_mb']}M") if "max_buffer_mb" in merged else 1024 * 2**20,
        )
        clips_dir = Path(merged["clips_dir"]).expanduser() if merged.get("clips_dir") else default_clips_dir()
        return RecorderConfig(
            capture=capture,
            encoder=encoder,
            ring=ring,
            clips_dir=clips_dir,
            hotkey=merged.get("hotkey", "F8"),
            default_clip_seconds=merged.get("clip_seconds", min(30, ring.buffer_seconds)),
            input_enabled=merged.get("input", True),
            game=merged.get("game", "auto"),
            maps_dirs=tuple(Path(d).expanduser() for d in merged.get("maps_dirs") or ()),
        )
    except HindsightError:
        raise
    except (TypeError, ValueError) as err:
        raise ConfigError(f"settings: {err}") from None

