"""The upload states a clip in the library moves through.

``local -> queued -> uploading -> uploaded``; ``failed`` (with a reason and, when worth
it, the time of the next try) and ``deleted``. The database stores the values as text,
so these are the column's only values; this module imports nothing heavy, so a command
can name a state before the database layer loads.
"""

from __future__ import annotations

from enum import StrEnum

__all__ = ["ClipState", "FINISHED", "IN_FLIGHT", "UPLOADABLE", "WITHDRAWN_REASON"]


class ClipState(StrEnum):
    LOCAL = "local"
    """Saved and registered; not on its way anywhere."""
    QUEUED = "queued"
    """Waiting for an uploader (or, under the ``game_exit`` policy, for the game to close)."""
    UPLOADING = "uploading"
    """Leased by an uploader now."""
    UPLOADED = "uploaded"
    """Every file, manifest last, is in the bucket."""
    FAILED = "failed"
    """The last try failed; ``next_retry_ms`` says when the next one is due (None: never)."""
    DELETED = "deleted"
    """Deleted here; ``remote_delete_pending`` while the uploaded copy is still to go."""


#: Clips an upload may still take (named or ``--all``).
UPLOADABLE = (ClipState.LOCAL, ClipState.FAILED, ClipState.QUEUED, ClipState.UPLOADING)
#: Clips that are, or are about to be, on their way up.
IN_FLIGHT = (ClipState.QUEUED, ClipState.UPLOADING, ClipState.FAILED)
#: Clips with nothing left to upload.
FINISHED = (ClipState.UPLOADED, ClipState.DELETED)

#: Why a clip went back to ``local`` when sharing was withdrawn (``clips list`` shows it).
WITHDRAWN_REASON = "consent withdrawn"
