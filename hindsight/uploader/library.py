"""The clip library: a repository over the database for clips, their upload state, and consent.

Every state change is one short transaction, and the ones that race between
processes (claiming a clip for upload) are single conditional UPDATEs, so the
recorder's background uploader and a ``hindsight upload`` in a terminal never take
the same clip. Multipart progress (files, open upload ids, finished parts) lives in
:mod:`hindsight.uploader.progress`; the schema in :mod:`hindsight.uploader.schema`.

Over 500 lines: every state transition of a clip is here, beside the others it races
with, so that the conditional UPDATEs can be read (and reviewed) together.
"""

from __future__ import annotations

import os
import sqlite3
import time
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from hindsight.bundle import MANIFEST_FILE, BundleError, Manifest
from hindsight.bundle import read_manifest as read_bundle_manifest
from hindsight.uploader.consent import ConsentState, consent_text
from hindsight.uploader.database import Database, open_database
from hindsight.uploader.errors import ClipNotFound, UploaderError
from hindsight.uploader.states import IN_FLIGHT, ClipState

__all__ = ["ClipRecord", "RemotePlace", "ClipLibrary", "now_ms", "read_manifest"]

_MIN_PREFIX = 4

# The states as SQL literals, spelled by ClipState so the queries cannot drift from it.
_LOCAL, _QUEUED, _UPLOADING, _FAILED = (
    f"'{s.value}'"
    for s in (ClipState.LOCAL, ClipState.QUEUED, ClipState.UPLOADING, ClipState.FAILED)
)
# Which clips an uploader may take now (``:t`` is now_ms): queued and not held for a
# game, failed and due for a retry, or uploading under a lease that ran out (its
# uploader died).
_DUE = (
    f"((state = {_QUEUED} AND wait_pid IS NULL)"
    f" OR (state = {_FAILED} AND next_retry_ms IS NOT NULL AND next_retry_ms <= :t)"
    f" OR (state = {_UPLOADING} AND lease_until_ms < :t))"
)
# The clip is still being uploaded under ``:owner``'s lease.
_LEASED_TO_OWNER = f"state = {_UPLOADING} AND lease_owner = :owner"


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
    def of(cls, row: sqlite3.Row) -> ClipRecord:
        remote = (
            RemotePlace(
                row["remote_endpoint"], row["remote_bucket"], row["remote_key_prefix"] or ""
            )
            if row["remote_bucket"]
            else None
        )
        return cls(
            id=row["id"],
            path=Path(row["path"]),
            game_id=row["game_id"],
            game_title=row["game_title"],
            created_utc=row["created_utc"],
            duration_ms=row["duration_ms"],
            frames=row["frames"],
            bytes=row["bytes"],
            state=ClipState(row["state"]),
            reason=row["reason"],
            attempts=row["attempts"],
            next_retry_ms=row["next_retry_ms"],
            uploaded_ms=row["uploaded_ms"],
            deleted_ms=row["deleted_ms"],
            wait_pid=row["wait_pid"],
            lease_owner=row["lease_owner"],
            remote=remote,
            remote_delete_pending=bool(row["remote_delete_pending"]),
        )


def read_manifest(folder: Path) -> Manifest:
    """A bundle's manifest, or an :class:`UploaderError` saying why the folder is not a clip."""
    try:
        return read_bundle_manifest(folder)
    except BundleError as err:
        raise UploaderError(str(err)) from None


def _select_clips(
    conn: sqlite3.Connection, where: str, params: Mapping[str, object] | Sequence[object] = ()
) -> list[ClipRecord]:
    return [ClipRecord.of(r) for r in conn.execute(f"SELECT * FROM clips WHERE {where}", params)]


