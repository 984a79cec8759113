"""Opening the clip library database: engine, SQLite pragmas, migrations, damage checks.

The default is SQLite in the user data folder, in WAL mode with a busy timeout, so
the recorder and a CLI process can use it at once. Any SQLAlchemy URL works. The
schema is brought to the newest migration on open; a damaged SQLite file is
reported as :class:`LibraryCorrupt` (with what to do), never silently replaced.
"""

from __future__ import annotations

import logging
import sqlite3
import time
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DatabaseError, OperationalError

from hindsight.paths import data_dir
from hindsight.uploader.errors import LibraryCorrupt, LibraryError

__all__ = [
    "HEAD_REVISION",
    "default_library_url",
    "create_library_engine",
    "migrate",
    "current_revision",
    "explain_database_error",
    "sqlite_path",
]

log = logging.getLogger(__name__)

HEAD_REVISION = "0002"
_MIGRATIONS = Path(__file__).with_name("migrations")
_BUSY_TIMEOUT_MS = 15_000
_DAMAGED = ("file is not a database", "malformed", "disk image", "file is encrypted")


def default_library_url() -> str:
    return f"sqlite:///{data_dir() / 'library.db'}"


def sqlite_path(url: str | sa.URL) -> Path | None:
    """The file behind a SQLite URL (None for other databases and in-memory SQLite)."""
    parsed = sa.make_url(url)
    if (
        parsed.get_backend_name() != "sqlite"
        or not parsed.database
        or parsed.database == ":memory:"
    ):
        return None
    return Path(parsed.database)


def create_library_engine(url: str | None = None, *, migrate_schema: bool = True) -> Engine:
    """An engine on the library at ``url`` (default: SQLite in the data folder), migrated to the
    head."""
    url = url or default_library_url()
    try:
        parsed = sa.make_url(url)
    except sa.exc.ArgumentError:
        raise LibraryError(
            f"library url {url!r} is not a database URL (e.g. sqlite:///path/library.db)"
        ) from None
    path = sqlite_path(parsed)
    if path is not None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as err:
            raise LibraryError(
                f"cannot create the library folder {path.parent}: {err.strerror}"
            ) from None
    try:
        engine = sa.create_engine(
            parsed,
            connect_args={"timeout": _BUSY_TIMEOUT_MS / 1000, "check_same_thread": False}
            if path
            else {},
        )
    except (ImportError, sa.exc.ArgumentError) as err:
        raise LibraryError(
            f"library url {parsed.render_as_string(hide_password=True)}: {err}"
        ) from None
    if parsed.get_backend_name() == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    where = str(path) if path else parsed.render_as_string(hide_password=True)
    try:
        if path is not None:
            _check_sqlite(engine, path)
        if migrate_schema:
            migrate(engine)
    except DatabaseError as err:
        engine.dispose()
        raise explain_database_error(err, where) from None
    return engine


def _sqlite_pragmas(dbapi_conn: sqlite3.Connection, _record: object) -> None:
    cur = dbapi_conn.cursor()
    cur.execute(f"PRAGMA busy_timeout = {_BUSY_TIMEOUT_MS}")
    cur.execute("PRAGMA journal_mode = WAL")
    cur.execute("PRAGMA synchronous = NORMAL")  # WAL + NORMAL: durable across app crashes, fast
    cur.execute("PRAGMA foreign_keys = ON")
    cur.close()


def _check_sqlite(engine: Engine, path: Path) -> None:
    if not path.exists():
        return
    with engine.connect() as conn:
        result = conn.exec_driver_sql("PRAGMA quick_check").scalar()
    if result != "ok":
        raise LibraryCorrupt(_corrupt_message(path, str(result)))


def explain_database_error(err: DatabaseError, where: str) -> LibraryError:
    text = str(err.orig) if getattr(err, "orig", None) is not None else str(err)
    if any(mark in text for mark in _DAMAGED):
        return LibraryCorrupt(_corrupt_message(Path(where), text))
    if isinstance(err, OperationalError) and "locked" in text:
        return LibraryError(
            f"the clip library {where} is locked by another program for too long; try again"
        )
    if isinstance(err, OperationalError) and ("readonly" in text or "unable to open" in text):
        return LibraryError(f"the clip library {where} cannot be opened for writing ({text})")
    return LibraryError(f"the clip library {where} failed: {text}")


def _corrupt_message(path: Path, detail: str) -> str:
    return (
        f"the clip library {path} is damaged ({detail}); your clips are safe in their folders. "
        "Run `hindsight clips repair` to set the damaged file aside and rebuild the library from "
        "the clips folder"
    )


def current_revision(engine: Engine) -> str | None:
    """The schema's migration revision (None for an empty database); read without loading
    Alembic."""
    with engine.connect() as conn:
        if not sa.inspect(conn).has_table("alembic_version"):
            return None
        return conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()


def migrate(engine: Engine, revision: str = "head") -> None:
    """Bring the schema to ``revision`` (default the newest); a no-op when it is there already."""
    if revision in ("head", HEAD_REVISION) and current_revision(engine) == HEAD_REVISION:
        return
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(_MIGRATIONS))
    for attempt in range(3):
        try:
            with engine.begin() as conn:
                config.attributes["connection"] = conn
                command.upgrade(config, revision)
            return
        except OperationalError as err:
            # Two processes opening an old library at once: the loser finds the tables
            # already made; wait for the winner and look again.
            if "already exists" not in str(err) or attempt == 2:
                raise
            time.sleep(0.2)
            if revision in ("head", HEAD_REVISION) and current_revision(engine) == HEAD_REVISION:
                return
