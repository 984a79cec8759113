"""Picks the control channel backend and its default address on this machine.

This is the only place that looks at the platform. ``HINDSIGHT_CONTROL`` (a path)
overrides the address and ``HINDSIGHT_CONTROL_BACKEND`` the backend; when nothing
can work the error says what to change.
"""

from __future__ import annotations

import importlib
import os
import stat
import sys
import warnings

from hindsight.recorder.control.base import ControlClient, ControlServer, Handler
from hindsight.recorder.errors import ControlError

__all__ = [
    "ENV_ADDRESS",
    "ENV_BACKEND",
    "BACKENDS",
    "default_control_address",
    "create_server",
    "create_client",
]

ENV_ADDRESS = "HINDSIGHT_CONTROL"
ENV_BACKEND = "HINDSIGHT_CONTROL_BACKEND"
SOCKET_NAME = "control.sock"

# name -> (module, server class, client class); modules load lazily so a backend's
# imports never break the others.
_BACKENDS = {
    "unix": ("hindsight.recorder.control.unix_socket", "UnixSocketServer", "UnixSocketClient"),
}
BACKENDS = tuple(_BACKENDS)

# AF_UNIX paths are limited to 104 bytes on macOS/BSD and 108 on Linux (with the
# NUL); stay clear of both when choosing a default.
_MAX_SOCKET_PATH = 100

_NO_NAMED_PIPES = (
    "the control channel needs a Unix socket, and Windows named pipes are not supported yet; "
    "run the recorder under WSL or on Linux/macOS"
)


def default_control_address() -> str:
    """Where the recorder's control channel lives for this user.

    ``$HINDSIGHT_CONTROL`` if set; else ``<user runtime dir>/hindsight/control.sock``;
    else ``<tempdir>/hindsight-<uid>/control.sock`` when the runtime dir is unusable
    (containers often lack ``/run/user/<uid>``). Nothing is created here.
    """
    override = os.environ.get(ENV_ADDRESS, "").strip()
    if override:
        # Absolute, so a client started from another working directory finds it.
        return os.path.abspath(os.path.expanduser(override))
    if sys.platform == "win32":
        user = os.environ.get("USERNAME", "user")
        return rf"\\.\pipe\hindsight-control-{user}"
    runtime = _usable_runtime_dir()
    if runtime is not None:
        return os.path.join(runtime, SOCKET_NAME)
    import tempfile  # only for this fallback: `hindsight clip` starts without it

    return os.path.join(tempfile.gettempdir(), f"hindsight-{os.getuid()}", SOCKET_NAME)


def _usable_runtime_dir() -> str | None:
    # Imported here, not above: with HINDSIGHT_CONTROL set, `hindsight clip` never needs it.
    import platformdirs

    with warnings.catch_warnings():
        # platformdirs warns when XDG_RUNTIME_DIR is unset; we have our own fallback.
        warnings.simplefilter("ignore")
        path = platformdirs.user_runtime_dir("hindsight")
    if len(os.fsencode(os.path.join(path, SOCKET_NAME))) > _MAX_SOCKET_PATH:
        return None
    # The parent must already exist and be private to us: creating /run/user/<uid>
    # ourselves (possible as root) would fake a runtime dir no session manages.
    parent = os.path.dirname(path)
    try:
        st = os.stat(parent)
    except OSError:
        return None
    if not stat.S_ISDIR(st.st_mode) or st.st_uid != os.getuid() or st.st_mode & 0o022:
        return None
    if not os.access(parent, os.W_OK | os.X_OK):
        return None
    return path


def _backend_name() -> str:
    name = os.environ.get(ENV_BACKEND, "").strip().lower()
    if name:
        if name not in _BACKENDS:
            raise ControlError(
                f"unknown control backend {name!r} in {ENV_BACKEND}; valid: {', '.join(BACKENDS)}"
            )
        return name
    if sys.platform == "win32":
        raise ControlError(_NO_NAMED_PIPES)
    return "unix"


def _backend_classes() -> tuple[type[ControlServer], type[ControlClient]]:
    name = _backend_name()
    module_name, server_name, client_name = _BACKENDS[name]
    module = importlib.import_module(module_name)
    reason = module.unavailable_reason()
    if reason is not None:
        raise ControlError(
            f"control backend {name!r} cannot work here: {reason}; {_NO_NAMED_PIPES}"
        )
    return getattr(module, server_name), getattr(module, client_name)


def create_server(handler: Handler, address: str | None = None) -> ControlServer:
    """An unstarted control server for ``handler`` at ``address`` (default: this user's)."""
    server_cls, _ = _backend_classes()
    return server_cls(address or default_control_address(), handler)


def create_client(address: str | None = None) -> ControlClient:
    """A client for the recorder at ``address`` (default: this user's)."""
    _, client_cls = _backend_classes()
    return client_cls(address or default_control_address())
