"""What a command or the tray asks of the clip library and the uploader, decided once.

``hindsight upload``, ``hindsight clips`` and ``hindsight consent`` parse their
arguments, call a function here and print its typed result; the desktop app calls the
same functions, so withdrawing consent, choosing the clips an upload takes, deleting a
clip and repairing the library behave the same wherever they are asked for.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hindsight.uploader.config import UploadConfig
from hindsight.uploader.consent import ConsentState
from hindsight.uploader.database import default_library_url, sqlite_path
from hindsight.uploader.deletion import (
    DeleteOutcome,
    PlaceTransports,
    delete_clip,
    delete_remote,
    finish_pending_deletes,
)
from hindsight.uploader.errors import UploaderError, UploadGone
from hindsight.uploader.library import ClipLibrary, ClipRecord, RemotePlace
from hindsight.uploader.progress import UploadProgress
from hindsight.uploader.settings import (
    build_upload_config,
    clips_dir,
    library_url,
    load_uploader_settings,
)
from hindsight.uploader.states import FINISHED, IN_FLIGHT, UPLOADABLE, WITHDRAWN_REASON, ClipState
from hindsight.uploader.transport import Transport
from hindsight.uploader.worker import Outcome, UploadRunner, owner_dead, require_consent

__all__ = [
    "Repair",
    "UploadChoice",
    "Withdrawal",
    "choose_upload",
    "clip_folder",
    "delete_clips",
    "grant_consent",
    "open_library",
    "place_transports",
    "repair_library",
    "require_consent",
    "run_upload",
    "sync_library",
    "upload_config",
    "withdraw_consent",
]

TransportFor = Callable[[RemotePlace], Transport]


# ---- the library and the target, from settings -------------------------------------------


def open_library(settings_file: Path | None = None) -> ClipLibrary:
    """The clip library the settings name (``[library] url``, else the default SQLite file)."""
    return ClipLibrary.open(library_url(load_uploader_settings(settings_file)["library"]))


def sync_library(library: ClipLibrary, settings_file: Path | None = None) -> list[ClipRecord]:
    """Register the bundles in the clips folder the library has not seen; returns them.

    Clips saved while no library was attached (``--no-library``, a damaged database, a
    copy from another machine) become known this way.
    """
    return library.scan(clips_dir(settings_file))


def upload_config(
    overrides: Mapping[str, Any] | None = None, settings_file: Path | None = None
) -> UploadConfig:
    """The ``[upload]`` settings with ``overrides`` (None values: not given) on top."""
    settings = load_uploader_settings(settings_file)["upload"]
    return build_upload_config(overrides or {}, settings)


def place_transports(settings_file: Path | None = None) -> PlaceTransports:
    """A transport for each bucket the library's clips went to (credentials as for uploads)."""
    return PlaceTransports(upload_config(None, settings_file).target)


def clip_folder(library: ClipLibrary, ref: str) -> Path:
    """The folder of a clip named by id, id prefix or folder; an error says when it is gone."""
    clip = library.get(ref)
    if not clip.path.is_dir():
        raise UploaderError(f"the folder of clip {clip.short_id} is gone: {clip.path}")
    return clip.path


# ---- consent ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Withdrawal:
    """What withdrawing a consent changed."""

    consent: ConsentState
    stopped: int
    """Clips that were queued, uploading or waiting for a retry, now back to ``local``."""
    cleaned: int
    """Clips whose partly uploaded objects were removed from the bucket here."""
    left_behind: tuple[str, ...] = ()
    """Why some partly uploaded objects could not be removed now (one line per clip)."""


def grant_consent(library: ClipLibrary, purpose: str) -> ConsentState:
    """Record agreement to ``purpose`` for the text as it is now."""
    return library.record_consent(purpose, True)


def withdraw_consent(
    library: ClipLibrary,
    purpose: str,
    *,
    transport_for: TransportFor | None = None,
    settings_file: Path | None = None,
) -> Withdrawal:
    """Record the withdrawal; for ``clips`` also stop every upload and remove partial data.

    Nothing queued leaves any more. An upload another process is running right now
    hears of the withdrawal through the library within a second, stops and removes what
    it sent itself; for every other clip that had started going up (a killed upload, a
    retry waiting for its time) the open multipart uploads are aborted and the objects
    already sent are deleted here. A server that cannot be reached leaves those objects
    for a later withdrawal and says so in ``left_behind``; the withdrawal itself holds.
    """
    consent = library.record_consent(purpose, False)
    if purpose != "clips":
        return Withdrawal(consent, 0, 0)
    # Read before the rows are reset: the lease says whose upload is running now.
    started = [c for c in library.clips((*IN_FLIGHT, ClipState.LOCAL)) if c.remote is not None]
    stopped = library.unqueue_all(WITHDRAWN_REASON)
    partial = [c for c in started if not _uploading_elsewhere(c)]
    if not partial:
        return Withdrawal(consent, stopped, 0)
    cleaned, left_behind = 0, []
    try:
        transports = transport_for or place_transports(settings_file)
    except UploaderError as err:
        return Withdrawal(consent, stopped, 0, tuple(f"{c.short_id}: {err}" for c in partial))
    for clip in partial:
        try:
            _remove_partial(library, clip, transports)
        except UploaderError as err:
            left_behind.append(f"{clip.short_id}: {err}")
        else:
            cleaned += 1
    return Withdrawal(consent, stopped, cleaned, tuple(left_behind))


def _uploading_elsewhere(clip: ClipRecord) -> bool:
    """Whether a live uploader holds the clip (it cleans up after itself when it stops)."""
    return (
        clip.state == ClipState.UPLOADING
        and clip.lease_owner is not None
        and not owner_dead(clip.lease_owner)
    )