class ClipLibrary:
    """The library database; safe to share between threads, and between processes on SQLite WAL."""

    def __init__(self, database: Database) -> None:
        self.database = database

    @classmethod
    def open(cls, url: str | None = None) -> ClipLibrary:
        return cls(open_database(url))

    @property
    def url(self) -> str:
        return self.database.url

    def close(self) -> None:
        self.database.close()

    # ---- clips --------------------------------------------------------------------------

    def register(self, folder: Path, manifest: Manifest | None = None) -> ClipRecord:
        """Add a saved bundle (idempotent by clip id; a moved or renamed folder updates its path).

        ``manifest`` is the bundle's manifest when the caller holds it already (the recorder
        just wrote it); otherwise it is read from the folder.
        """
        folder = folder.resolve()
        manifest = manifest if manifest is not None else read_manifest(folder)
        size = manifest.total_bytes() + (folder / MANIFEST_FILE).stat().st_size
        clip_id = manifest.clip_id

        # One write transaction: a clip registered at the same moment elsewhere (the
        # recorder's output and a library window both see a new clip) waits for it, then
        # finds the row and updates its path.
        def work(conn: sqlite3.Connection) -> ClipRecord:
            conn.execute(
                "INSERT INTO clips (id, path, game_id, game_title, created_utc, duration_ms,"
                " frames, bytes, registered_ms, state, attempts, remote_delete_pending)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, 0)"
                " ON CONFLICT (id) DO UPDATE SET path = excluded.path"
                " WHERE path != excluded.path",
                (
                    clip_id,
                    str(folder),
                    manifest.game_id,
                    manifest.title,
                    manifest.created_utc,
                    int(round(manifest.video.duration_s * 1000)),
                    manifest.video.frames,
                    size,
                    now_ms(),
                    ClipState.LOCAL.value,
                ),
            )
            return _select_clips(conn, "id = ?", (clip_id,))[0]

        return self.database.write(work)

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
        if states is not None:
            params = [ClipState(s).value for s in states]
            where = f"state IN ({', '.join('?' * len(params))})" if params else "0"
        elif not include_deleted:
            where, params = "state != ?", [ClipState.DELETED.value]
        else:
            where, params = "1", []
        return self.database.read(
            lambda conn: _select_clips(conn, f"{where} ORDER BY created_utc DESC", params)
        )

    def state_counts(self) -> dict[ClipState, int]:
        """How many clips are in each state (one query, for status lines)."""
        return self.database.read(
            lambda conn: {
                ClipState(state): n
                for state, n in conn.execute("SELECT state, count(*) FROM clips GROUP BY state")
            }
        )

    def get(self, ref: str) -> ClipRecord:
        """A clip by id, by an unambiguous id prefix (4+ characters) or by its folder path."""
        ref = ref.strip()

        def work(conn: sqlite3.Connection) -> ClipRecord:
            rows = _select_clips(conn, "id = ?", (ref,))
            if rows:
                return rows[0]
            if os.sep in ref or Path(ref).exists():
                rows = _select_clips(conn, "path = ?", (str(Path(ref).resolve()),))
            elif len(ref) >= _MIN_PREFIX:
                # substr, not LIKE: an id prefix is matched as typed, '%' and '_' included.
                prefix = ref.lower()
                rows = _select_clips(conn, "substr(id, 1, ?) = ?", (len(prefix), prefix))
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
            return rows[0]

        return self.database.read(work)

    def _update(
        self,
        clip_id: str,
        where: str | None = None,
        params: Mapping[str, object] | None = None,
        /,
        **values: object,
    ) -> bool:
        """``UPDATE clips SET <values> WHERE id = <clip_id> AND <where>``: True when it matched.

        ``where`` is SQL written in this module with ``:name`` parameters from ``params``;
        the column names in ``values`` come from this module too, never from input.
        """
        assignments = ", ".join(f"{column} = :set_{column}" for column in values)
        bound: dict[str, object] = {f"set_{column}": v for column, v in values.items()}
        bound.update(params or {})
        bound["clip_id"] = clip_id
        sql = f"UPDATE clips SET {assignments} WHERE id = :clip_id"
        if where is not None:
            sql += f" AND ({where})"
        return self.database.write(lambda conn: conn.execute(sql, bound).rowcount == 1)

    def queue(
        self, clip_id: str, *, wait_pid: int | None = None, wait_pid_started_ms: int | None = None
    ) -> bool:
        """``local``/``failed`` -> ``queued`` (optionally held until process ``wait_pid`` exits)."""
        return self._update(
            clip_id,
            f"state IN ({_LOCAL}, {_FAILED})",
            None,
            state=ClipState.QUEUED.value,
            reason=None,
            next_retry_ms=None,
            wait_pid=wait_pid,
            wait_pid_started_ms=wait_pid_started_ms,
        )

    def unqueue_all(self, reason: str) -> int:
        """Every queued, uploading or failed clip back to ``local`` (consent withdrawn)."""
        in_flight = [s.value for s in IN_FLIGHT]
        marks = ", ".join("?" * len(in_flight))
        return self.database.write(
            lambda conn: (
                conn.execute(
                    "UPDATE clips SET state = ?, reason = ?, next_retry_ms = NULL,"
                    " lease_owner = NULL, lease_until_ms = NULL, wait_pid = NULL"
                    f" WHERE state IN ({marks})",
                    [ClipState.LOCAL.value, reason, *in_flight],
                ).rowcount
            )
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
        due = f"({_DUE} OR state = {_FAILED})" if include_failed else _DUE
        params: dict[str, object] = {"t": t}
        query = f"SELECT id FROM clips WHERE {due}"
        if clip_ids is not None:
            marks = ", ".join(f":id{n}" for n in range(len(clip_ids)))
            query += f" AND id IN ({marks})"
            params.update({f"id{n}": clip_id for n, clip_id in enumerate(clip_ids)})
        candidates = self.database.read(
            lambda conn: [r[0] for r in conn.execute(query + " ORDER BY created_utc", params)]
        )
        for clip_id in candidates:
            taken = self._update(
                clip_id,
                due,
                {"t": t},
                state=ClipState.UPLOADING.value,
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
            _LEASED_TO_OWNER,
            {"owner": owner},
            lease_until_ms=now_ms() + int(lease_s * 1000),
        )

    def expire_dead_leases(self, dead: Callable[[str], bool]) -> int:
        """End the leases of uploaders known to have died (``dead(owner)``), so their clips resume
        now."""
        rows = self.database.read(
            lambda conn: conn.execute(
                "SELECT id, lease_owner FROM clips"
                f" WHERE state = {_UPLOADING} AND lease_owner IS NOT NULL"
            ).fetchall()
        )
        expired = 0
        for clip_id, owner in rows:
            if dead(owner):
                expired += self._update(
                    clip_id,
                    _LEASED_TO_OWNER,
                    {"owner": owner},
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
        return self._update(
            clip_id,
            "lease_owner = :owner" if owner else None,
            {"owner": owner},
            state=ClipState.UPLOADED.value,
            reason=None,
            next_retry_ms=None,
            uploaded_ms=now_ms(),
            lease_owner=None,
            lease_until_ms=None,
        )

    def mark_failed(
        self, clip_id: str, owner: str | None, reason: str, next_retry_ms: int | None
    ) -> bool:
        where = _LEASED_TO_OWNER if owner else ""
        # attempts + 1 is computed by the UPDATE itself, so two failures never count once.
        sql = (
            "UPDATE clips SET state = :state, reason = :reason, next_retry_ms = :next,"
            " attempts = attempts + 1, lease_owner = NULL, lease_until_ms = NULL"
            " WHERE id = :clip_id" + (f" AND ({where})" if where else "")
        )
        params = {
            "state": ClipState.FAILED.value,
            "reason": reason,
            "next": next_retry_ms,
            "clip_id": clip_id,
            "owner": owner,
        }
        return self.database.write(lambda conn: conn.execute(sql, params).rowcount == 1)

    def mark_local(self, clip_id: str, reason: str | None = None) -> bool:
        return self._update(
            clip_id,
            state=ClipState.LOCAL.value,
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
            state=ClipState.DELETED.value,
            deleted_ms=now_ms(),
            remote_delete_pending=remote_pending,
            reason=reason,
            next_retry_ms=None,
            lease_owner=None,
            lease_until_ms=None,
        )

    def release_waits(self, alive: Callable[[int, int | None], bool]) -> int:
        """Queue clips whose game has exited; ``alive(pid, started_ms)`` says if it still runs."""
        waiting = self.database.read(
            lambda conn: conn.execute(
                "SELECT id, wait_pid, wait_pid_started_ms FROM clips"
                f" WHERE state = {_QUEUED} AND wait_pid IS NOT NULL"
            ).fetchall()
        )
        released = 0
        for clip_id, pid, started_ms in waiting:
            if not alive(pid, started_ms):
                released += self._update(
                    clip_id,
                    f"state = {_QUEUED}",
                    None,
                    wait_pid=None,
                    wait_pid_started_ms=None,
                )
        return released

    def next_due_ms(self) -> int | None:
        """When the next failed clip is due for a retry (None if none is waiting)."""
        return self.database.read(
            lambda conn: conn.execute(
                f"SELECT min(next_retry_ms) FROM clips WHERE state = {_FAILED}"
            ).fetchone()[0]
        )

    # ---- consent and meta -------------------------------------------------------------

    def consent(self, purpose: str) -> ConsentState:
        consent_text(purpose)  # validates the purpose
        row = self.database.read(
            lambda conn: conn.execute(
                "SELECT granted, text_version, t_ms FROM consent_events WHERE purpose = ?"
                " ORDER BY id DESC LIMIT 1",
                (purpose,),
            ).fetchone()
        )
        if row is None:
            return ConsentState(purpose=purpose, granted=False)
        return ConsentState(purpose=purpose, granted=bool(row[0]), version=row[1], t_ms=row[2])

    def record_consent(self, purpose: str, granted: bool) -> ConsentState:
        version = consent_text(purpose).version
        t = now_ms()
        self.database.write(
            lambda conn: conn.execute(
                "INSERT INTO consent_events (purpose, granted, text_version, t_ms)"
                " VALUES (?, ?, ?, ?)",
                (purpose, granted, version, t),
            )
        )
        return ConsentState(purpose=purpose, granted=granted, version=version, t_ms=t)

    def consent_history(self) -> list[ConsentState]:
        return self.database.read(
            lambda conn: [
                ConsentState(purpose=r[0], granted=bool(r[1]), version=r[2], t_ms=r[3])
                for r in conn.execute(
                    "SELECT purpose, granted, text_version, t_ms FROM consent_events ORDER BY id"
                )
            ]
        )

    def contributor_id(self) -> str:
        """This install's random pseudonym, made on first use; it names no person or account."""

        def work(conn: sqlite3.Connection) -> str:
            conn.execute(
                "INSERT INTO meta (\"key\", value) VALUES ('contributor_id', ?)"
                ' ON CONFLICT ("key") DO NOTHING',
                (str(uuid.uuid4()),),
            )
            row = conn.execute("SELECT value FROM meta WHERE \"key\" = 'contributor_id'")
            return str(row.fetchone()[0])

        return self.database.write(work)
