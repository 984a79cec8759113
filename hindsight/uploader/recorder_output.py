"""The clip library and uploader as an output of a running recorder.

The composition root builds a :class:`LibraryOutput` and hands it to the recorder
service, which calls it through ``hindsight.recorder.outputs.RecorderOutput``. The
dependency rule keeps the uploader from importing the recorder, so the protocol is met
structurally, and what this output needs of the running recorder (the focused game) is
described here as :class:`GameFocus`.

Every saved clip is registered in the library; with consent and a target it is queued
by the upload policy (``instant``; ``game_exit``: once the game's process has exited;
``manual``: never by itself) and a background runner uploads it. Nothing here can stop
a recording: a broken library or target is reported once and the recorder goes on
saving clips to disk.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

import psutil

from hindsight.bundle import (
    CLIPS_PURPOSE,
    DATASET_PURPOSE,
    BundleContributor,
    ClipSpan,
    Consent,
    Contribution,
    SavedClip,
)
from hindsight.uploader.config import UploadConfig, UploadPolicy
from hindsight.uploader.errors import UploaderError
from hindsight.uploader.library import ClipLibrary
from hindsight.uploader.settings import build_upload_config, library_url, load_uploader_settings
from hindsight.uploader.worker import UploadRunner

__all__ = ["FocusedGame", "GameFocus", "LibraryOutput", "PrivacyFacts"]

log = logging.getLogger(__name__)


class FocusedGame(Protocol):
    """The matched game that has focus: its map id and, where known, its process."""

    @property
    def game_id(self) -> str: ...

    @property
    def pid(self) -> int | None: ...


class GameFocus(Protocol):
    """What this output uses of the running recorder it is started with."""

    def focused_game(self) -> FocusedGame | None: ...


class PrivacyFacts:
    """Adds the contributor pseudonym and consent versions to a clip's manifest."""

    def __init__(self, library: ClipLibrary) -> None:
        self._library = library

    def contribute(self, span: ClipSpan) -> Contribution:
        try:
            dataset = self._library.consent(DATASET_PURPOSE)
            clips = self._library.consent(CLIPS_PURPOSE)
            # The pseudonym links one install's clips; only dataset consent needs that.
            contributor = self._library.contributor_id() if dataset.current else None
        except UploaderError as err:
            log.warning("privacy facts left empty: %s", err)
            return Contribution()
        return Contribution(
            consent=Consent(
                contributor=contributor,
                versions={
                    "clips": clips.version if clips.current else None,
                    "dataset": dataset.version if dataset.current else None,
                },
            )
        )


class LibraryOutput:
    """Registers saved clips and uploads them by policy; a ``RecorderOutput``."""

    name = "library"

    def __init__(
        self,
        settings_file: Path | None = None,
        *,
        library: ClipLibrary | None = None,
        config: UploadConfig | None = None,
    ) -> None:
        self.error: str | None = None
        self.library: ClipLibrary | None = library
        self.config: UploadConfig | None = config
        self.runner: UploadRunner | None = None
        self._recorder: GameFocus | None = None
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

    # ---- RecorderOutput --------------------------------------------------------------------

    def contributors(self) -> Sequence[BundleContributor]:
        return [PrivacyFacts(self.library)] if self.library is not None else []

    def start(self, recorder: GameFocus) -> None:
        """The recorder runs: start the background uploader (unless uploads are manual)."""
        self._recorder = recorder
        if self.library is None or self.config is None or self.config.target is None:
            return
        if self.config.policy != UploadPolicy.MANUAL:
            self.runner = UploadRunner(self.library, self.config)
            self.runner.start()

    def clip_saved(self, clip: SavedClip) -> None:
        """Runs on the saver thread after the rename: one short transaction, then hand-off."""
        if self.library is None:
            return
        try:
            record = self.library.register(Path(clip.path), clip.manifest)
            with self._lock:
                self._registered += 1
            # A passing fault (a full disk) is over once a clip registers again.
            self.error = None
            if self.runner is None or self.config is None:
                return
            if not self.library.consent(CLIPS_PURPOSE).current:
                return
            wait_pid = started_ms = None
            if self.config.policy == UploadPolicy.GAME_EXIT:
                wait_pid, started_ms = self._game_process(record.game_id)
            self.library.queue(record.id, wait_pid=wait_pid, wait_pid_started_ms=started_ms)
            self.runner.wake()
        except UploaderError as err:
            self.error = str(err)
            log.warning("clip %s saved but not added to the library: %s", clip.path, err)

    def stop(self) -> None:
        if self.runner is not None:
            self.runner.stop()
            self.runner = None
        if self.library is not None:
            self.library.close()

    def summary(self) -> str:
        """The one line a status display shows for the library."""
        return _summary(self.status())

    def status(self) -> dict[str, Any]:
        out: dict[str, Any] = {"error": self.error, "registered": self._registered}
        if self.library is not None:
            try:
                out["states"] = self.library.state_counts()
                out["consent_clips"] = self.library.consent(CLIPS_PURPOSE).current
            except UploaderError as err:
                out["error"] = str(err)
            if self.config is not None:
                out["policy"] = self.config.policy
                out["target"] = self.config.target.describe() if self.config.target else None
            if self.runner is not None:
                out["last_error"] = self.runner.last_error
        return out

    # ---- helpers -------------------------------------------------------------------------

    def _game_process(self, game_id: str) -> tuple[int | None, int | None]:
        """The pid (and start time) of the focused game when it is the clip's game."""
        game = self._recorder.focused_game() if self._recorder is not None else None
        if game is None or game.game_id != game_id or game.pid is None:
            return None, None
        try:
            return game.pid, int(psutil.Process(game.pid).create_time() * 1000)
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            return None, None


def _summary(status: dict[str, Any]) -> str:
    if status.get("error"):
        return f"off ({status['error']})"
    counts = sorted((status.get("states") or {}).items())
    states = ", ".join(f"{n} {state}" for state, n in counts) or "empty"
    policy = status.get("policy", UploadPolicy.MANUAL)
    line = f"{states}; uploads {policy} to {status.get('target') or 'no upload target'}"
    return line + ("" if status.get("consent_clips") else " (no consent: nothing is uploaded)")
