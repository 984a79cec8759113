"""Resumable uploads: files and finished parts, leases, the game a clip waits for, the remote place.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def _clip_columns() -> tuple[sa.Column, ...]:
    return (
        sa.Column("lease_owner", sa.String(80), nullable=True),
        sa.Column("lease_until_ms", sa.BigInteger(), nullable=True),
        sa.Column("wait_pid", sa.Integer(), nullable=True),
        sa.Column("wait_pid_started_ms", sa.BigInteger(), nullable=True),
        sa.Column("remote_endpoint", sa.Text(), nullable=True),
        sa.Column("remote_bucket", sa.String(63), nullable=True),
        sa.Column("remote_key_prefix", sa.Text(), nullable=True),
        sa.Column("remote_delete_pending", sa.Boolean(), nullable=False, server_default=sa.false()),
    )


def upgrade() -> None:
    with op.batch_alter_table("clips") as batch:
        for column in _clip_columns():
            batch.add_column(column)
    op.create_table(
        "upload_files",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column(
            "clip_id", sa.String(36), sa.ForeignKey("clips.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("key", sa.Text(), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("content_type", sa.String(100), nullable=False),
        sa.Column("upload_id", sa.Text(), nullable=True),
        sa.Column("part_size", sa.BigInteger(), nullable=True),
        sa.Column("done", sa.Boolean(), nullable=False),
        sa.UniqueConstraint("clip_id", "name", name="uq_upload_files_clip_name"),
    )
    op.create_index("ix_upload_files_clip_id", "upload_files", ["clip_id"])
    op.create_table(
        "upload_parts",
        sa.Column(
            "file_id",
            sa.Integer(),
            sa.ForeignKey("upload_files.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("part_number", sa.Integer(), primary_key=True),
        sa.Column("etag", sa.String(200), nullable=False),
        sa.Column("sha256_b64", sa.String(64), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("upload_parts")
    op.drop_index("ix_upload_files_clip_id", "upload_files")
    op.drop_table("upload_files")
    with op.batch_alter_table("clips") as batch:
        for column in reversed(_clip_columns()):
            batch.drop_column(column.name)
