"""Multipart progress in the library: which files of a clip are up, open upload ids, finished parts.

A part is recorded the moment the server confirms it, so a killed upload resumes
without sending it again. A file whose local size or hash no longer matches what
was recorded starts over (its old multipart upload is returned for aborting).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass

from hindsight.uploader.library import ClipLibrary

__all__ = ["FileSpec", "FileProgress", "PartDone", "UploadProgress"]


@dataclass(frozen=True)
class FileSpec:
    """One file of a clip as it should arrive: local name, object key, size, hash, type."""

    name: str
    key: str
    size: int
    sha256: str
    content_type: str


@dataclass(frozen=True)
class PartDone:
    part_number: int
    etag: str
    sha256_b64: str
    size: int


@dataclass(frozen=True)
class FileProgress:
    id: int
    spec: FileSpec
    upload_id: str | None
    part_size: int | None
    done: bool
    parts: dict[int, PartDone]


def _files(conn: sqlite3.Connection, clip_id: str) -> list[FileProgress]:
    """The clip's files in their order, each with its finished parts."""
    rows = conn.execute(
        'SELECT id, name, "key", size, sha256, content_type, upload_id, part_size, done'
        " FROM upload_files WHERE clip_id = ? ORDER BY position",
        (clip_id,),
    ).fetchall()
    parts: dict[int, dict[int, PartDone]] = {row[0]: {} for row in rows}
    for file_id, number, etag, sha256_b64, size in conn.execute(
        "SELECT p.file_id, p.part_number, p.etag, p.sha256_b64, p.size FROM upload_parts p"
        " JOIN upload_files f ON f.id = p.file_id WHERE f.clip_id = ? ORDER BY p.part_number",
        (clip_id,),
    ):
        parts[file_id][number] = PartDone(number, etag, sha256_b64, size)
    return [
        FileProgress(
            id=row[0],
            spec=FileSpec(row[1], row[2], row[3], row[4], row[5]),
            upload_id=row[6],
            part_size=row[7],
            done=bool(row[8]),
            parts=parts[row[0]],
        )
        for row in rows
    ]


class UploadProgress:
    """Reads and records upload progress for clips in a :class:`ClipLibrary`."""

    def __init__(self, library: ClipLibrary) -> None:
        self._database = library.database

    def prepare(
        self, clip_id: str, specs: Sequence[FileSpec]
    ) -> tuple[list[FileProgress], list[tuple[str, str]]]:
        """Rows for ``specs`` (kept where they still match); returns them and stale (key,
        upload_id)s."""
        stale: list[tuple[str, str]] = []

        def work(conn: sqlite3.Connection) -> list[FileProgress]:
            rows = {f.spec.name: f for f in _files(conn, clip_id)}
            out = []
            for position, spec in enumerate(specs):
                row = rows.pop(spec.name, None)
                if row is not None and (row.spec.key, row.spec.size, row.spec.sha256) != (
                    spec.key,
                    spec.size,
                    spec.sha256,
                ):
                    if row.upload_id:
                        stale.append((row.spec.key, row.upload_id))
                    conn.execute("DELETE FROM upload_files WHERE id = ?", (row.id,))
                    row = None
                if row is None:
                    added = conn.execute(
                        'INSERT INTO upload_files (clip_id, position, name, "key", size, sha256,'
                        " content_type, done) VALUES (?, ?, ?, ?, ?, ?, ?, 0)",
                        (
                            clip_id,
                            position,
                            spec.name,
                            spec.key,
                            spec.size,
                            spec.sha256,
                            spec.content_type,
                        ),
                    )
                    assert added.lastrowid is not None  # an INSERT into a rowid table
                    row = FileProgress(added.lastrowid, spec, None, None, False, {})
                out.append(row)
            for row in rows.values():  # files no longer sent (events opt-in withdrawn)
                if row.upload_id:
                    stale.append((row.spec.key, row.upload_id))
                conn.execute("DELETE FROM upload_files WHERE id = ?", (row.id,))
            return out

        files = self._database.write(work)
        return files, stale

    def files(self, clip_id: str) -> list[FileProgress]:
        return self._database.read(lambda conn: _files(conn, clip_id))

    def open_uploads(self, clip_id: str) -> list[tuple[str, str]]:
        """(key, upload_id) of every multipart upload of the clip still open."""
        return [
            (f.spec.key, f.upload_id) for f in self.files(clip_id) if f.upload_id and not f.done
        ]

    def _reset(self, file_id: int, set_clause: str, params: tuple[object, ...] = ()) -> None:
        """Forget the file's parts and set its row's columns, in one transaction."""

        def work(conn: sqlite3.Connection) -> None:
            conn.execute("DELETE FROM upload_parts WHERE file_id = ?", (file_id,))
            conn.execute(f"UPDATE upload_files SET {set_clause} WHERE id = ?", (*params, file_id))

        self._database.write(work)

    def start_multipart(self, file_id: int, upload_id: str, part_size: int) -> None:
        self._reset(file_id, "upload_id = ?, part_size = ?, done = 0", (upload_id, part_size))

    def add_part(self, file_id: int, part: PartDone) -> None:
        # One statement: this runs once per part while parts are in flight.
        self._database.write(
            lambda conn: conn.execute(
                "INSERT OR REPLACE INTO upload_parts (file_id, part_number, etag, sha256_b64, size)"
                " VALUES (?, ?, ?, ?, ?)",
                (file_id, part.part_number, part.etag, part.sha256_b64, part.size),
            )
        )

    def finish_file(self, file_id: int) -> None:
        self._reset(file_id, "done = 1, upload_id = NULL")

    def reset_file(self, file_id: int) -> None:
        self._reset(file_id, "done = 0, upload_id = NULL, part_size = NULL")

    def forget(self, clip_id: str) -> None:
        self._database.write(
            lambda conn: conn.execute("DELETE FROM upload_files WHERE clip_id = ?", (clip_id,))
        )
