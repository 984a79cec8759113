"""Versioned schema migrations of the clip library (Alembic scripts, run by
:mod:`hindsight.uploader.database`)."""
