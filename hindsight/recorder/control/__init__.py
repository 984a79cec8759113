"""Control channel between a running recorder and ``hindsight clip``/``status``.

Local, per-user, user-only permissions; one JSON request and one JSON reply per
connection. Use :func:`create_server` in the recorder and :func:`create_client` in
the CLI; both pick the backend and default address for this machine.
"""

from __future__ import annotations

from hindsight.recorder.control.base import (
    MAX_REPLY_BYTES,
    MAX_REQUEST_BYTES,
    ControlClient,
    ControlServer,
    Handler,
)
from hindsight.recorder.control.chooser import (
    BACKENDS,
    ENV_ADDRESS,
    ENV_BACKEND,
    create_client,
    create_server,
    default_control_address,
)
from hindsight.recorder.control.unix_socket import UnixSocketClient, UnixSocketServer
from hindsight.recorder.errors import ControlError, RecorderNotRunning

__all__ = [
    "Handler",
    "ControlServer",
    "ControlClient",
    "UnixSocketServer",
    "UnixSocketClient",
    "create_server",
    "create_client",
    "default_control_address",
    "BACKENDS",
    "ENV_ADDRESS",
    "ENV_BACKEND",
    "MAX_REQUEST_BYTES",
    "MAX_REPLY_BYTES",
    "ControlError",
    "RecorderNotRunning",
]
