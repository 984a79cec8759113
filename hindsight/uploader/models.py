"""The clip library's tables, as SQLAlchemy 2.x models (the schema at the newest migration).

Times are integers with their unit in the name: ``*_ms`` are wall-clock epoch
milliseconds, because several processes (the recorder, a CLI) compare them.
``created_utc`` is the manifest's ISO text, kept for display and sorting.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from hindsight.uploader.states import ClipState

__all__ = ["Base", "ClipRow", "ConsentEventRow", "MetaRow", "UploadFileRow", "UploadPartRow"]


class Base(DeclarativeBase):
    pass


class ClipRow(Base):
    __tablename__ = "clips"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    path: Mapped[str] = mapped_column(Text)
    game_id: Mapped[str] = mapped_column(String(200))
    game_title: Mapped[str] = mapped_column(String(200))
    created_utc: Mapped[str] = mapped_column(String(40), index=True)
    duration_ms: Mapped[int] = mapped_column(Integer)
    frames: Mapped[int] = mapped_column(Integer)
    bytes: Mapped[int] = mapped_column(BigInteger)
    registered_ms: Mapped[int] = mapped_column(BigInteger)
    state: Mapped[str] = mapped_column(
        String(16), index=True, default=ClipState.LOCAL.value
    )  # a ClipState
    reason: Mapped[str | None] = mapped_column(Text, default=None)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_retry_ms: Mapped[int | None] = mapped_column(BigInteger, default=None)
    uploaded_ms: Mapped[int | None] = mapped_column(BigInteger, default=None)
    deleted_ms: Mapped[int | None] = mapped_column(BigInteger, default=None)
    # version 2: leases, the game a clip waits for, and where it went
    lease_owner: Mapped[str | None] = mapped_column(String(80), default=None)
    lease_until_ms: Mapped[int | None] = mapped_column(BigInteger, default=None)
    wait_pid: Mapped[int | None] = mapped_column(Integer, default=None)
    wait_pid_started_ms: Mapped[int | None] = mapped_column(BigInteger, default=None)
    remote_endpoint: Mapped[str | None] = mapped_column(Text, default=None)
    remote_bucket: Mapped[str | None] = mapped_column(String(63), default=None)
    remote_key_prefix: Mapped[str | None] = mapped_column(Text, default=None)
    remote_delete_pending: Mapped[bool] = mapped_column(Boolean, default=False)

    files: Mapped[list[UploadFileRow]] = relationship(
        back_populates="clip", cascade="all, delete-orphan", order_by="UploadFileRow.position"
    )


class ConsentEventRow(Base):
    """One grant or withdrawal; the newest row per purpose is the current state."""

    __tablename__ = "consent_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    purpose: Mapped[str] = mapped_column(String(32), index=True)
    granted: Mapped[bool] = mapped_column(Boolean)
    text_version: Mapped[str] = mapped_column(String(32))
    t_ms: Mapped[int] = mapped_column(BigInteger)


class MetaRow(Base):
    __tablename__ = "meta"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class UploadFileRow(Base):
    """One file of a clip on its way up; ``upload_id`` is the open multipart upload, if any."""

    __tablename__ = "upload_files"
    __table_args__ = (UniqueConstraint("clip_id", "name", name="uq_upload_files_clip_name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    clip_id: Mapped[str] = mapped_column(ForeignKey("clips.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(200))
    key: Mapped[str] = mapped_column(Text)
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    content_type: Mapped[str] = mapped_column(String(100))
    upload_id: Mapped[str | None] = mapped_column(Text, default=None)
    part_size: Mapped[int | None] = mapped_column(BigInteger, default=None)
    done: Mapped[bool] = mapped_column(Boolean, default=False)

    clip: Mapped[ClipRow] = relationship(back_populates="files")
    parts: Mapped[list[UploadPartRow]] = relationship(
        back_populates="file", cascade="all, delete-orphan", order_by="UploadPartRow.part_number"
    )


class UploadPartRow(Base):
    """A multipart part the server confirmed; a resumed upload never sends it again."""

    __tablename__ = "upload_parts"

    file_id: Mapped[int] = mapped_column(
        ForeignKey("upload_files.id", ondelete="CASCADE"), primary_key=True
    )
    part_number: Mapped[int] = mapped_column(Integer, primary_key=True)
    etag: Mapped[str] = mapped_column(String(200))
    sha256_b64: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(BigInteger)

    file: Mapped[UploadFileRow] = relationship(back_populates="parts")
