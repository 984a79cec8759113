"""The clip library's recorder output, as the composition root attaches it.

Today's :class:`~hindsight.uploader.recorder_output.LibraryOutput` still speaks the
older attach/detach form; this adapter gives it the ``RecorderOutput`` form until it
implements that itself, and then goes away.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from hindsight.bundle import BundleContributor, SavedClip
from hindsight.recorder.outputs import RunningRecorder
from hindsight.uploader.recorder_output import LibraryOutput

__all__ = ["library_output"]


class _LibraryAdapter:
    name = "library"

    def __init__(self, inner: LibraryOutput) -> None:
        self.inner = inner

    def contributors(self) -> Sequence[BundleContributor]:
        return self.inner.contributors()

    def start(self, recorder: RunningRecorder) -> None:
        # The service fans clips out itself, so the signal it hands over connects nothing.
        self.inner.attach(SimpleNamespace(actions=recorder.actions,
                                          session=SimpleNamespace(clip_saved=SimpleNamespace(connect=_ignore))))

    def clip_saved(self, clip: SavedClip) -> None:
        self.inner.on_clip_saved(clip)

    def stop(self) -> None:
        self.inner.detach()

    def summary(self) -> str:
        return str(self.inner.status().get("summary", ""))

    def status(self) -> dict[str, Any]:
        return {k: v for k, v in self.inner.status().items() if k != "summary"}


def _ignore(handler: object) -> None:
    pass


def library_output(settings_file: Path | None) -> _LibraryAdapter:
    """The library (and uploads by policy) for clips of this run, configured by ``settings_file``."""
    return _LibraryAdapter(LibraryOutput(settings_file))
