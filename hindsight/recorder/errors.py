"""Errors of the recorder; each is a :class:`hindsight.HindsightError` with a one-line message."""

from __future__ import annotations

from hindsight.errors import ConfigError, HindsightError

__all__ = [
    "ConfigError",
    "CaptureError",
    "EncoderError",
    "ExportError",
    "DiskFullError",
    "ControlError",
    "RecorderNotRunning",
    "SaveTimeout",
    "RecorderPaused",
]


class CaptureError(HindsightError):
    """Nothing can be captured: no display, unknown monitor or window, a dead source."""


class EncoderError(HindsightError):
    """No encoder could be opened, or a forced one failed."""


class ExportError(HindsightError):
    """A clip could not be written (folder not writable, remux failed)."""


class DiskFullError(ExportError):
    """The clips folder ran out of space while a clip was written."""


class ControlError(HindsightError):
    """The control channel to a running recorder failed."""

    #: the recorder-side exception class name when the recorder reported the error
    error_type: str | None = None


class RecorderNotRunning(ControlError):
    """``hindsight clip``/``status`` found no running recorder."""


class SaveTimeout(HindsightError):
    """A save request was not served in time."""


class RecorderPaused(HindsightError):
    """A save was asked of a paused recorder, which holds nothing to save."""
