"""Hindsight: a retroactive gameplay clip recorder with a privacy-safe action track."""

from __future__ import annotations

from hindsight.errors import HindsightError

__version__ = "0.1.0"

__all__ = ["HindsightError", "__version__"]
