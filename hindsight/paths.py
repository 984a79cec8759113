"""Where Hindsight keeps things: the user's config, data, log and clips folders.

Each folder honours an environment override (``HINDSIGHT_CONFIG_DIR``,
``HINDSIGHT_DATA_DIR``, ``HINDSIGHT_LOG_DIR``, ``HINDSIGHT_CLIPS_DIR``,
``HINDSIGHT_CACHE_DIR``) so tests and
portable installs can keep everything in one place; otherwise platformdirs decides.
"""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

__all__ = [
    "config_dir",
    "data_dir",
    "log_dir",
    "cache_dir",
    "default_clips_dir",
    "settings_path",
]

_APP = "hindsight"


def _dir(env: str, default: str) -> Path:
    value = os.environ.get(env)
    return Path(value).expanduser() if value else Path(default)


def config_dir() -> Path:
    return _dir("HINDSIGHT_CONFIG_DIR", platformdirs.user_config_dir(_APP))


def data_dir() -> Path:
    return _dir("HINDSIGHT_DATA_DIR", platformdirs.user_data_dir(_APP))


def log_dir() -> Path:
    return _dir("HINDSIGHT_LOG_DIR", platformdirs.user_log_dir(_APP))


def cache_dir() -> Path:
    """What can be made again (clip thumbnails): safe for the user or the OS to delete."""
    return _dir("HINDSIGHT_CACHE_DIR", platformdirs.user_cache_dir(_APP))


def default_clips_dir() -> Path:
    return _dir("HINDSIGHT_CLIPS_DIR", str(Path(platformdirs.user_videos_dir()) / "Hindsight"))


def settings_path() -> Path:
    return config_dir() / "settings.toml"
