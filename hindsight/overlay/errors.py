"""Errors of the overlay; each is a :class:`hindsight.HindsightError` with a one-line message."""

from __future__ import annotations

from hindsight.errors import HindsightError

__all__ = ["OverlayError", "ClipError", "LiveChannelError"]


class OverlayError(HindsightError):
    """Base of the overlay's errors: a bad option, a template that cannot be drawn."""

    exit_code = 2


class ClipError(OverlayError):
    """A clip cannot be burned in: no such folder, no action track, a video that does not decode."""

    exit_code = 1


class LiveChannelError(OverlayError):
    """The running recorder's live channel cannot be reached (none running, server off)."""

    exit_code = 1
