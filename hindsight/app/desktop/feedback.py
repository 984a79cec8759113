"""The "clip saved" chime, played by the app itself (many notification servers ignore sound hints).

On Linux the chime goes to the default output through PulseAudio (``paplay``, which
PipeWire's pulse server answers too), in a child process so the GUI thread never
waits for a sound device; elsewhere, or without ``paplay``, through Qt Multimedia.
The ``[app]`` table of ``settings.toml`` can turn it off (``clip_sound = false``).
"""

from __future__ import annotations

import logging
import shutil
import subprocess
from importlib import resources
from pathlib import Path
from typing import Any

from hindsight.errors import ConfigError
from hindsight.paths import settings_path
from hindsight.settings_file import checked_table, read_settings_file

__all__ = ["APP_SETTINGS", "ClipChime", "app_settings", "chime_path"]

log = logging.getLogger(__name__)

#: the desktop app's own settings, ``[app]`` in settings.toml
APP_SETTINGS: dict[str, type] = {"clip_sound": bool, "notifications": bool}
_APP_DEFAULTS: dict[str, Any] = {"clip_sound": True, "notifications": True}


def app_settings(settings_file: Path | None = None) -> dict[str, Any]:
    """The ``[app]`` table with defaults filled in; an unknown key or bad type raises one line."""
    path = settings_file or settings_path()
    table = checked_table(
        read_settings_file(path, ConfigError), "app", APP_SETTINGS, path, ConfigError
    )
    return {**_APP_DEFAULTS, **table}


def chime_path() -> Path:
    """The shipped chime (found inside a frozen app too)."""
    ref = resources.files("hindsight.app.desktop").joinpath("assets/clip-saved.wav")
    return Path(str(ref))


class ClipChime:
    """Plays the chime, never more than one at a time, never on the caller's time."""

    def __init__(self, enabled: bool = True, path: Path | None = None) -> None:
        self.enabled = enabled
        self._path = path or chime_path()
        self._player = shutil.which("paplay")
        self._process: subprocess.Popen[bytes] | None = None
        self._effect: Any = None

    def play(self) -> None:
        if not self.enabled:
            return
        if self._player is not None:
            if self._process is not None and self._process.poll() is None:
                return  # one chime at a time: a burst of saves is one sound, not a chord
            try:
                # paplay's own one-line complaint (no server) goes to the app's stderr
                self._process = subprocess.Popen(
                    [self._player, str(self._path)],
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.DEVNULL,
                )
                return
            except OSError as err:
                log.info("paplay could not play the chime (%s); trying Qt", err.strerror)
                self._player = None
        self._play_with_qt()

    def _play_with_qt(self) -> None:
        try:
            from PyQt6.QtCore import QUrl
            from PyQt6.QtMultimedia import QSoundEffect
        except ImportError:
            log.info("no way to play the chime here (no paplay, no Qt Multimedia)")
            self.enabled = False
            return
        if self._effect is None:
            self._effect = QSoundEffect()
            self._effect.setSource(QUrl.fromLocalFile(str(self._path)))
        self._effect.play()

    def close(self) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.wait(2)
