"""Deleting a clip: the row is marked first, then the local folder, then the uploaded objects.

The remote side is deleted manifest first, so a half-deleted clip never looks
complete to a data team. If the server cannot be reached the clip stays marked
``remote_delete_pending`` and the next upload run finishes the job.
"""

from __future__ import annotations

import logging
import shutil
from collections.abc import Callable
from dataclasses import dataclass

from hindsight.bundle import MANIFEST_FILE
from hindsight.uploader.config import UploadTarget
from hindsight.uploader.errors import TransportError, UploaderError
from hindsight.uploader.library import ClipLibrary, ClipRecord, RemotePlace
from hindsight.uploader.progress import UploadProgress
from hindsight.uploader.states import ClipState
from hindsight.uploader.transport import Transport, create_transport

__all__ = [
    "DeleteOutcome",
    "PlaceTransports",
    "delete_clip",
    "delete_remote",
    "finish_pending_deletes",
    "place_target",
]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DeleteOutcome:
    clip: ClipRecord
    local_deleted: bool
    remote_objects_deleted: int
    remote_error: str | None = None
    already_deleted: bool = False  # deleted before, with no bucket copy left to delete


def place_target(place: RemotePlace, like: UploadTarget | None = None) -> UploadTarget:
    """A target for the bucket a clip went to (region/profile from the current target when it is the
    same)."""
    if like is not None and like.bucket == place.bucket and like.endpoint_url == place.endpoint_url:
        return UploadTarget(
            bucket=place.bucket,
            prefix="",
            endpoint_url=place.endpoint_url,
            region=like.region,
            profile=like.profile,
        )
    return UploadTarget(bucket=place.bucket, prefix="", endpoint_url=place.endpoint_url)


class PlaceTransports:
    """The transport for each bucket clips went to, made once; ``current`` serves the current
    target's."""

    def __init__(
        self,
        target: UploadTarget | None,
        *,
        factory: Callable[[UploadTarget], Transport] = create_transport,
        current: Callable[[], Transport] | None = None,
    ) -> None:
        self._target = target
        self._factory = factory
        self._current = current
        self._made: dict[tuple[str | None, str], Transport] = {}

    def __call__(self, place: RemotePlace) -> Transport:
        key = (place.endpoint_url, place.bucket)
        if key not in self._made:
            target = self._target
            if (
                self._current is not None
                and target is not None
                and key == (target.endpoint_url, target.bucket)
            ):
                self._made[key] = self._current()
            else:
                self._made[key] = self._factory(place_target(place, target))
        return self._made[key]


def delete_remote(transport: Transport, place: RemotePlace) -> int:
    prefix = place.key_prefix.rstrip("/") + "/"
    for key, upload_id in transport.list_multipart_uploads(prefix):
        transport.abort_multipart(key, upload_id)
    keys = transport.list_keys(prefix)
    manifests = [k for k in keys if k.endswith(f"/{MANIFEST_FILE}")]
    transport.delete_objects(manifests)
    transport.delete_objects([k for k in keys if k not in manifests])
    return len(keys)


def delete_clip(
    library: ClipLibrary,
    clip: ClipRecord,
    transport_for: Callable[[RemotePlace], Transport],
    *,
    local_only: bool = False,
) -> DeleteOutcome:
    remote = clip.remote if not local_only else None
    library.mark_deleted(clip.id, remote_pending=remote is not None)
    local_deleted = False
    if clip.path.exists():
        try:
            shutil.rmtree(clip.path)
        except OSError as err:
            raise UploaderError(f"could not delete {clip.path}: {err.strerror or err}") from None
        local_deleted = True
    count, error = 0, None
    if remote is not None:
        try:
            count = delete_remote(transport_for(remote), remote)
        except TransportError as err:
            error = str(err)
            log.warning("the uploaded copy of clip %s is not deleted yet: %s", clip.short_id, err)
        else:
            library.mark_deleted(clip.id, remote_pending=False)
    UploadProgress(library).forget(clip.id)
    return DeleteOutcome(library.get(clip.id), local_deleted, count, error)


def finish_pending_deletes(
    library: ClipLibrary, transport_for: Callable[[RemotePlace], Transport]
) -> int:
    """Delete the uploaded copies a server outage left behind; returns how many clips were
    finished."""
    finished = 0
    for clip in library.clips((ClipState.DELETED,)):
        if not clip.remote_delete_pending or clip.remote is None:
            continue
        try:
            delete_remote(transport_for(clip.remote), clip.remote)
        except TransportError as err:
            log.warning("the uploaded copy of clip %s is still not deleted: %s", clip.short_id, err)
            continue
        library.mark_deleted(clip.id, remote_pending=False)
        finished += 1
    return finished
