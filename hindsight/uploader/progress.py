"""Multipart progress in the library: which files of a clip are up, open upload ids, finished parts.

A part is recorded the moment the server confirms it, so a killed upload resumes
without sending it again. A file whose local size or hash no longer matches what
was recorded starts over (its old multipart upload is returned for aborting).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

import sqlalchemy as sa
from sqlalchemy.orm import Session

from hindsight.uploader.library import ClipLibrary
from hindsight.uploader.models import UploadFileRow, UploadPartRow

T = TypeVar("T")

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


def _progress(row: UploadFileRow) -> FileProgress:
    spec = FileSpec(row.name, row.key, row.size, row.sha256, row.content_type)
    parts = {
        p.part_number: PartDone(p.part_number, p.etag, p.sha256_b64, p.size) for p in row.parts
    }
    return FileProgress(row.id, spec, row.upload_id, row.part_size, row.done, parts)


class UploadProgress:
    """Reads and records upload progress for clips in a :class:`ClipLibrary`."""

    def __init__(self, library: ClipLibrary) -> None:
        self._library = library

    def _run(self, work: Callable[[Session], T]) -> T:
        return self._library._run(work)

    def prepare(
        self, clip_id: str, specs: Sequence[FileSpec]
    ) -> tuple[list[FileProgress], list[tuple[str, str]]]:
        """Rows for ``specs`` (kept where they still match); returns them and stale (key,
        upload_id)s."""
        stale: list[tuple[str, str]] = []

        def work(session: Session) -> list[FileProgress]:
            rows = {
                r.name: r
                for r in session.scalars(
                    sa.select(UploadFileRow).where(UploadFileRow.clip_id == clip_id)
                )
            }
            out = []
            for position, spec in enumerate(specs):
                row = rows.pop(spec.name, None)
                if row is not None and (row.key, row.size, row.sha256) != (
                    spec.key,
                    spec.size,
                    spec.sha256,
                ):
                    if row.upload_id:
                        stale.append((row.key, row.upload_id))
                    session.delete(row)
                    session.flush()
                    row = None
                if row is None:
                    row = UploadFileRow(
                        clip_id=clip_id,
                        position=position,
                        name=spec.name,
                        key=spec.key,
                        size=spec.size,
                        sha256=spec.sha256,
                        content_type=spec.content_type,
                        done=False,
                    )
                    session.add(row)
                    session.flush()
                out.append(_progress(row))
            for row in rows.values():  # files no longer sent (events opt-in withdrawn)
                if row.upload_id:
                    stale.append((row.key, row.upload_id))
                session.delete(row)
            return out

        files = self._run(work)
        return files, stale

    def files(self, clip_id: str) -> list[FileProgress]:
        return self._run(
            lambda s: [
                _progress(r)
                for r in s.scalars(
                    sa.select(UploadFileRow)
                    .where(UploadFileRow.clip_id == clip_id)
                    .order_by(UploadFileRow.position)
                )
            ]
        )

    def open_uploads(self, clip_id: str) -> list[tuple[str, str]]:
        """(key, upload_id) of every multipart upload of the clip still open."""
        return [
            (f.spec.key, f.upload_id) for f in self.files(clip_id) if f.upload_id and not f.done
        ]

    def start_multipart(self, file_id: int, upload_id: str, part_size: int) -> None:
        def work(session: Session) -> None:
            session.execute(sa.delete(UploadPartRow).where(UploadPartRow.file_id == file_id))
            session.execute(
                sa.update(UploadFileRow)
                .where(UploadFileRow.id == file_id)
                .values(upload_id=upload_id, part_size=part_size, done=False)
            )

        self._run(work)

    def add_part(self, file_id: int, part: PartDone) -> None:
        # Two Core statements, not an ORM merge: this runs once per part while parts are in
        # flight, and the merge's SELECT and unit of work cost more than the write itself.
        def work(session: Session) -> None:
            session.execute(
                sa.delete(UploadPartRow).where(
                    UploadPartRow.file_id == file_id,
                    UploadPartRow.part_number == part.part_number,
                )
            )
            session.execute(
                sa.insert(UploadPartRow).values(
                    file_id=file_id,
                    part_number=part.part_number,
                    etag=part.etag,
                    sha256_b64=part.sha256_b64,
                    size=part.size,
                )
            )

        self._run(work)

    def finish_file(self, file_id: int) -> None:
        def work(session: Session) -> None:
            session.execute(sa.delete(UploadPartRow).where(UploadPartRow.file_id == file_id))
            session.execute(
                sa.update(UploadFileRow)
                .where(UploadFileRow.id == file_id)
                .values(done=True, upload_id=None)
            )

        self._run(work)

    def reset_file(self, file_id: int) -> None:
        def work(session: Session) -> None:
            session.execute(sa.delete(UploadPartRow).where(UploadPartRow.file_id == file_id))
            session.execute(
                sa.update(UploadFileRow)
                .where(UploadFileRow.id == file_id)
                .values(done=False, upload_id=None, part_size=None)
            )

        self._run(work)

    def forget(self, clip_id: str) -> None:
        self._run(
            lambda s: s.execute(sa.delete(UploadFileRow).where(UploadFileRow.clip_id == clip_id))
        )
