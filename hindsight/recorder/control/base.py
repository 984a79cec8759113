"""The control channel's wire protocol and the two roles every backend fills.

A running recorder serves a :class:`ControlServer`; ``hindsight clip`` and
``hindsight status`` talk to it through a :class:`ControlClient`. On the wire each
connection carries exactly one request and one reply, each a JSON object on one
line (UTF-8, ``\\n``-terminated). Requests look like ``{"cmd": "...", ...}``; replies
always carry ``"ok"``, and failed ones carry ``"error"`` (one line for the user) and,
for errors a user can cause, ``"error_type"`` (the exception class name).

Backends (one module per transport) only move bytes; everything here about
framing, limits, ``ping`` and error mapping is shared so they cannot drift apart.
"""

from __future__ import annotations

import abc
import json
import os
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from hindsight.errors import HindsightError
from hindsight.recorder.errors import ControlError

if TYPE_CHECKING:
    import logging

__all__ = [
    "Handler",
    "ControlServer",
    "ControlClient",
    "MAX_REQUEST_BYTES",
    "MAX_REPLY_BYTES",
    "MessageTooLarge",
    "encode_message",
    "read_line",
    "control_error",
    "server_logger",
]

Handler = Callable[[dict], dict]

# Requests are tiny commands; the cap keeps a confused or hostile peer from making
# the recorder buffer unbounded data. Replies (status) may be larger.
MAX_REQUEST_BYTES = 64 * 1024
MAX_REPLY_BYTES = 4 * 1024 * 1024


def server_logger(name: str) -> logging.Logger:
    """The logger of module ``name``, for the server side, the only one that logs.

    Imported on first use, not above: a client (``hindsight clip``, ``status``) then
    starts without the logging module.
    """
    import logging

    return logging.getLogger(name)


class MessageTooLarge(ValueError):
    """A peer sent more than the allowed bytes before the end of its line."""


def encode_message(message: dict) -> bytes:
    """One JSON object as a single ``\\n``-terminated line (json escapes inner newlines)."""
    return json.dumps(message, separators=(",", ":"), allow_nan=False).encode("utf-8") + b"\n"


def read_line(recv: Callable[[int], bytes], limit: int) -> bytes:
    """Read one line (without its ``\\n``) through ``recv``; EOF also ends the line."""
    buf = bytearray()
    while True:
        chunk = recv(65536)
        if not chunk:
            break
        newline = chunk.find(b"\n")
        if newline >= 0:
            buf += chunk[:newline]
            break
        buf += chunk
        if len(buf) > limit:
            raise MessageTooLarge(f"message over {limit} bytes")
    if len(buf) > limit:
        raise MessageTooLarge(f"message over {limit} bytes")
    return bytes(buf)


def _decode_object(line: bytes) -> dict:
    message = json.loads(line.decode("utf-8"))
    if not isinstance(message, dict):
        raise ValueError(f"expected a JSON object, got {type(message).__name__}")
    return message


def control_error(
    message: str, error_type: str | None = None, cls: type[ControlError] = ControlError
) -> ControlError:
    """A ControlError (or subclass) carrying ``error_type``, so callers need no getattr."""
    err = cls(message)
    err.error_type = error_type
    return err


def _error_reply(message: str, error_type: str | None = None) -> dict:
    reply: dict = {"ok": False, "error": message}
    if error_type is not None:
        reply["error_type"] = error_type
    return reply


