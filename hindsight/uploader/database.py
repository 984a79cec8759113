"""Opening the clip library database: the SQLite file, its pragmas, migrations, damage checks.

The library is SQLite in the user data folder (or at a ``sqlite:///`` URL from the
settings), in WAL mode with a busy timeout, so the recorder and a CLI process can
use it at once. It is the standard library's ``sqlite3``: the recorder and
``hindsight upload`` hold it open, and an ORM would cost them tens of megabytes and
a third of a second of start-up for six tables. The schema is brought to the newest
migration on open (:mod:`hindsight.uploader.schema`); a damaged file is reported as
:class:`LibraryCorrupt` (with what to do), never silently replaced.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

from hindsight.paths import data_dir
from hindsight.uploader.errors import LibraryCorrupt, LibraryError
from hindsight.uploader.schema import HEAD_REVISION, current_revision, migrate

__all__ = [
    "HEAD_REVISION",
    "Database",
    "current_revision",
    "default_library_url",
    "explain_database_error",
    "migrate",
    "open_database",
    "sqlite_path",
]

T = TypeVar("T")

_SCHEME = "sqlite://"
_MEMORY = ":memory:"
_BUSY_TIMEOUT_MS = 15_000
_DAMAGED = ("file is not a database", "malformed", "disk image", "file is encrypted")


def default_library_url() -> str:
    return f"sqlite:///{data_dir() / 'library.db'}"


def sqlite_path(url: str) -> Path | None:
    """The file behind a ``sqlite:///`` URL (None for in-memory SQLite).

    The URL's form is SQLAlchemy's, which earlier settings files were written for:
    ``sqlite:///relative.db``, ``sqlite:////absolute.db``, ``sqlite://`` for memory.
    """
    if not url.startswith(_SCHEME):
        scheme = url.split("://", 1)[0] if "://" in url else None
        if scheme is None:
            raise LibraryError(
                f"library url {url!r} is not a database URL (e.g. sqlite:///path/library.db)"
            )
        raise LibraryError(
            f"library url {scheme}://...: the clip library is a SQLite file; "
            "give sqlite:///path/library.db"
        )
    rest = url[len(_SCHEME) :]
    if rest in ("", "/", "/" + _MEMORY):
        return None
    if not rest.startswith("/"):
        raise LibraryError(
            f"library url {url!r} names a host; a SQLite URL has three slashes "
            "(sqlite:///path/library.db)"
        )
    return Path(rest[1:])


class Database:
    """One connection to the library, shared by the process's threads.

    A lock keeps one thread's transaction from mixing with another's; between
    processes SQLite's own locking (WAL, busy timeout) does the same. Writes take the
    write lock when they begin (``BEGIN IMMEDIATE``), so a read-then-write transaction
    never finds that another process wrote in between. After :meth:`close` the next use
    opens the file again.
    """

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self.where = str(path) if path is not None else _MEMORY
        self._lock = threading.RLock()
        self._conn: sqlite3.Connection | None = None

    @property
    def url(self) -> str:
        return f"sqlite:///{self.path if self.path is not None else _MEMORY}"

    def _connection(self) -> sqlite3.Connection:
        if self._conn is None:
            conn = sqlite3.connect(
                str(self.path) if self.path is not None else _MEMORY,
                timeout=_BUSY_TIMEOUT_MS / 1000,
                isolation_level=None,  # transactions are begun and ended here, explicitly
                check_same_thread=False,  # the lock above serializes the threads
            )
            try:
                conn.row_factory = sqlite3.Row
                conn.execute("PRAGMA journal_mode = WAL")
                # WAL + NORMAL: durable across app crashes, and a commit costs no fsync.
                conn.execute("PRAGMA synchronous = NORMAL")
                conn.execute("PRAGMA foreign_keys = ON")
            except BaseException:
                conn.close()
                raise
            self._conn = conn
        return self._conn

    def _transaction(self, begin: str, work: Callable[[sqlite3.Connection], T]) -> T:
        with self._lock:
            try:
                conn = self._connection()
                conn.execute(begin)
                try:
                    result = work(conn)
                except BaseException:
                    conn.rollback()
                    raise
                conn.commit()
                return result
            except sqlite3.DatabaseError as err:
                raise explain_database_error(err, self.where) from None

    def read(self, work: Callable[[sqlite3.Connection], T]) -> T:
        """Run ``work`` on one consistent snapshot; failures become one clear LibraryError."""
        return self._transaction("BEGIN", work)

    def write(self, work: Callable[[sqlite3.Connection], T]) -> T:
        """Run ``work`` as one transaction holding the write lock; all of it or none lands."""
        return self._transaction("BEGIN IMMEDIATE", work)

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None


def open_database(url: str | None = None, *, migrate_schema: bool = True) -> Database:
    """The library at ``url`` (default: the file in the data folder), checked and migrated."""
    path = sqlite_path(url or default_library_url())
    if path is not None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as err:
            raise LibraryError(
                f"cannot create the library folder {path.parent}: {err.strerror}"
            ) from None
    database = Database(path)
    existed = path is not None and path.exists()
    try:
        if existed:
            _check(database)
        # Reading first: a library at the head (every open but the first) never waits for
        # the write lock another process may be holding.
        if migrate_schema and database.read(current_revision) != HEAD_REVISION:
            database.write(lambda conn: migrate(conn, where=database.where))
    except BaseException:
        database.close()
        raise
    return database


def _check(database: Database) -> None:
    result = database.read(lambda conn: conn.execute("PRAGMA quick_check").fetchone()[0])
    if result != "ok":
        raise LibraryCorrupt(_corrupt_message(database.where, str(result)))


def explain_database_error(err: sqlite3.Error, where: str) -> LibraryError:
    text = str(err)
    if any(mark in text for mark in _DAMAGED):
        return LibraryCorrupt(_corrupt_message(where, text))
    if isinstance(err, sqlite3.OperationalError) and "locked" in text:
        return LibraryError(
            f"the clip library {where} is locked by another program for too long; try again"
        )
    if isinstance(err, sqlite3.OperationalError) and (
        "readonly" in text or "unable to open" in text
    ):
        return LibraryError(f"the clip library {where} cannot be opened for writing ({text})")
    return LibraryError(f"the clip library {where} failed: {text}")


def _corrupt_message(where: str, detail: str) -> str:
    return (
        f"the clip library {where} is damaged ({detail}); your clips are safe in their folders. "
        "Run `hindsight clips repair` to set the damaged file aside and rebuild the library from "
        "the clips folder"
    )
