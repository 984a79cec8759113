"""The first library: clips with their upload state, consent events, meta.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "clips",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("path", sa.Text(), nullable=False),
        sa.Column("game_id", sa.String(200), nullable=False),
        sa.Column("game_title", sa.String(200), nullable=False),
        sa.Column("created_utc", sa.String(40), nullable=False),
        sa.Column("duration_ms", sa.Integer(), nullable=False),
        sa.Column("frames", sa.Integer(), nullable=False),
        sa.Column("bytes", sa.BigInteger(), nullable=False),
        sa.Column("registered_ms", sa.BigInteger(), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_retry_ms", sa.BigInteger(), nullable=True),
        sa.Column("uploaded_ms", sa.BigInteger(), nullable=True),
        sa.Column("deleted_ms", sa.BigInteger(), nullable=True),
    )
    op.create_index("ix_clips_created_utc", "clips", ["created_utc"])
    op.create_index("ix_clips_state", "clips", ["state"])
    op.create_table(
        "consent_events",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("purpose", sa.String(32), nullable=False),
        sa.Column("granted", sa.Boolean(), nullable=False),
        sa.Column("text_version", sa.String(32), nullable=False),
        sa.Column("t_ms", sa.BigInteger(), nullable=False),
    )
    op.create_index("ix_consent_events_purpose", "consent_events", ["purpose"])
    op.create_table(
        "meta",
        sa.Column("key", sa.String(64), primary_key=True),
        sa.Column("value", sa.Text(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("meta")
    op.drop_index("ix_consent_events_purpose", "consent_events")
    op.drop_table("consent_events")
    op.drop_index("ix_clips_state", "clips")
    op.drop_index("ix_clips_created_utc", "clips")
    op.drop_table("clips")
