"""One request from a command to the running recorder, its errors as the user should read them."""

from __future__ import annotations

from typing import Any

from hindsight.recorder.control import create_client
from hindsight.recorder.errors import ControlError, RecorderNotRunning

__all__ = ["ask_recorder"]


def ask_recorder(message: dict[str, Any], timeout_s: float) -> dict[str, Any]:
    """The recorder's reply to ``message`` (``ok`` is true), or the ControlError to show."""
    try:
        return create_client().request(message, timeout_s=timeout_s)
    except RecorderNotRunning:
        raise
    except ControlError as err:
        # The recorder's one-line reason (disk full, bad --seconds) is the message to show.
        raise ControlError(str(err)) from None
