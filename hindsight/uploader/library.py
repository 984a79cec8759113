"""The clip library: a repository over the database for clips, their upload state, and consent.

Every state change is one short transaction, and the ones that race between
processes (claiming a clip for upload) are single conditional UPDATEs, so the
recorder's background uploader and a ``hindsight upload`` in a terminal never take
the same clip. Multipart progress (files, open upload ids, finished parts) lives in
:mod:`hindsight.uploader.progress`.

Over 500 lines: every state transition of a clip is here, beside the others it races
with, so that the conditional UPDATEs can be read (and reviewed) together.
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar, cast

import sqlalchemy as sa
from sqlalchemy.engine import CursorResult, Engine
from sqlalchemy.exc import DatabaseError, IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from hindsight.bundle import MANIFEST_FILE, BundleError, Manifest
from hindsight.bundle import read_manifest as read_bundle_manifest
from hindsight.uploader.consent import ConsentState, consent_text
from hindsight.uploader.database import create_library_engine, explain_database_error
from hindsight.uploader.errors import ClipNotFound, UploaderError
from hindsight.uploader.models import ClipRow, ConsentEventRow, MetaRow
from hindsight.uploader.states import IN_FLIGHT, ClipState

T = TypeVar("T")

__all__ = ["ClipRecord", "RemotePlace", "ClipLibrary", "now_ms", "read_manifest"]

_MIN_PREFIX = 4


def now_ms() -> int:
    return time.time_ns() // 1_000_000


@dataclass(frozen=True)
class RemotePlace:
    """Where a clip's objects are (kept per clip, so a changed setting never loses track of
    them)."""

    endpoint_url: str | None
    bucket: str
    key_prefix: str  # <prefix>/<game-id>/<clip_id>


@dataclass(frozen=True)
class ClipRecord:
    id: str
    path: Path
    game_id: str
    game_title: str
    created_utc: str
    duration_ms: int
    frames: int
    bytes: int
    state: ClipState
    reason: str | None
    attempts: int
    next_retry_ms: int | None
    uploaded_ms: int | None
    deleted_ms: int | None
    wait_pid: int | None
    lease_owner: str | None
    remote: RemotePlace | None
    remote_delete_pending: bool

    @property
    def short_id(self) -> str:
        return self.id[:8]

    @classmethod
    def of(cls, row: ClipRow) -> ClipRecord:
        remote = (
            RemotePlace(row.remote_endpoint, row.remote_bucket, row.remote_key_prefix or "")
            if row.remote_bucket
            else None
        )
        return cls(
            id=row.id,
            path=Path(row.path),
            game_id=row.game_id,
            game_title=row.game_title,
            created_utc=row.created_utc,
            duration_ms=row.duration_ms,
            frames=row.frames,
            bytes=row.bytes,
            state=ClipState(row.state),
            reason=row.reason,
            attempts=row.attempts,
            next_retry_ms=row.next_retry_ms,
            uploaded_ms=row.uploaded_ms,
            deleted_ms=row.deleted_ms,
            wait_pid=row.wait_pid,
            lease_owner=row.lease_owner,
            remote=remote,
            remote_delete_pending=bool(row.remote_delete_pending),
        )


def _rowcount(result: sa.Result[Any]) -> int:
    """Rows an UPDATE matched (``execute`` is typed for SELECTs; an UPDATE gives a CursorResult)."""
    return cast(CursorResult[Any], result).rowcount


def read_manifest(folder: Path) -> Manifest:
    """A bundle's manifest, or an :class:`UploaderError` saying why the folder is not a clip."""
    try:
        return read_bundle_manifest(folder)
    except BundleError as err:
        raise UploaderError(str(err)) from None


