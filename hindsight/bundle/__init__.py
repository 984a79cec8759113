"""The clip format every part reads and writes (DESIGN section 5).

Imports no av, Qt, SQLAlchemy or boto3: a data team's tools, the uploader and the
recorder all read a clip through this package.
"""

from __future__ import annotations

from hindsight.bundle.clip import BundleContributor, ClipSpan, Contribution, SavedClip

__all__ = ["BundleContributor", "ClipSpan", "Contribution", "SavedClip"]
