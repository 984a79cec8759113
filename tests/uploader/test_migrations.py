"""The library schema: migrated from empty and from the libraries earlier versions wrote
(Alembic made those; ``data/`` holds them as SQL dumps), WAL, damage, bad URLs.
"""

from __future__ import annotations

import multiprocessing
import sqlite3
from pathlib import Path

import pytest

from hindsight.bundle import VIDEO_FILE
from hindsight.uploader.database import (
    HEAD_REVISION,
    current_revision,
    open_database,
    sqlite_path,
)
from hindsight.uploader.errors import LibraryCorrupt, LibraryError
from hindsight.uploader.library import ClipLibrary
from hindsight.uploader.progress import UploadProgress
from tests.recorder.cli_proc import run_cli
from tests.uploader.bundles import make_bundle

DATA = Path(__file__).with_name("data")
OLD_CLIP = "3f1c2a9e-0b7d-4c55-9a0e-6f2d8b1e4a70"


def _restore(dump: str, path: Path) -> str:
    with sqlite3.connect(path) as conn:
        conn.executescript((DATA / dump).read_text())
    conn.close()
    return f"sqlite:///{path}"


def _schema(path: Path) -> dict[str, object]:
    """Every table's columns (name, type, not null, default, key), indexes and foreign keys:
    what the library's queries depend on, not the CREATE text."""
    conn = sqlite3.connect(path)
    try:
        tables = [
            r[0]
            for r in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"
            )
        ]
        out: dict[str, object] = {}
        for table in tables:
            columns = sorted(
                (r[1], r[2], r[3], r[4], r[5]) for r in conn.execute(f"PRAGMA table_info({table})")
            )
            indexes = sorted(
                (
                    r[2],
                    tuple(c[2] for c in conn.execute(f"PRAGMA index_info('{r[1]}')")),
                    r[1] if r[3] == "c" else r[3],
                )
                for r in conn.execute(f"PRAGMA index_list({table})")
            )
            keys = sorted(
                (r[2], r[3], r[4], r[6]) for r in conn.execute(f"PRAGMA foreign_key_list({table})")
            )
            out[table] = (columns, indexes, keys)
        return out
    finally:
        conn.close()


def test_empty_database_is_migrated_to_the_head_matching_the_schema_alembic_made(
    tmp_path: Path,
) -> None:
    database = open_database(f"sqlite:///{tmp_path / 'lib.db'}")
    try:
        assert database.read(current_revision) == HEAD_REVISION
        assert database.read(lambda c: c.execute("PRAGMA journal_mode").fetchone()[0]) == "wal"
        assert database.read(lambda c: c.execute("PRAGMA foreign_keys").fetchone()[0]) == 1
    finally:
        database.close()
    _restore("library_0002.sql", tmp_path / "alembic.db")
    ours, theirs = _schema(tmp_path / "lib.db"), _schema(tmp_path / "alembic.db")
    assert set(ours) == {"alembic_version", "clips", "consent_events", "meta"} | {
        "upload_files",
        "upload_parts",
    }
    assert ours == theirs


@pytest.mark.parametrize("dump", ["library_0001.sql", "library_0002.sql"])
def test_a_library_an_earlier_version_wrote_opens_keeping_its_rows(
    tmp_path: Path, dump: str
) -> None:
    url = _restore(dump, tmp_path / "lib.db")
    library = ClipLibrary.open(url)  # opening migrates
    try:
        assert library.database.read(current_revision) == HEAD_REVISION
        clip = library.get(OLD_CLIP)
        assert (clip.state, clip.reason, clip.attempts, clip.next_retry_ms) == (
            "failed",
            "server down",
            2,
            5,
        )
        assert clip.remote_delete_pending is False
        assert library.consent("clips").current
        assert library.contributor_id() == "9b2e7f40-1c3d-4e5f-8a6b-7c8d9e0f1a2b"
        files = UploadProgress(library).files(OLD_CLIP)
        if dump == "library_0002.sql":
            assert clip.remote is not None and clip.remote.key_prefix == "p/g/x"
            assert [(f.upload_id, sorted(f.parts)) for f in files] == [("up-1", [1])]
        else:
            assert clip.remote is None and files == []
        claimed = library.claim("me", 30, include_failed=True)  # the new columns work
        assert claimed is not None and claimed.id == OLD_CLIP
        library.mark_deleted(OLD_CLIP, remote_pending=False)
        UploadProgress(library).forget(OLD_CLIP)
    finally:
        library.close()
    with sqlite3.connect(tmp_path / "lib.db") as conn:  # the cascade reached the parts
        assert conn.execute("SELECT count(*) FROM upload_parts").fetchone()[0] == 0
    conn.close()


