"""The library and uploader as an output of a running recorder.

Attached to ``hindsight record`` by the top-level CLI (the recorder never imports
the uploader): every saved clip is registered in the library; with consent and a
target it is queued by the upload policy (``instant``; ``game_exit``: once the
game's process has exited; ``manual``: never by itself) and a background runner
uploads it. Nothing here can stop a recording: a broken library or target is
reported once and the recorder goes on saving clips to disk.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import psutil

from hindsight.bundle import ClipSpan, Consent, Contribution
from hindsight.uploader.config import UploadConfig
from hindsight.uploader.errors import UploaderError
from hindsight.uploader.library import ClipLibrary
from hindsight.uploader.settings import build_upload_config, library_url, load_uploader_settings
from hindsight.uploader.worker import UploadRunner

__all__ = ["LibraryOutput", "PrivacyFacts"]

log = logging.getLogger(__name__)


class PrivacyFacts:
    """Adds the contributor pseudonym and consent versions to a clip's manifest (when dataset consent holds)."""

    def __init__(self, library: ClipLibrary) -> None:
        self._library = library

    def contribute(self, span: ClipSpan) -> Contribution:
        try:
            dataset = self._library.consent("dataset")
            clips = self._library.consent("clips")
            contributor = self._library.contributor_id() if dataset.current else None
        except UploaderError as err:
            log.warning("privacy facts left empty: %s", err)
            return Contribution()
        return Contribution(consent=Consent(contributor=contributor, versions={
            "clips": clips.version if clips.current else None,
            "dataset": dataset.version if dataset.current else None,
        }))


class LibraryOutput:
    """Registers saved clips and runs background uploads by policy; a recorder ``ServicePlugin``."""

    name = "library"

    def __init__(self, settings_file: Path | None = None, *, library: ClipLibrary | None = None,
                 config: UploadConfig | None = None) -> None:
        self.error: str | None = None
        self.library: ClipLibrary | None = library
        self.config: UploadConfig | None = config
        self.runner: UploadRunner | None = None
        self._service: Any = None
        self._registered = 0
        self._lock = threading.Lock()
        try:
            settings = load_uploader_settings(settings_file)
            if self.library is None:
                self.library = ClipLibrary.open(library_url(settings["library"]))
            if self.config is None:
                self.config = build_upload_config({}, settings["upload"])
        except UploaderError as err:
            self.error = str(err)
            log.warning("clip library off for this run (clips are still saved): %s", err)

    def contributors(self) -> Sequence[Any]:
        return [PrivacyFacts(self.library)] if self.library is not None else []

    def attach(self, service: Any) -> None:  # a RecorderService (duck-typed)
        self._service = service
        if self.library is None:
            return
        service.session.clip_saved.connect(self.on_clip_saved)
        if self.config is not None and self.config.target is not None and self.config.policy != "manual":
            self.runner = UploadRunner(self.library, self.config)
            self.runner.start()

    def detach(self) -> None:
        if self.runner is not None:
            self.runner.stop()
            self.runner = None
        if self.library is not None:
            self.library.close()

    def on_clip_saved(self, clip: Any) -> None:  # a recorder SavedClip (duck-typed)
        """Runs on the saver thread after the rename: one short transaction, then hand-off."""
        if self.library is None:
            return
        try:
            record = self.library.register(Path(clip.path), getattr(clip, "manifest", None))
            with self._lock:
                self._registered += 1
            if self.runner is None or self.config is None or not self.library.consent("clips").current:
                return
            wait_pid = started_ms = None
            if self.config.policy == "game_exit":
                wait_pid, started_ms = self._game_process(record.game_id)
            self.library.queue(record.id, wait_pid=wait_pid, wait_pid_started_ms=started_ms)
            self.runner.wake()
        except UploaderError as err:
            self.error = str(err)
            log.warning("clip %s saved but not added to the library: %s", clip.path, err)

    def _game_process(self, game_id: str) -> tuple[int | None, int | None]:
        """The pid (and start time) of the focused game when it is the clip's game."""
        actions = getattr(self._service, "actions", None)
        game = getattr(actions, "game", None)
        app = getattr(actions, "app", None)
        if game is None or game.id != game_id or app is None or app.pid is None:
            return None, None
        try:
            return app.pid, int(psutil.Process(app.pid).create_time() * 1000)
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            return None, None

    def status(self) -> dict[str, Any]:
        out: dict[str, Any] = {"error": self.error, "registered": self._registered}
        if self.library is None:
            out["summary"] = _summary(out)
            return out
        try:
            out["states"] = self.library.state_counts()
            out["consent_clips"] = self.library.consent("clips").current
        except UploaderError as err:
            out["error"] = str(err)
        if self.config is not None:
            out["policy"] = self.config.policy
            out["target"] = self.config.target.describe() if self.config.target else None
        if self.runner is not None:
            out["last_error"] = self.runner.last_error
        out["summary"] = _summary(out)
        return out


def _summary(status: dict[str, Any]) -> str:
    """The one line a status display shows for the library."""
    if status.get("error"):
        return f"off ({status['error']})"
    states = ", ".join(f"{n} {state}" for state, n in sorted((status.get("states") or {}).items())) or "empty"
    line = f"{states}; uploads {status.get('policy', 'manual')} to {status.get('target') or 'no upload target'}"
    return line + ("" if status.get("consent_clips") else " (no consent: nothing is uploaded)")
