"""What the settings window shows: one field per key of each package's settings table.

The fields come from the packages' own known-key tables (``RECORD_KEYS``,
``AUDIO_KEYS``, ``UPLOAD_KEYS``, ``OVERLAY_KEYS``), so a key added there appears in the
window with no change here; this module only adds a label, the built-in default
(read from the packages' defaults, never restated) and, where there is one, the
list of choices. Judging a value is :mod:`hindsight.app.settings_check`'s job. Qt-free.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import MISSING, dataclass, fields
from typing import Any

from hindsight.overlay.model.theme import DEFAULT_STYLE, POSITIONS, TEMPLATE_NAMES
from hindsight.overlay.settings import OVERLAY_KEYS
from hindsight.recorder import settings as record_settings
from hindsight.recorder.config import AUDIO_BACKENDS, CAPTURE_SOURCES, DEFAULTS, format_bitrate
from hindsight.uploader.config import UploadConfig, UploadPolicy, UploadTarget
from hindsight.uploader.settings import UPLOAD_KEYS

__all__ = [
    "Change",
    "CHOICE_LABELS",
    "RESTART_TABLES",
    "SettingField",
    "TABLES",
    "setting_fields",
]

Change = tuple[str, str]  # (table, key)

# Tables the recorder reads once, when it starts (the upload runner lives in it too);
# [overlay] is read each time an overlay window opens or a clip is rendered.
RESTART_TABLES = frozenset({"record", "audio", "upload"})

# Labels, in the order the window lists them (the common ones first); a key missing here
# is listed after these under its own name.
_LABELS = {
    "record.hotkey": "Save hotkey",
    "record.clip_seconds": "Clip length (seconds)",
    "record.buffer_seconds": "Replay buffer (seconds)",
    "record.clips_dir": "Clips folder",
    "record.fps": "Frames per second",
    "record.bitrate": "Video bitrate",
    "record.encoder": "Encoder",
    "record.monitor": "Monitor",
    "record.region": "Region (X,Y,W,H)",
    "record.window": "Window title",
    "record.draw_cursor": "Show the mouse cursor",
    "record.input": "Record actions (action track)",
    "record.game": "Game",
    "record.max_buffer_mb": "Buffer memory cap (MiB)",
    "record.keyframe_interval_ms": "Keyframe interval (ms)",
    "record.preset": "Encoder preset",
    "record.capture_source": "Capture method",
    "record.display": "X11 display",
    "record.maps_dirs": "Extra action map folders",
    "audio.tracks": "Sound tracks",
    "audio.volume": "System volume in the mix",
    "audio.mic_volume": "Microphone volume in the mix",
    "audio.device": "System sound device",
    "audio.mic_device": "Microphone device",
    "audio.bitrate": "Audio bitrate",
    "audio.backend": "Sound system",
    "upload.policy": "When to upload",
    "upload.bucket": "Bucket",
    "upload.prefix": "Folder in the bucket",
    "upload.endpoint_url": "Server (empty: AWS S3)",
    "upload.max_rate": "Bandwidth cap (bytes/s)",
    "upload.include_events": "Also share the event stream",
    "upload.region": "Region",
    "upload.profile": "AWS profile",
    "upload.part_size_mb": "Part size (MiB)",
    "upload.concurrency": "Parallel parts",
    "overlay.template": "Template",
    "overlay.position": "Corner",
    "overlay.scale": "Scale",
    "overlay.opacity": "Opacity",
    "overlay.accent": "Accent colour",
    "overlay.margin": "Margin (fraction of height)",
}
# Settings most players never touch: listed under "Advanced".
_ADVANCED = frozenset(
    {
        "record.game",
        "record.max_buffer_mb",
        "record.keyframe_interval_ms",
        "record.preset",
        "record.capture_source",
        "record.display",
        "record.maps_dirs",
        "audio.bitrate",
        "audio.backend",
        "upload.region",
        "upload.profile",
        "upload.part_size_mb",
        "upload.concurrency",
    }
)

_CHOICES: dict[str, tuple[str, ...]] = {
    "record.capture_source": CAPTURE_SOURCES,
    "audio.tracks": ("system", "system,mic", "mic", "none"),
    "audio.backend": AUDIO_BACKENDS,
    "upload.policy": tuple(p.value for p in UploadPolicy),
    "overlay.position": POSITIONS,
    "overlay.template": TEMPLATE_NAMES,
}

# What leaving a setting without a built-in value empty means.
_UNSET = {
    "record.region": "the whole monitor",
    "record.window": "none: the monitor is recorded",
    "record.display": "$DISPLAY",
    "record.maps_dirs": "only the shipped maps and your config folder's",
    "audio.device": "the default output",
    "audio.mic_device": "the default microphone",
    "upload.bucket": "none: nothing is uploaded",
    "upload.endpoint_url": "AWS S3",
    "upload.profile": "the default AWS credentials",
    "upload.max_rate": "no cap",
}

# How a choice reads in the window, where the stored word would not say it.
CHOICE_LABELS = {
    "instant": "Right after each save",
    "game_exit": "When the game closes",
    "manual": "Only when I say so",
    "system": "Game sound",
    "system,mic": "Game sound and microphone",
    "mic": "Microphone only",
    "none": "No sound",
    "keyboard_mouse": "Keyboard and mouse",
    "apm": "Actions per minute",
}


@dataclass(frozen=True)
class SettingField:
    """One key of one table as the window shows it."""

    table: str
    key: str
    types: type | tuple[type, ...]
    label: str
    default: Any  # the built-in value, None when the setting has none (off / automatic)
    choices: tuple[str, ...] = ()
    advanced: bool = False
    unset: str = "not set"  # what an empty field means when there is no default

    @property
    def name(self) -> str:
        return f"{self.table}.{self.key}"

    @property
    def restart(self) -> bool:
        """True when a running recorder must restart for a change to take effect."""
        return self.table in RESTART_TABLES


def _tables() -> dict[str, Mapping[str, type | tuple[type, ...]]]:
    # [audio] arrives with the recorder's sound settings; until then it is simply absent.
    audio = getattr(record_settings, "AUDIO_KEYS", None)
    tables: dict[str, Mapping[str, type | tuple[type, ...]]] = {
        "record": record_settings.RECORD_KEYS
    }
    if audio:
        tables["audio"] = audio
    tables["upload"] = UPLOAD_KEYS
    tables["overlay"] = OVERLAY_KEYS
    return tables


TABLES = _tables()


def _dataclass_defaults(cls: type) -> dict[str, Any]:
    return {f.name: f.default for f in fields(cls)}


def _default(table: str, key: str) -> Any:  # noqa: ANN401
    """The built-in value of a setting, read from the package that owns it."""
    if table == "record":
        special = {
            "bitrate": format_bitrate(DEFAULTS.bitrate_bps),
            "input": DEFAULTS.input_enabled,
            "clips_dir": str(DEFAULTS.clips_dir),
        }
        return special[key] if key in special else getattr(DEFAULTS, key, None)
    if table == "audio":
        names = {
            "tracks": "audio",
            "volume": "audio_volume",
            "mic_volume": "mic_volume",
            "backend": "audio_backend",
        }
        if key == "bitrate":
            return format_bitrate(DEFAULTS.audio_bitrate_bps)
        return getattr(DEFAULTS, names[key], None) if key in names else None
    if table == "upload":
        config = _dataclass_defaults(UploadConfig)
        target = _dataclass_defaults(UploadTarget)
        if key == "part_size_mb":
            return config["part_size_bytes"] // 2**20
        if key == "policy":
            return str(config["policy"])
        value = config.get(key, target.get(key))
        return None if value is MISSING else value
    if table == "overlay":
        return getattr(DEFAULT_STYLE, key, None)
    return None


def setting_fields() -> list[SettingField]:
    """Every settable key of every table, the common ones of each table first."""
    out = []
    for table, known in TABLES.items():
        for key, types in known.items():
            name = f"{table}.{key}"
            out.append(
                SettingField(
                    table=table,
                    key=key,
                    types=types,
                    label=_LABELS.get(name, key.replace("_", " ").capitalize()),
                    default=_default(table, key),
                    choices=tuple(_CHOICES.get(name, ())),
                    advanced=name in _ADVANCED,
                    unset=_UNSET.get(name, "not set"),
                )
            )
    order = {name: i for i, name in enumerate(_LABELS)}
    tables = list(TABLES)
    # Tables in their order; in a table, common before advanced, then the labels' order.
    return sorted(
        out,
        key=lambda f: (tables.index(f.table), f.advanced, order.get(f.name, len(order))),
    )
