"""Named signals: the way parts hear about each other without importing each other.

A saved clip reaches the uploader (or the tray, or a test) by connecting a handler
to ``session.clip_saved``; handlers run on the emitting thread, so they must be
quick, and one that raises is logged and does not stop the others.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

__all__ = ["Signal"]

log = logging.getLogger(__name__)


class Signal:
    """A list of handlers called in order with the emitted arguments."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._handlers: list[Callable[..., Any]] = []
        self._lock = threading.Lock()

    def connect(self, handler: Callable[..., Any]) -> Callable[..., Any]:
        with self._lock:
            self._handlers.append(handler)
        return handler

    def disconnect(self, handler: Callable[..., Any]) -> None:
        with self._lock:
            self._handlers.remove(handler)

    def emit(self, *args: Any) -> None:
        with self._lock:
            handlers = list(self._handlers)
        for handler in handlers:
            try:
                handler(*args)
            except Exception:
                log.exception("handler %r of signal %s failed", handler, self.name)
