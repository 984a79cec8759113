"""Control channel over a Unix domain socket (Linux, macOS, the BSDs).

The socket file is ``0600`` inside a ``0700`` directory owned by the user: Linux
enforces the file mode on connect, some BSDs only honour the directory's, so both
are kept private. A leftover socket file from a crashed recorder is detected (no
one answers) and replaced; a live one makes a second recorder refuse to start.
"""

from __future__ import annotations

import errno
import os
import selectors
import socket
import stat
import threading
import time

from hindsight.recorder.control.base import (
    MAX_REPLY_BYTES,
    ControlClient,
    ControlServer,
    Handler,
    control_error,
    read_line,
    server_logger,
)
from hindsight.recorder.errors import ControlError, RecorderNotRunning

__all__ = ["UnixSocketServer", "UnixSocketClient", "unavailable_reason"]

NOT_RUNNING = "no recorder is running (start one with `hindsight record`)"
PING_TIMEOUT_S = 2.0
# A client that connects and never sends its line must not pin a thread forever.
CONNECTION_READ_TIMEOUT_S = 10.0

# os.umask is process-wide; serialise our own changes so two servers starting at
# once cannot restore each other's value.
_UMASK_LOCK = threading.Lock()


def unavailable_reason() -> str | None:
    """Why this backend cannot work in this Python, or None if it can."""
    if not hasattr(socket, "AF_UNIX"):
        return "this Python has no Unix domain sockets"
    return None


def _check_private_dir(path: str) -> None:
    st = os.stat(path)
    if not stat.S_ISDIR(st.st_mode):
        raise ControlError(f"control directory {path} is not a directory")
    if st.st_uid != os.getuid():
        raise ControlError(
            f"control directory {path} belongs to another user (uid {st.st_uid}); "
            "remove it or set HINDSIGHT_CONTROL to a path in a directory you own"
        )
    if st.st_mode & 0o022:
        raise ControlError(
            f"control directory {path} is writable by others (mode {stat.S_IMODE(st.st_mode):o}); "
            f"run `chmod 700 {path}` or set HINDSIGHT_CONTROL elsewhere"
        )


