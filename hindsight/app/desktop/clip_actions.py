"""What each action of the library window does to a clip, without Qt: the work a job runs.

Each function takes the clip and a ``report(done, total)`` callable and returns what
the window shows when it is done; a user's error is a :class:`HindsightError` with
one line. Upload and delete go through :mod:`hindsight.uploader.policy`, so the window
does exactly what ``hindsight upload`` and ``hindsight clips delete`` do.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from hindsight.uploader import policy
from hindsight.uploader.config import UploadConfig
from hindsight.uploader.deletion import DeleteOutcome
from hindsight.uploader.errors import UploadConfigError, UploaderError
from hindsight.uploader.library import ClipLibrary, ClipRecord
from hindsight.uploader.policy import TransportFor, UploadChoice

if TYPE_CHECKING:  # the overlay and the recorder's export load when their action first runs
    from hindsight.overlay.burnin import BurnInResult

__all__ = ["UploadPlan", "delete_clip", "plan_upload", "render_overlay", "trim_clip", "upload"]

Report = Callable[[int, int], None]


def trim_clip(
    library: ClipLibrary, clip: ClipRecord, start_ms: int, end_ms: int, report: Report
) -> ClipRecord:
    """A trimmed copy beside the clip, registered in the library; the clip is only read."""
    from hindsight.recorder.export.trim import trim_bundle

    report(0, 1)
    saved = trim_bundle(clip.path, start_ms, end_ms)
    record = library.register(saved.path, saved.manifest)
    report(1, 1)
    return record


def render_overlay(clip: ClipRecord, report: Report) -> BurnInResult:
    """The input overlay burned into a copy of the clip's video, beside it."""
    from hindsight.overlay.burnin import burn_in

    return burn_in(clip.path, progress=lambda done, total, fps: report(done, total))


@dataclass(frozen=True)
class UploadPlan:
    """An upload asked for in the window: where it goes and what it takes."""

    config: UploadConfig
    choice: UploadChoice


def plan_upload(
    library: ClipLibrary, clip: ClipRecord, settings_file: Path | None = None
) -> UploadPlan:
    """Queue ``clip`` as ``hindsight upload CLIP`` would (quick: runs on the UI thread).

    Raises :class:`ConsentRequired` without a current consent and
    :class:`UploadConfigError` when no bucket is set, before anything is queued.
    """
    config = policy.upload_config(None, settings_file)
    if config.target is None:
        raise UploadConfigError(
            "no upload target is set: choose a bucket in Settings ([upload] bucket)"
        )
    return UploadPlan(config, policy.choose_upload(library, [clip.id]))


def upload(library: ClipLibrary, plan: UploadPlan, report: Report) -> int:
    """Send what ``plan`` queued now; returns the bytes sent. A failure names the reason."""
    total = max(1, plan.choice.bytes)
    sent = 0

    def on_bytes(n: int) -> None:
        nonlocal sent
        sent += n
        report(min(sent, total), total)

    outcomes = policy.run_upload(library, plan.config, plan.choice, on_bytes=on_bytes)
    failed = [o for o in outcomes if not o.ok]
    if failed:
        raise UploaderError(f"the clip was not uploaded: {failed[0].error}")
    return sent


def delete_clip(
    library: ClipLibrary,
    clip: ClipRecord,
    report: Report,
    *,
    transport_for: TransportFor | None = None,
    settings_file: Path | None = None,
) -> DeleteOutcome:
    """Delete ``clip`` here and, if it was uploaded, in the bucket (a server that is down
    leaves that for the next upload run, as ``hindsight clips delete`` does)."""
    report(0, 1)
    (outcome,) = policy.delete_clips(
        library, [clip], transport_for=transport_for, settings_file=settings_file
    )
    report(1, 1)
    return outcome