def test_reopening_at_the_head_does_not_migrate_again(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'lib.db'}"
    open_database(url).close()
    database = open_database(url)
    try:
        assert database.read(current_revision) == HEAD_REVISION
        rows = database.read(lambda c: c.execute("SELECT count(*) FROM alembic_version"))
        assert rows.fetchone()[0] == 1
    finally:
        database.close()


def _open_library(url: str) -> str:
    library = ClipLibrary.open(url)
    try:
        return library.contributor_id()
    finally:
        library.close()


def test_processes_opening_an_old_library_at_once_migrate_it_once(tmp_path: Path) -> None:
    url = _restore("library_0001.sql", tmp_path / "lib.db")
    with multiprocessing.get_context("spawn").Pool(4) as pool:
        ids = pool.map(_open_library, [url] * 8)
    assert set(ids) == {"9b2e7f40-1c3d-4e5f-8a6b-7c8d9e0f1a2b"}
    database = open_database(url)
    try:
        assert database.read(current_revision) == HEAD_REVISION
    finally:
        database.close()


def test_a_library_from_a_newer_version_is_refused_untouched(tmp_path: Path) -> None:
    url = _restore("library_0002.sql", tmp_path / "lib.db")
    with sqlite3.connect(tmp_path / "lib.db") as conn:
        conn.execute("UPDATE alembic_version SET version_num = '0099'")
    conn.close()
    before = _schema(tmp_path / "lib.db")
    with pytest.raises(LibraryError, match="newer than this Hindsight knows"):
        ClipLibrary.open(url)
    assert _schema(tmp_path / "lib.db") == before


def test_a_damaged_file_is_reported_with_what_to_do_and_nothing_is_overwritten(
    tmp_path: Path,
) -> None:
    path = tmp_path / "lib.db"
    path.write_bytes(b"this is not a database, it was overwritten by something" * 100)
    before = path.read_bytes()
    with pytest.raises(LibraryCorrupt) as err:
        ClipLibrary.open(f"sqlite:///{path}")
    message = str(err.value)
    assert "damaged" in message and "hindsight clips repair" in message and "\n" not in message
    assert path.read_bytes() == before


def test_a_truncated_database_is_reported_as_damaged(tmp_path: Path) -> None:
    path = tmp_path / "lib.db"
    library = ClipLibrary.open(f"sqlite:///{path}")
    for n in range(50):
        make_bundle(tmp_path / "clips", video_bytes=10, seed=n)
    library.scan(tmp_path / "clips")
    library.close()
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2] + b"\x00" * 512 + data[len(data) // 2 + 512 :])
    with pytest.raises(LibraryError):
        ClipLibrary.open(f"sqlite:///{path}").clips()


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("not a url at all", "not a database URL"),
        ("postgresql://u@host/db", "the clip library is a SQLite file"),
        ("sqlite://host/lib.db", "names a host"),
    ],
)
def test_an_unusable_url_is_one_clear_line(url: str, says: str) -> None:
    with pytest.raises(LibraryError, match=says):
        ClipLibrary.open(url)


def test_sqlite_urls_read_as_before(tmp_path: Path) -> None:
    assert sqlite_path("sqlite:////abs/lib.db") == Path("/abs/lib.db")
    assert sqlite_path("sqlite:///rel/lib.db") == Path("rel/lib.db")
    assert sqlite_path("sqlite://") is None and sqlite_path("sqlite:///:memory:") is None
    library = ClipLibrary.open("sqlite://")  # in memory: one connection keeps it
    try:
        assert library.contributor_id() == library.contributor_id()
    finally:
        library.close()


def test_cli_reports_a_damaged_library_and_repair_rebuilds_it_from_the_clips(
    isolated_user_dirs,
) -> None:
    dirs = isolated_user_dirs
    folders = [make_bundle(dirs["clips"], video_bytes=1000, seed=n) for n in range(3)]
    assert run_cli("clips", "list").returncode == 0
    db = dirs["data"] / "library.db"
    for extra in ("library.db-wal", "library.db-shm"):
        (dirs["data"] / extra).unlink(missing_ok=True)
    db.write_bytes(b"\x00garbage" * 1000)
    broken = run_cli("clips", "list")
    assert broken.returncode == 1
    assert broken.stderr.count("\n") == 1 and "hindsight clips repair" in broken.stderr
    assert "Traceback" not in broken.stderr
    repaired = run_cli("clips", "repair")
    assert repaired.returncode == 0, repaired.stderr
    assert "3 clip(s)" in repaired.stdout
    assert list(dirs["data"].glob("library.db.damaged-*"))  # set aside, not deleted
    listing = run_cli("clips", "list", "--json")
    assert len(__import__("json").loads(listing.stdout)) == 3
    assert all(f.is_dir() and (f / VIDEO_FILE).exists() for f in folders)  # nothing saved was lost
