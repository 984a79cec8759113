"""The clip library's schema: its migrations, in order, and the runner that applies them.

Each migration is a revision id and the SQL that brings the previous revision to it.
The runner applies every missing one inside the caller's write transaction, so two
processes opening an old library at once cannot both migrate it: the second waits
for the first's lock, then finds the schema at the head. SQLite's DDL is
transactional, so a migration cut short (a killed process, a full disk) leaves the
revision it started from.

The revision is kept in the table ``alembic_version``, under that name because the
libraries of earlier versions were migrated by Alembic: they open without a step.
The DDL is what Alembic wrote for the same revisions (``tests/uploader/data`` holds
libraries it made, and the tests compare their schema with this one's).

Times are integers with their unit in the name: ``*_ms`` are wall-clock epoch
milliseconds, because several processes (the recorder, a CLI) compare them.
``created_utc`` is the manifest's ISO text, kept for display and sorting.
"""

from __future__ import annotations

import sqlite3

from hindsight.uploader.errors import LibraryError

__all__ = ["HEAD_REVISION", "MIGRATIONS", "current_revision", "migrate"]

_REVISION_0001 = (
    """CREATE TABLE clips (
    id VARCHAR(36) NOT NULL,
    path TEXT NOT NULL,
    game_id VARCHAR(200) NOT NULL,
    game_title VARCHAR(200) NOT NULL,
    created_utc VARCHAR(40) NOT NULL,
    duration_ms INTEGER NOT NULL,
    frames INTEGER NOT NULL,
    bytes BIGINT NOT NULL,
    registered_ms BIGINT NOT NULL,
    state VARCHAR(16) NOT NULL,
    reason TEXT,
    attempts INTEGER NOT NULL,
    next_retry_ms BIGINT,
    uploaded_ms BIGINT,
    deleted_ms BIGINT,
    PRIMARY KEY (id)
)""",
    "CREATE INDEX ix_clips_created_utc ON clips (created_utc)",
    "CREATE INDEX ix_clips_state ON clips (state)",
    # One grant or withdrawal per row; the newest row per purpose is the current state.
    """CREATE TABLE consent_events (
    id INTEGER NOT NULL,
    purpose VARCHAR(32) NOT NULL,
    granted BOOLEAN NOT NULL,
    text_version VARCHAR(32) NOT NULL,
    t_ms BIGINT NOT NULL,
    PRIMARY KEY (id)
)""",
    "CREATE INDEX ix_consent_events_purpose ON consent_events (purpose)",
    """CREATE TABLE meta (
    "key" VARCHAR(64) NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY ("key")
)""",
)

# Resumable uploads: files and finished parts, leases, the game a clip waits for, and
# where the clip's objects went.
_REVISION_0002 = (
    "ALTER TABLE clips ADD COLUMN lease_owner VARCHAR(80)",
    "ALTER TABLE clips ADD COLUMN lease_until_ms BIGINT",
    "ALTER TABLE clips ADD COLUMN wait_pid INTEGER",
    "ALTER TABLE clips ADD COLUMN wait_pid_started_ms BIGINT",
    "ALTER TABLE clips ADD COLUMN remote_endpoint TEXT",
    "ALTER TABLE clips ADD COLUMN remote_bucket VARCHAR(63)",
    "ALTER TABLE clips ADD COLUMN remote_key_prefix TEXT",
    "ALTER TABLE clips ADD COLUMN remote_delete_pending BOOLEAN DEFAULT 0 NOT NULL",
    # One file of a clip on its way up; upload_id is its open multipart upload, if any.
    """CREATE TABLE upload_files (
    id INTEGER NOT NULL,
    clip_id VARCHAR(36) NOT NULL,
    position INTEGER NOT NULL,
    name VARCHAR(200) NOT NULL,
    "key" TEXT NOT NULL,
    size BIGINT NOT NULL,
    sha256 VARCHAR(64) NOT NULL,
    content_type VARCHAR(100) NOT NULL,
    upload_id TEXT,
    part_size BIGINT,
    done BOOLEAN NOT NULL,
    PRIMARY KEY (id),
    CONSTRAINT uq_upload_files_clip_name UNIQUE (clip_id, name),
    FOREIGN KEY(clip_id) REFERENCES clips (id) ON DELETE CASCADE
)""",
    "CREATE INDEX ix_upload_files_clip_id ON upload_files (clip_id)",
    # A multipart part the server confirmed; a resumed upload never sends it again.
    """CREATE TABLE upload_parts (
    file_id INTEGER NOT NULL,
    part_number INTEGER NOT NULL,
    etag VARCHAR(200) NOT NULL,
    sha256_b64 VARCHAR(64) NOT NULL,
    size BIGINT NOT NULL,
    PRIMARY KEY (file_id, part_number),
    FOREIGN KEY(file_id) REFERENCES upload_files (id) ON DELETE CASCADE
)""",
)

MIGRATIONS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("0001", _REVISION_0001),
    ("0002", _REVISION_0002),
)
HEAD_REVISION = MIGRATIONS[-1][0]

_VERSION_TABLE = """CREATE TABLE IF NOT EXISTS alembic_version (
    version_num VARCHAR(32) NOT NULL,
    CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num)
)"""


def current_revision(conn: sqlite3.Connection) -> str | None:
    """The schema's revision (None for an empty database)."""
    found = conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'alembic_version'"
    ).fetchone()
    if found is None:
        return None
    row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
    return None if row is None else str(row[0])


def migrate(conn: sqlite3.Connection, revision: str = "head", *, where: str = "") -> None:
    """Bring the schema to ``revision`` (default the newest), inside the caller's write
    transaction; a no-op when it is there already. Never goes down a revision."""
    order = [rev for rev, _ in MIGRATIONS]
    target = HEAD_REVISION if revision == "head" else revision
    if target not in order:
        raise ValueError(f"no library revision {revision!r} (known: {', '.join(order)})")
    current = current_revision(conn)
    if current is not None and current not in order:
        raise LibraryError(
            f"the clip library {where} has schema revision {current}, newer than this "
            f"Hindsight knows ({HEAD_REVISION}); update Hindsight to open it"
        )
    start = 0 if current is None else order.index(current) + 1
    stop = order.index(target) + 1
    if start >= stop:
        return
    conn.execute(_VERSION_TABLE)
    for _, statements in MIGRATIONS[start:stop]:
        for statement in statements:
            conn.execute(statement)
    conn.execute("DELETE FROM alembic_version")
    conn.execute("INSERT INTO alembic_version (version_num) VALUES (?)", (target,))
