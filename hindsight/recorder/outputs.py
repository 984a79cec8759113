"""What an output attached to a running recorder receives, as one typed seam.

An output (the clip library and uploader, the live overlay server) is built by the
composition root (``hindsight.app.compose``) and handed to the recorder service. The
service calls, in this order: :meth:`RecorderOutput.contributors` once, before the
session starts (files or manifest sections added to every clip);
:meth:`RecorderOutput.start` once the session runs, with a :class:`RunningRecorder`
view; :meth:`RecorderOutput.clip_saved` after each renamed bundle, on the saver's
thread (so it must only hand work off); :meth:`RecorderOutput.stop` on shutdown.
:meth:`RecorderOutput.summary` is the one line a status display shows for it and
:meth:`RecorderOutput.status` its section of ``status --json``.

Outputs never stop a recording: one that fails logs once and reports it in its
summary; the service logs whatever an output raises and goes on. The one exception
is a :class:`~hindsight.errors.HindsightError` from :meth:`RecorderOutput.start` (a
setting the user can fix, such as a bad port): the recorder then refuses to start,
with that one line. The recorder imports no output; an output may import the recorder's public
API (overlay) or only describe what it needs structurally (the uploader, which the
dependency rule keeps apart from the recorder).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from hindsight.bundle import BundleContributor, SavedClip

if TYPE_CHECKING:
    from hindsight.recorder.actions.capture import ActionCapture
    from hindsight.recorder.config import RecorderConfig

__all__ = ["FocusedGame", "RecorderOutput", "RunningRecorder"]


@dataclass(frozen=True)
class FocusedGame:
    """The matched game that has focus now: its map id and, where known, its process."""

    game_id: str
    pid: int | None


class RunningRecorder(Protocol):
    """What an output may look at in the recorder it is attached to."""

    @property
    def config(self) -> RecorderConfig: ...

    @property
    def actions(self) -> ActionCapture | None:
        """The action capture (None with ``--no-input``): its events feed live overlays."""
        ...

    def focused_game(self) -> FocusedGame | None: ...


class RecorderOutput(Protocol):
    """An output of a running recorder; see the module docstring for the call order."""

    name: str

    def contributors(self) -> Sequence[BundleContributor]: ...

    def start(self, recorder: RunningRecorder) -> None: ...

    def clip_saved(self, clip: SavedClip) -> None: ...

    def stop(self) -> None: ...

    def summary(self) -> str: ...

    def status(self) -> dict[str, Any]: ...
