"""The library schema: migrated from empty and from the previous version, matching the
models, WAL, damage.
"""

from __future__ import annotations

import sqlite3
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from hindsight.bundle import VIDEO_FILE
from hindsight.uploader.database import (
    HEAD_REVISION,
    create_library_engine,
    current_revision,
    migrate,
)
from hindsight.uploader.errors import LibraryCorrupt, LibraryError
from hindsight.uploader.library import ClipLibrary
from hindsight.uploader.models import Base
from tests.recorder.cli_proc import run_cli
from tests.uploader.bundles import make_bundle


def test_empty_database_is_migrated_to_the_head_and_matches_the_models(tmp_path: Path) -> None:
    engine = create_library_engine(f"sqlite:///{tmp_path / 'lib.db'}")
    assert current_revision(engine) == HEAD_REVISION
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


def test_previous_version_is_upgraded_keeping_its_rows(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'lib.db'}"
    engine = create_library_engine(url, migrate_schema=False)
    migrate(engine, "0001")
    assert current_revision(engine) == "0001"
    clip_id = str(uuid.uuid4())
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO clips (id, path, game_id, game_title, created_utc, duration_ms, "
                "frames, bytes, registered_ms, state, reason, attempts, next_retry_ms) "
                "VALUES (:id, '/x', 'g', 'G', '2026-01-01T00:00:00.000000Z', 30000, 1800, 123, 1, "
                "'failed', 'server down', 2, 5)"
            ),
            {"id": clip_id},
        )
        conn.execute(
            sa.text(
                "INSERT INTO consent_events (purpose, granted, text_version, t_ms) "
                "VALUES ('clips', 1, 'clips-1', 7)"
            )
        )
    engine.dispose()
    library = ClipLibrary.open(url)  # opening migrates
    try:
        assert current_revision(library.engine) == HEAD_REVISION
        clip = library.get(clip_id)
        assert (clip.state, clip.reason, clip.attempts, clip.next_retry_ms) == (
            "failed",
            "server down",
            2,
            5,
        )
        assert clip.remote is None and clip.remote_delete_pending is False
        assert library.consent("clips").current
        assert library.claim("me", 30, include_failed=True).id == clip_id  # the new columns work
    finally:
        library.close()


def test_reopening_at_the_head_does_not_migrate_again(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'lib.db'}"
    create_library_engine(url).dispose()
    engine = create_library_engine(url)
    assert current_revision(engine) == HEAD_REVISION
    with engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM alembic_version").scalar() == 1


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


def test_an_unusable_url_is_one_clear_line(tmp_path: Path) -> None:
    with pytest.raises(LibraryError, match="not a database URL"):
        create_library_engine("not a url at all")


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