class ClipLibrary:
    """The library database; safe to share between threads, and between processes on SQLite WAL."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._session = sessionmaker(engine, expire_on_commit=False)

    @classmethod
    def open(cls, url: str | None = None) -> ClipLibrary:
        return cls(create_library_engine(url))

    def close(self) -> None:
        self.engine.dispose()

    def _run(self, work: Callable[[Session], T], raw: tuple[type[Exception], ...] = ()) -> T:
        """Run ``work`` in one transaction; database failures become one clear LibraryError,
        except those of the ``raw`` types, which the caller handles."""
        try:
            with self._session.begin() as session:
                return work(session)
        except raw:
            raise
        except DatabaseError as err:
            raise explain_database_error(
                err, str(self.engine.url.render_as_string(hide_password=True))
            ) from None

    # ---- clips --------------------------------------------------------------------------

    def register(self, folder: Path, manifest: Manifest | None = None) -> ClipRecord:
        """Add a saved bundle (idempotent by clip id; a moved or renamed folder updates its path).

        ``manifest`` is the bundle's manifest when the caller holds it already (the recorder
        just wrote it); otherwise it is read from the folder.
        """
        folder = folder.resolve()
        manifest = manifest if manifest is not None else read_manifest(folder)
        size = manifest.total_bytes() + (folder / MANIFEST_FILE).stat().st_size

        def work(session: Session) -> ClipRecord:
            row = session.get(ClipRow, manifest.clip_id)
            if row is None:
                row = ClipRow(
                    id=manifest.clip_id,
                    path=str(folder),
                    game_id=manifest.game_id,
                    game_title=manifest.title,
                    created_utc=manifest.created_utc,
                    duration_ms=int(round(manifest.video.duration_s * 1000)),
                    frames=manifest.video.frames,
                    bytes=size,
                    registered_ms=now_ms(),
                    state=ClipState.LOCAL,
                    attempts=0,
                    remote_delete_pending=False,
                )
                session.add(row)
            elif row.path != str(folder):
                row.path = str(folder)
            return ClipRecord.of(row)

        try:
            return self._run(work, raw=(IntegrityError,))
        except IntegrityError:
            # Registered at the same moment elsewhere (the recorder's output and a library
            # window both see a new clip): the row is there now, so this is the update.
            return self._run(work)

    def scan(self, clips_dir: Path) -> list[ClipRecord]:
        """Register every bundle under ``clips_dir`` not known yet; returns the ones added.

        A folder whose path the library already holds is not read again: a list of 500
        known clips costs 500 directory entries, not 500 parsed manifests.
        """
        clips = self.clips()
        known = {c.id for c in clips}
        known_paths = {c.path for c in clips}
        added: list[ClipRecord] = []
        if not clips_dir.is_dir():
            return added
        for entry in sorted(clips_dir.iterdir()):
            if entry.name.startswith(".") or not (entry / MANIFEST_FILE).is_file():
                continue
            if entry.resolve() in known_paths:  # the library keeps resolved paths
                continue
            try:
                clip_id = read_manifest(entry).clip_id
            except UploaderError:
                continue
            if clip_id not in known:
                added.append(self.register(entry))
        return added

    def clips(
        self, states: Iterable[ClipState] | None = None, *, include_deleted: bool = True
    ) -> list[ClipRecord]:
        """Clips, newest first."""

        def work(session: Session) -> list[ClipRecord]:
            query = sa.select(ClipRow).order_by(ClipRow.created_utc.desc())
            if states is not None:
                query = query.where(ClipRow.state.in_(list(states)))
            elif not include_deleted:
                query = query.where(ClipRow.state != ClipState.DELETED)
            return [ClipRecord.of(r) for r in session.scalars(query)]

        return self._run(work)

    def state_counts(self) -> dict[ClipState, int]:
        """How many clips are in each state (one query, for status lines)."""
        return self._run(
            lambda s: {
                ClipState(state): n
                for state, n in s.execute(
                    sa.select(ClipRow.state, sa.func.count()).group_by(ClipRow.state)
                )
            }
        )

    def get(self, ref: str) -> ClipRecord:
        """A clip by id, by an unambiguous id prefix (4+ characters) or by its folder path."""
        ref = ref.strip()

        def work(session: Session) -> ClipRecord:
            row = session.get(ClipRow, ref)
            if row is not None:
                return ClipRecord.of(row)
            if os.sep in ref or Path(ref).exists():
                rows = list(
                    session.scalars(
                        sa.select(ClipRow).where(ClipRow.path == str(Path(ref).resolve()))
                    )
                )
            elif len(ref) >= _MIN_PREFIX:
                rows = list(
                    session.scalars(sa.select(ClipRow).where(ClipRow.id.startswith(ref.lower())))
                )
            else:
                raise ClipNotFound(
                    f"clip id {ref!r} is too short: give at least {_MIN_PREFIX} characters"
                )
            if len(rows) > 1:
                raise ClipNotFound(
                    f"clip id {ref!r} matches {len(rows)} clips; give more characters"
                )
            if not rows:
                raise ClipNotFound(f"no clip {ref!r} in the library (see `hindsight clips list`)")
            return ClipRecord.of(rows[0])

        return self._run(work)

    def _update(
        self, clip_id: str, where: sa.ColumnElement[bool] | None = None, **values: object
    ) -> bool:
        def work(session: Session) -> bool:
            stmt = sa.update(ClipRow).where(ClipRow.id == clip_id)
            if where is not None:
                stmt = stmt.where(where)
            return _rowcount(session.execute(stmt.values(**values))) == 1

        return self._run(work)

    def queue(
        self, clip_id: str, *, wait_pid: int | None = None, wait_pid_started_ms: int | None = None
    ) -> bool:
        """``local``/``failed`` -> ``queued`` (optionally held until process ``wait_pid`` exits)."""
        return self._update(
            clip_id,
            ClipRow.state.in_((ClipState.LOCAL, ClipState.FAILED)),
            state=ClipState.QUEUED,
            reason=None,
            next_retry_ms=None,
            wait_pid=wait_pid,
            wait_pid_started_ms=wait_pid_started_ms,
        )

    def unqueue_all(self, reason: str) -> int:
        """Every queued, uploading or failed clip back to ``local`` (consent withdrawn)."""

        def work(session: Session) -> int:
            stmt = (
                sa.update(ClipRow)
                .where(ClipRow.state.in_(IN_FLIGHT))
                .values(
                    state=ClipState.LOCAL,
                    reason=reason,
                    next_retry_ms=None,
                    lease_owner=None,
                    lease_until_ms=None,
                    wait_pid=None,
                )
            )
            return _rowcount(session.execute(stmt))

        return self._run(work)

    def _due(self, t_ms: int) -> sa.ColumnElement[bool]:
        return sa.or_(
            sa.and_(ClipRow.state == ClipState.QUEUED, ClipRow.wait_pid.is_(None)),
            sa.and_(
                ClipRow.state == ClipState.FAILED,
                ClipRow.next_retry_ms.is_not(None),
                ClipRow.next_retry_ms <= t_ms,
            ),
            sa.and_(
                ClipRow.state == ClipState.UPLOADING, ClipRow.lease_until_ms < t_ms
            ),  # its uploader died
        )

    def claim(
        self,
        owner: str,
        lease_s: float,
        *,
        clip_ids: Sequence[str] | None = None,
        include_failed: bool = False,
    ) -> ClipRecord | None:
        """Take the oldest due clip for upload under a lease, atomically across processes."""
        t = now_ms()
        due = self._due(t)
        if include_failed:
            due = sa.or_(due, ClipRow.state == ClipState.FAILED)
        candidates = sa.select(ClipRow.id).where(due).order_by(ClipRow.created_utc)
        if clip_ids is not None:
            candidates = candidates.where(ClipRow.id.in_(list(clip_ids)))
        for (clip_id,) in self._run(lambda s: list(s.execute(candidates))):
            taken = self._update(
                clip_id,
                due,
                state=ClipState.UPLOADING,
                lease_owner=owner,
                lease_until_ms=t + int(lease_s * 1000),
                reason=None,
            )
            if taken:
                return self.get(clip_id)
        return None

    def renew(self, clip_id: str, owner: str, lease_s: float) -> bool:
        """Extend the lease; False when the clip was taken away (withdrawn, deleted, re-claimed)."""
        return self._update(
            clip_id,
            sa.and_(ClipRow.state == ClipState.UPLOADING, ClipRow.lease_owner == owner),
            lease_until_ms=now_ms() + int(lease_s * 1000),
        )

    def expire_dead_leases(self, dead: Callable[[str], bool]) -> int:
        """End the leases of uploaders known to have died (``dead(owner)``), so their clips resume
        now."""
        rows = self._run(
            lambda s: [
                (r.id, r.lease_owner)
                for r in s.scalars(
                    sa.select(ClipRow).where(
                        ClipRow.state == ClipState.UPLOADING, ClipRow.lease_owner.is_not(None)
                    )
                )
            ]
        )
        expired = 0
        for clip_id, owner in rows:
            if owner is not None and dead(owner):
                expired += self._update(
                    clip_id,
                    sa.and_(ClipRow.state == ClipState.UPLOADING, ClipRow.lease_owner == owner),
                    lease_until_ms=0,
                )
        return expired

    def set_remote(self, clip_id: str, place: RemotePlace) -> None:
        self._update(
            clip_id,
            remote_endpoint=place.endpoint_url,
            remote_bucket=place.bucket,
            remote_key_prefix=place.key_prefix,
        )

    def clear_remote(self, clip_id: str) -> None:
        """Forget where a clip was going (its partly sent objects are removed)."""
        self._update(clip_id, remote_endpoint=None, remote_bucket=None, remote_key_prefix=None)

    def mark_uploaded(self, clip_id: str, owner: str | None = None) -> bool:
        where = ClipRow.lease_owner == owner if owner else None
        return self._update(
            clip_id,
            where,
            state=ClipState.UPLOADED,
            reason=None,
            next_retry_ms=None,
            uploaded_ms=now_ms(),
            lease_owner=None,
            lease_until_ms=None,
        )

    def mark_failed(
        self, clip_id: str, owner: str | None, reason: str, next_retry_ms: int | None
    ) -> bool:
        where = (
            sa.and_(ClipRow.state == ClipState.UPLOADING, ClipRow.lease_owner == owner)
            if owner
            else None
        )
        return self._update(
            clip_id,
            where,
            state=ClipState.FAILED,
            reason=reason,
            next_retry_ms=next_retry_ms,
            attempts=ClipRow.attempts + 1,
            lease_owner=None,
            lease_until_ms=None,
        )

    def mark_local(self, clip_id: str, reason: str | None = None) -> bool:
        return self._update(
            clip_id,
            state=ClipState.LOCAL,
            reason=reason,
            next_retry_ms=None,
            lease_owner=None,
            lease_until_ms=None,
            wait_pid=None,
        )

    def mark_deleted(
        self, clip_id: str, *, remote_pending: bool, reason: str | None = None
    ) -> bool:
        return self._update(
            clip_id,
            state=ClipState.DELETED,
            deleted_ms=now_ms(),
            remote_delete_pending=remote_pending,
            reason=reason,
            next_retry_ms=None,
            lease_owner=None,
            lease_until_ms=None,
        )

    def release_waits(self, alive: Callable[[int, int | None], bool]) -> int:
        """Queue clips whose game has exited; ``alive(pid, started_ms)`` says if it still runs."""
        waiting = self._run(
            lambda s: [
                (r.id, r.wait_pid, r.wait_pid_started_ms)
                for r in s.scalars(
                    sa.select(ClipRow).where(
                        ClipRow.state == ClipState.QUEUED, ClipRow.wait_pid.is_not(None)
                    )
                )
            ]
        )
        released = 0
        for clip_id, pid, started_ms in waiting:
            if pid is not None and not alive(pid, started_ms):
                released += self._update(
                    clip_id,
                    ClipRow.state == ClipState.QUEUED,
                    wait_pid=None,
                    wait_pid_started_ms=None,
                )
        return released

    def next_due_ms(self) -> int | None:
        """When the next failed clip is due for a retry (None if none is waiting)."""
        return self._run(
            lambda s: s.scalar(
                sa.select(sa.func.min(ClipRow.next_retry_ms)).where(
                    ClipRow.state == ClipState.FAILED
                )
            )
        )

    # ---- consent and meta -------------------------------------------------------------

    def consent(self, purpose: str) -> ConsentState:
        consent_text(purpose)  # validates the purpose

        def work(session: Session) -> ConsentState:
            row = session.scalar(
                sa.select(ConsentEventRow)
                .where(ConsentEventRow.purpose == purpose)
                .order_by(ConsentEventRow.id.desc())
                .limit(1)
            )
            if row is None:
                return ConsentState(purpose=purpose, granted=False)
            return ConsentState(
                purpose=purpose, granted=row.granted, version=row.text_version, t_ms=row.t_ms
            )

        return self._run(work)

    def record_consent(self, purpose: str, granted: bool) -> ConsentState:
        version = consent_text(purpose).version
        t = now_ms()
        self._run(
            lambda s: s.add(
                ConsentEventRow(purpose=purpose, granted=granted, text_version=version, t_ms=t)
            )
        )
        return ConsentState(purpose=purpose, granted=granted, version=version, t_ms=t)

    def consent_history(self) -> list[ConsentState]:
        return self._run(
            lambda s: [
                ConsentState(
                    purpose=r.purpose, granted=r.granted, version=r.text_version, t_ms=r.t_ms
                )
                for r in s.scalars(sa.select(ConsentEventRow).order_by(ConsentEventRow.id))
            ]
        )

    def contributor_id(self) -> str:
        """This install's random pseudonym, made on first use; it names no person or account."""

        def work(session: Session) -> str:
            row = session.get(MetaRow, "contributor_id")
            if row is None:
                row = MetaRow(key="contributor_id", value=str(uuid.uuid4()))
                session.add(row)
            return row.value

        return self._run(work)