def _remove_partial(library: ClipLibrary, clip: ClipRecord, transport_for: TransportFor) -> None:
    assert clip.remote is not None
    transport = transport_for(clip.remote)
    progress = UploadProgress(library)
    for key, upload_id in progress.open_uploads(clip.id):
        try:
            transport.abort_multipart(key, upload_id)
        except UploadGone:
            pass  # the server has forgotten it already
    delete_remote(transport, clip.remote)  # also aborts uploads the library never heard of
    progress.forget(clip.id)
    library.clear_remote(clip.id)


# ---- upload -------------------------------------------------------------------------------


@dataclass(frozen=True)
class UploadChoice:
    """The clips an upload takes."""

    clip_ids: tuple[str, ...] | None
    """The clips named (None: whatever is queued or waiting for a retry)."""
    pending: tuple[ClipRecord, ...]
    """What the upload will send now, for a progress display."""
    finished: tuple[ClipRecord, ...] = ()
    """Clips named that are uploaded or deleted already (nothing to do for them)."""

    @property
    def nothing_named_to_do(self) -> bool:
        """Clips were named and none of them needs uploading."""
        return self.clip_ids is not None and not self.clip_ids

    @property
    def bytes(self) -> int:
        return sum(c.bytes for c in self.pending)


def choose_upload(
    library: ClipLibrary, refs: Sequence[str] = (), *, all_clips: bool = False
) -> UploadChoice:
    """Queue the clips named by ``refs`` (ids, id prefixes, folders), or every clip not
    uploaded yet with ``all_clips``; with neither, the upload takes what is queued.

    Without a current ``clips`` consent this raises :class:`ConsentRequired` before
    anything is queued. An unknown ref raises :class:`ClipNotFound`, also before anything
    is queued.
    """
    require_consent(library)
    clip_ids: tuple[str, ...] | None = None
    finished: tuple[ClipRecord, ...] = ()
    if refs or all_clips:
        chosen = [library.get(ref) for ref in refs] if refs else library.clips(UPLOADABLE)
        for clip in chosen:
            if clip.state in (ClipState.LOCAL, ClipState.FAILED):
                library.queue(clip.id)
        clip_ids = tuple(c.id for c in chosen if c.state not in FINISHED)
        finished = tuple(c for c in chosen if c.state in FINISHED)
    pending = tuple(c for c in library.clips(IN_FLIGHT) if clip_ids is None or c.id in clip_ids)
    return UploadChoice(clip_ids, pending, finished)


def run_upload(
    library: ClipLibrary,
    config: UploadConfig,
    choice: UploadChoice,
    *,
    retry_for_s: float = 0.0,
    on_bytes: Callable[[int], None] = lambda n: None,
) -> list[Outcome]:
    """Upload what ``choice`` names now; a failing server is retried for ``retry_for_s``.

    Clips that failed earlier are tried at once, not after their backoff: the user asked.
    Bucket copies of deleted clips that an outage left behind are deleted first.
    """
    if choice.nothing_named_to_do:
        return []
    runner = UploadRunner(library, config, on_bytes=on_bytes)
    # The runner's transport serves the deletes in its own bucket: one client, one connection pool.
    transports = PlaceTransports(config.target, current=lambda: runner.transport)
    finish_pending_deletes(library, transports)
    return runner.run_until_idle(choice.clip_ids, include_failed=True, retry_for_s=retry_for_s)


# ---- delete and repair --------------------------------------------------------------------


def delete_clips(
    library: ClipLibrary,
    clips: Sequence[ClipRecord],
    *,
    local_only: bool = False,
    transport_for: TransportFor | None = None,
    settings_file: Path | None = None,
) -> list[DeleteOutcome]:
    """Delete each clip here and, unless ``local_only``, its uploaded copy.

    A clip deleted before (with no bucket copy left to delete) is reported with
    ``already_deleted``. An unreachable server leaves ``remote_error`` set and the clip
    marked, so the next upload run finishes the job.
    """
    transports = transport_for or place_transports(settings_file)
    outcomes = []
    for clip in clips:
        if clip.state == ClipState.DELETED and not clip.remote_delete_pending:
            outcomes.append(DeleteOutcome(clip, False, 0, already_deleted=True))
            continue
        outcomes.append(delete_clip(library, clip, transports, local_only=local_only))
    return outcomes


@dataclass(frozen=True)
class Repair:
    """What rebuilding the library did."""

    database: Path
    set_aside: Path | None
    """Where the damaged database went (None: there was none)."""
    clips_dir: Path
    added: tuple[ClipRecord, ...]


def repair_library(settings_file: Path | None = None) -> Repair:
    """Set a damaged SQLite library aside (with its WAL files) and rebuild it from the clips folder.

    The clips themselves are never touched. Clips uploaded before come back as ``local``;
    the next upload finds their manifest in the bucket and sends nothing again.
    """
    url = library_url(load_uploader_settings(settings_file)["library"])
    path = sqlite_path(url or default_library_url())
    if path is None:
        raise UploaderError(
            "`hindsight clips repair` repairs a library file; this library is in memory"
        )
    aside = None
    if path.exists():
        aside = path.with_name(f"{path.name}.damaged-{time.strftime('%Y%m%d-%H%M%S')}")
        path.rename(aside)
        for suffix in ("-wal", "-shm"):
            extra = path.with_name(path.name + suffix)
            if extra.exists():
                extra.rename(aside.with_name(aside.name + suffix))
    library = ClipLibrary.open(url)
    try:
        added = sync_library(library, settings_file)
    finally:
        library.close()
    return Repair(path, aside, clips_dir(settings_file), tuple(added))