class ControlServer(abc.ABC):
    """Serves requests to ``handler`` at ``address`` until :meth:`stop`.

    Backends implement :meth:`start` (bind, then accept on a daemon thread with one
    thread per connection, so a clip save that takes seconds never blocks
    ``status``) and :meth:`stop` (close, remove what :meth:`start` created). They
    hand each connection's byte stream to :meth:`serve_stream`.
    """

    def __init__(self, address: str, handler: Handler) -> None:
        self._address = address
        self._handler = handler

    @property
    def address(self) -> str:
        return self._address

    @abc.abstractmethod
    def start(self) -> None:
        """Bind the address and begin serving in the background."""

    @abc.abstractmethod
    def stop(self) -> None:
        """Stop accepting, close the channel and remove its socket file; idempotent."""

    def __enter__(self) -> ControlServer:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def serve_stream(self, recv: Callable[[int], bytes], send: Callable[[bytes], Any]) -> None:
        """Read one request from a connection, answer it once."""
        try:
            line = read_line(recv, MAX_REQUEST_BYTES)
        except MessageTooLarge:
            too_large = f"request too large (over {MAX_REQUEST_BYTES} bytes)"
            reply = _error_reply(too_large, "ControlError")
        else:
            if not line.strip():
                return  # connected and left without asking anything: nothing to answer
            reply = self.reply_to(line)
        send(self._encode_reply(reply))

    def reply_to(self, line: bytes) -> dict:
        """The reply to one raw request line; never raises."""
        try:
            request = _decode_object(line)
        except ValueError as err:  # includes JSON and UTF-8 decode errors
            return _error_reply(f"malformed request (not a JSON object): {err}", "ControlError")
        cmd = request.get("cmd")
        if not isinstance(cmd, str) or not cmd:
            return _error_reply('malformed request: no "cmd" string', "ControlError")
        if cmd == "ping":
            # Answered here, not by the handler: a second recorder starting up uses it
            # to tell a live channel from a stale socket file, whatever state we are in.
            return {"ok": True, "pid": os.getpid()}
        try:
            reply = self._handler(request)
        except HindsightError as err:
            return _error_reply(str(err), type(err).__name__)
        except Exception as err:
            server_logger(__name__).exception("control request %r failed", cmd)
            return _error_reply(f"internal error: {type(err).__name__}: {err}")
        if not isinstance(reply, dict):
            server_logger(__name__).error(
                "control handler returned %s for %r", type(reply).__name__, cmd
            )
            return _error_reply(f"internal error: handler returned {type(reply).__name__}")
        reply = dict(reply)  # the handler may keep and reuse its dict; don't mutate it
        reply.setdefault("ok", True)
        return reply

    def _encode_reply(self, reply: dict) -> bytes:
        try:
            data = encode_message(reply)
        except (TypeError, ValueError) as err:
            server_logger(__name__).exception("control reply could not be encoded")
            return encode_message(_error_reply(f"internal error: {type(err).__name__}: {err}"))
        if len(data) > MAX_REPLY_BYTES:
            server_logger(__name__).error("control reply of %d bytes is over the limit", len(data))
            too_large = f"internal error: reply over {MAX_REPLY_BYTES} bytes"
            return encode_message(_error_reply(too_large))
        return data


class ControlClient(abc.ABC):
    """Sends one request to the recorder at ``address`` per :meth:`request` call.

    Every exception :meth:`request` raises is a :class:`ControlError` with an
    ``error_type`` attribute: the server-side class name when the recorder reported
    the error (e.g. ``"DiskFullError"``), else ``None``.
    """

    def __init__(self, address: str) -> None:
        self._address = address

    @property
    def address(self) -> str:
        return self._address

    @abc.abstractmethod
    def request(self, message: dict, timeout_s: float = 30.0) -> dict:
        """Send ``message``, return the reply (``ok`` is true) or raise ControlError."""

    @staticmethod
    def encode_request(message: dict) -> bytes:
        """Validated wire form of a request; bad requests are a caller's bug."""
        if not isinstance(message, dict) or not isinstance(message.get("cmd"), str):
            raise ValueError('a control request must be a dict with a "cmd" string')
        data = encode_message(message)
        if len(data) > MAX_REQUEST_BYTES:
            raise ValueError(f"control request over {MAX_REQUEST_BYTES} bytes")
        return data

    @staticmethod
    def interpret_reply(line: bytes, cmd: str) -> dict:
        """The reply as a dict, or raise ControlError for ``ok=false`` or garbage."""
        if not line.strip():
            raise control_error(f"the recorder closed the connection without answering {cmd!r}")
        try:
            reply = _decode_object(line)
        except ValueError as err:
            raise control_error(f"the recorder sent a malformed reply to {cmd!r}: {err}") from None
        if reply.get("ok") is True:
            return reply
        message = reply.get("error")
        if not isinstance(message, str) or not message:
            message = f"the recorder could not serve {cmd!r} and gave no reason"
        error_type = reply.get("error_type")
        raise control_error(message, error_type if isinstance(error_type, str) else None)
