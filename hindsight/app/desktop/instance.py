"""One desktop app per user: a second ``hindsight`` asks the first to show its library, then exits.

The first app listens on a local socket beside the recorder's control socket (so a
test's private control address gives it a private app too); a second one connects,
sends ``show-library`` and leaves. A socket left by a crashed app answers no one and
is replaced.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path

from PyQt6.QtCore import QObject
from PyQt6.QtNetwork import QLocalServer, QLocalSocket

from hindsight.recorder.control import default_control_address

__all__ = ["SingleInstance", "instance_address", "SHOW_LIBRARY"]

SHOW_LIBRARY = b"show-library\n"
_CONNECT_TIMEOUT_MS = 1000


def instance_address() -> str:
    """The app's socket: ``app.sock`` in the control socket's folder (a pipe name on Windows)."""
    if sys.platform == "win32":
        return f"hindsight-app-{os.environ.get('USERNAME', 'user')}"
    folder = Path(default_control_address()).parent
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    return str(folder / "app.sock")


class SingleInstance(QObject):
    """:meth:`claim` is True for the first app; ``on_message`` then hears the others."""

    def __init__(self, on_message: Callable[[bytes], None], address: str | None = None) -> None:
        super().__init__()
        self._address = address or instance_address()
        self._on_message = on_message
        self._server: QLocalServer | None = None

    def notify_running(self, message: bytes = SHOW_LIBRARY) -> bool:
        """Tell a running app ``message``; False if none answers."""
        socket = QLocalSocket()
        socket.connectToServer(self._address)
        if not socket.waitForConnected(_CONNECT_TIMEOUT_MS):
            return False
        socket.write(message)
        socket.waitForBytesWritten(_CONNECT_TIMEOUT_MS)
        socket.disconnectFromServer()
        return True

    def claim(self) -> bool:
        """Become the one app, or return False after telling the running one to show itself."""
        if self.notify_running():
            return False
        QLocalServer.removeServer(self._address)  # a dead app's socket file
        server = QLocalServer(self)
        server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)
        if not server.listen(self._address):
            return not self.notify_running()  # lost a race to another app starting now
        server.newConnection.connect(self._accept)
        self._server = server
        return True

    def _accept(self) -> None:
        assert self._server is not None
        while (socket := self._server.nextPendingConnection()) is not None:
            socket.readyRead.connect(lambda s=socket: self._read(s))
            socket.disconnected.connect(socket.deleteLater)

    def _read(self, socket: QLocalSocket) -> None:
        while socket.canReadLine():
            self._on_message(socket.readLine().data())

    def close(self) -> None:
        if self._server is not None:
            self._server.close()
            self._server = None