class UnixSocketServer(ControlServer):
    """A :class:`ControlServer` listening on the Unix socket file ``address``."""

    def __init__(self, address: str, handler: Handler) -> None:
        super().__init__(os.path.abspath(address), handler)
        self._sock: socket.socket | None = None
        self._wake_r: socket.socket | None = None
        self._wake_w: socket.socket | None = None
        self._thread: threading.Thread | None = None
        self._inode: tuple[int, int] | None = None

    def start(self) -> None:
        if self._sock is not None:
            raise RuntimeError("control server already started")
        path = self.address
        directory = os.path.dirname(path)
        try:
            os.makedirs(directory, mode=0o700, exist_ok=True)
        except OSError as err:
            raise ControlError(
                f"cannot create control directory {directory}: {err.strerror}"
            ) from None
        _check_private_dir(directory)
        self._clear_leftover(path)

        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            with _UMASK_LOCK:
                # bind() creates the file with the umask applied; a tight umask means
                # it is never wider than 0600, not even before the chmod below.
                old_umask = os.umask(0o177)
                try:
                    sock.bind(path)
                finally:
                    os.umask(old_umask)
            os.chmod(path, 0o600)
            sock.listen(64)
            sock.setblocking(False)
        except OSError as err:
            sock.close()
            if err.errno == errno.EADDRINUSE:
                raise ControlError(f"another process took {path} while this one started") from None
            raise ControlError(f"cannot create the control socket {path}: {err}") from None
        st = os.stat(path)
        self._inode = (st.st_dev, st.st_ino)
        self._sock = sock
        # stop() writes to this pair to wake the accept loop: closing a socket does not
        # reliably interrupt a select/accept blocked on it in another thread.
        self._wake_r, self._wake_w = socket.socketpair()
        self._thread = threading.Thread(
            target=self._accept_loop,
            args=(sock, self._wake_r),
            name="hindsight-control",
            daemon=True,
        )
        self._thread.start()

    def stop(self) -> None:
        if self._sock is None:
            return
        assert self._wake_w is not None and self._wake_r is not None and self._thread is not None
        try:
            self._wake_w.send(b"x")
        except OSError:
            pass
        self._thread.join(timeout=5.0)
        for s in (self._sock, self._wake_r, self._wake_w):
            s.close()
        self._sock = self._wake_r = self._wake_w = self._thread = None
        # Only remove the file we bound: if someone replaced it, it is theirs now.
        try:
            st = os.stat(self.address)
            if (st.st_dev, st.st_ino) == self._inode:
                os.unlink(self.address)
        except FileNotFoundError:
            pass
        self._inode = None
        # In-flight requests finish on their own daemon threads.

    def _clear_leftover(self, path: str) -> None:
        try:
            st = os.lstat(path)
        except FileNotFoundError:
            return
        if not stat.S_ISSOCK(st.st_mode):
            raise ControlError(
                f"{path} exists and is not a socket; remove it or set HINDSIGHT_CONTROL"
            )
        if st.st_uid != os.getuid():
            raise ControlError(f"control socket {path} belongs to another user; remove it")
        try:
            reply = UnixSocketClient(path).request({"cmd": "ping"}, timeout_s=PING_TIMEOUT_S)
        except RecorderNotRunning:
            # Nobody listens: a recorder died without cleaning up.
            server_logger(__name__).info("removing stale control socket %s", path)
            try:
                os.unlink(path)
            except FileNotFoundError:
                pass
            return
        except ControlError:
            raise ControlError(
                f"something is listening on {path} but does not answer as a recorder; "
                "stop it or remove the socket file"
            ) from None
        raise ControlError(
            f"a recorder is already running (pid {reply.get('pid', '?')}); "
            "stop it first or use its control channel"
        )

    def _accept_loop(self, sock: socket.socket, wake: socket.socket) -> None:
        with selectors.DefaultSelector() as selector:
            selector.register(sock, selectors.EVENT_READ)
            selector.register(wake, selectors.EVENT_READ)
            while True:
                for key, _ in selector.select():
                    if key.fileobj is wake:
                        return
                    try:
                        conn, _ = sock.accept()
                    except (BlockingIOError, InterruptedError):
                        continue  # another wakeup took it, or a signal
                    except OSError:
                        server_logger(__name__).exception("control channel accept failed")
                        time.sleep(0.1)  # e.g. EMFILE: don't spin while it persists
                        continue
                    threading.Thread(
                        target=self._serve_connection,
                        args=(conn,),
                        name="hindsight-control-conn",
                        daemon=True,
                    ).start()

    def _serve_connection(self, conn: socket.socket) -> None:
        with conn:
            # Whether accept() inherits non-blocking mode is OS-dependent; be explicit.
            conn.settimeout(CONNECTION_READ_TIMEOUT_S)
            try:
                self.serve_stream(conn.recv, conn.sendall)
            except OSError as err:  # client gave up or went silent: its problem, not ours
                server_logger(__name__).debug("control connection dropped: %s", err)


class UnixSocketClient(ControlClient):
    """A :class:`ControlClient` for a :class:`UnixSocketServer` at ``address``."""

    def __init__(self, address: str) -> None:
        super().__init__(os.path.abspath(address))

    def request(self, message: dict, timeout_s: float = 30.0) -> dict:
        payload = self.encode_request(message)
        cmd = message["cmd"]
        path = self.address
        try:
            owner = os.stat(path).st_uid
        except (FileNotFoundError, NotADirectoryError):
            raise control_error(NOT_RUNNING, cls=RecorderNotRunning) from None
        if owner != os.getuid():
            # Somebody else's socket could impersonate the recorder and hand back paths.
            raise control_error(f"control socket {path} belongs to another user; not using it")
        deadline = time.monotonic() + timeout_s
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(timeout_s)
            try:
                sock.connect(path)
            except (FileNotFoundError, ConnectionRefusedError):
                raise control_error(NOT_RUNNING, cls=RecorderNotRunning) from None
            except TimeoutError:
                raise control_error(
                    f"the recorder at {path} did not accept a connection within {timeout_s:g} s"
                ) from None
            except OSError as err:
                raise control_error(f"cannot reach the recorder at {path}: {err}") from None

            def recv(size: int) -> bytes:
                # One deadline for the whole exchange, not a fresh timeout per chunk.
                sock.settimeout(max(deadline - time.monotonic(), 0.001))
                return sock.recv(size)

            try:
                sock.sendall(payload)
                line = read_line(recv, MAX_REPLY_BYTES)
            except TimeoutError:
                raise control_error(
                    f"the recorder did not answer {cmd!r} within {timeout_s:g} s"
                ) from None
            except ValueError:  # MessageTooLarge
                raise control_error(f"the recorder's reply to {cmd!r} is too large") from None
            except OSError as err:
                raise control_error(
                    f"the connection to the recorder broke during {cmd!r}: {err}"
                ) from None
        return self.interpret_reply(line, cmd)
