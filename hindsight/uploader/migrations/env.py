"""Alembic environment: migrate the connection :mod:`hindsight.uploader.database` hands over."""

from __future__ import annotations

from alembic import context

from hindsight.uploader.models import Base

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    # SQLite cannot ALTER most things in place; batch mode copies the table instead.
    render_as_batch=connection.dialect.name == "sqlite",
    transaction_per_migration=True,
)
with context.begin_transaction():
    context.run_migrations()
