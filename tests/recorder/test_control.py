"""The control channel: protocol, concurrency, errors, permissions, stale sockets, chooser."""

from __future__ import annotations

import json
import logging
import os
import shutil
import socket
import stat
import subprocess
import sys
import tempfile
import threading

import platformdirs
import pytest

from hindsight.recorder.control import (
    ControlError,
    RecorderNotRunning,
    UnixSocketClient,
    UnixSocketServer,
    chooser,
    create_client,
    create_server,
    default_control_address,
)
from hindsight.recorder.errors import DiskFullError

pytestmark = pytest.mark.skipif(not hasattr(socket, "AF_UNIX"), reason="needs Unix sockets")

NOT_RUNNING = "no recorder is running (start one with `hindsight record`)"


@pytest.fixture
def sock_dir():
    # tmp_path can exceed the ~104-byte AF_UNIX path limit; /tmp keeps it short.
    path = tempfile.mkdtemp(prefix="hs-", dir="/tmp")
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def address(sock_dir):
    path = os.path.join(sock_dir, "control.sock")
    assert len(path) < 100
    return path


def echo(request: dict) -> dict:
    return {"echo": request}


def raw_exchange(path: str, data: bytes) -> dict:
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(5)
        sock.connect(path)
        sock.sendall(data)
        buf = b""
        while not buf.endswith(b"\n"):
            chunk = sock.recv(4096)
            if not chunk:
                break
            buf += chunk
    return json.loads(buf)


def test_round_trip(address):
    seen = []

    def handler(request):
        seen.append(request)
        return {"path": "/clips/a.mp4"}

    with UnixSocketServer(address, handler) as server:
        reply = UnixSocketClient(server.address).request({"cmd": "clip", "seconds": 5}, timeout_s=5)
    assert reply == {"ok": True, "path": "/clips/a.mp4"}
    assert seen == [{"cmd": "clip", "seconds": 5}]


def test_ping_is_answered_by_the_server_with_its_pid(address):
    calls = []
    with UnixSocketServer(address, lambda r: calls.append(r) or {}):
        reply = UnixSocketClient(address).request({"cmd": "ping"}, timeout_s=5)
    assert reply == {"ok": True, "pid": os.getpid()}
    assert calls == []


def test_slow_request_does_not_block_another(address):
    release = threading.Event()
    clip_started = threading.Event()

    def handler(request):
        if request["cmd"] == "clip":
            clip_started.set()
            release.wait(10)
            return {"path": "slow"}
        return {"fps": 60}

    results = {}
    with UnixSocketServer(address, handler):
        client = UnixSocketClient(address)
        worker = threading.Thread(
            target=lambda: results.update(clip=client.request({"cmd": "clip"}))
        )
        worker.start()
        assert clip_started.wait(5)
        status = client.request({"cmd": "status"}, timeout_s=3)
        assert "clip" not in results  # status came back while the clip was still pending
        release.set()
        worker.join(5)
    assert status == {"ok": True, "fps": 60}
    assert results["clip"] == {"ok": True, "path": "slow"}


def test_hindsight_error_reaches_client_with_type(address):
    def handler(request):
        raise DiskFullError("the clips folder /clips is full; free some space")

    with UnixSocketServer(address, handler):
        with pytest.raises(ControlError) as info:
            UnixSocketClient(address).request({"cmd": "clip"}, timeout_s=5)
        raw = raw_exchange(address, b'{"cmd":"clip"}\n')
    assert str(info.value) == "the clips folder /clips is full; free some space"
    assert info.value.error_type == "DiskFullError"
    assert raw == {"ok": False, "error": str(info.value), "error_type": "DiskFullError"}


def test_unexpected_exception_is_internal_error_and_logged(address, caplog):
    def handler(request):
        raise ZeroDivisionError("division by zero")

    with caplog.at_level(logging.ERROR, logger="hindsight.recorder.control"):
        with UnixSocketServer(address, handler):
            with pytest.raises(ControlError) as info:
                UnixSocketClient(address).request({"cmd": "status"}, timeout_s=5)
    assert str(info.value) == "internal error: ZeroDivisionError: division by zero"
    assert info.value.error_type is None
    assert any(r.exc_info and r.exc_info[0] is ZeroDivisionError for r in caplog.records)


def test_malformed_requests_get_error_and_server_keeps_serving(address):
    with UnixSocketServer(address, echo):
        bad_json = raw_exchange(address, b"{not json\n")
        not_object = raw_exchange(address, b"[1, 2]\n")
        no_cmd = raw_exchange(address, b'{"seconds": 3}\n')
        too_big = raw_exchange(address, b"x" * (70 * 1024))
        after = UnixSocketClient(address).request({"cmd": "status"}, timeout_s=5)
    assert bad_json["ok"] is False and bad_json["error"].startswith("malformed request")
    assert not_object["ok"] is False and "JSON object" in not_object["error"]
    assert no_cmd["ok"] is False and '"cmd"' in no_cmd["error"]
    assert too_big["ok"] is False and "too large" in too_big["error"]
    assert after == {"ok": True, "echo": {"cmd": "status"}}


def test_no_server_raises_recorder_not_running(address):
    with pytest.raises(RecorderNotRunning) as info:
        UnixSocketClient(address).request({"cmd": "status"}, timeout_s=2)
    assert str(info.value) == NOT_RUNNING
    assert info.value.error_type is None


def _leave_stale_socket(path: str) -> None:
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.bind(path)
    sock.close()  # the file stays behind, as after a crash


def test_stale_socket_refuses_client_and_is_replaced_by_server(address):
    _leave_stale_socket(address)
    assert stat.S_ISSOCK(os.lstat(address).st_mode)
    with pytest.raises(RecorderNotRunning):
        UnixSocketClient(address).request({"cmd": "status"}, timeout_s=2)
    with UnixSocketServer(address, echo):
        reply = UnixSocketClient(address).request({"cmd": "status"}, timeout_s=5)
    assert reply["echo"] == {"cmd": "status"}


def test_second_server_on_live_address_names_the_pid(address):
    with UnixSocketServer(address, echo):
        with pytest.raises(ControlError) as info:
            UnixSocketServer(address, echo).start()
        still = UnixSocketClient(address).request({"cmd": "status"}, timeout_s=5)
    assert f"a recorder is already running (pid {os.getpid()})" in str(info.value)
    assert still["ok"] is True


def test_non_socket_file_at_address_is_refused(address):
    with open(address, "w") as f:
        f.write("not a socket")
    with pytest.raises(ControlError, match="not a socket"):
        UnixSocketServer(address, echo).start()
    assert open(address).read() == "not a socket"


def test_socket_and_directory_are_private(sock_dir):
    path = os.path.join(sock_dir, "run", "control.sock")  # server creates "run"
    old = os.umask(0o022)
    try:
        with UnixSocketServer(path, echo):
            sock_mode = stat.S_IMODE(os.stat(path).st_mode)
            dir_mode = stat.S_IMODE(os.stat(os.path.dirname(path)).st_mode)
            assert os.umask(0o022) == 0o022  # the server restored our umask
    finally:
        os.umask(old)
    assert sock_mode == 0o600
    assert dir_mode == 0o700


def test_group_writable_directory_is_refused(sock_dir):
    os.chmod(sock_dir, 0o770)
    path = os.path.join(sock_dir, "control.sock")
    with pytest.raises(ControlError, match="writable by others"):
        UnixSocketServer(path, echo).start()
    assert not os.path.exists(path)


def test_stop_removes_socket_file_and_is_idempotent(address):
    server = UnixSocketServer(address, echo)
    server.start()
    assert os.path.exists(address)
    server.stop()
    assert not os.path.exists(address)
    server.stop()
    with pytest.raises(RecorderNotRunning):
        UnixSocketClient(address).request({"cmd": "status"}, timeout_s=2)


def test_env_override_is_honoured(monkeypatch, address):
    monkeypatch.setenv("HINDSIGHT_CONTROL", address)
    assert default_control_address() == address
    assert create_client().address == address
    with create_server(echo) as server:
        assert server.address == address
        assert create_client().request({"cmd": "status"}, timeout_s=5)["ok"] is True


def test_default_address_falls_back_when_runtime_dir_missing(monkeypatch):
    monkeypatch.delenv("HINDSIGHT_CONTROL", raising=False)
    missing = "/nonexistent/run/user/0/hindsight"
    monkeypatch.setattr(platformdirs, "user_runtime_dir", lambda *a, **k: missing)
    expected = os.path.join(tempfile.gettempdir(), f"hindsight-{os.getuid()}", "control.sock")
    assert default_control_address() == expected


def test_default_address_uses_usable_runtime_dir(monkeypatch, sock_dir):
    monkeypatch.delenv("HINDSIGHT_CONTROL", raising=False)
    runtime = os.path.join(sock_dir, "hindsight")
    monkeypatch.setattr(platformdirs, "user_runtime_dir", lambda *a, **k: runtime)
    assert default_control_address() == os.path.join(runtime, "control.sock")


def test_backend_override(monkeypatch):
    monkeypatch.setenv("HINDSIGHT_CONTROL_BACKEND", "pipes")
    with pytest.raises(ControlError, match="unknown control backend 'pipes'.*valid: unix"):
        create_client("/tmp/x.sock")
    monkeypatch.setenv("HINDSIGHT_CONTROL_BACKEND", "unix")
    assert isinstance(create_client("/tmp/x.sock"), UnixSocketClient)


def test_windows_without_override_says_named_pipes_unsupported(monkeypatch):
    monkeypatch.delenv("HINDSIGHT_CONTROL_BACKEND", raising=False)
    monkeypatch.setattr(chooser.sys, "platform", "win32")
    with pytest.raises(ControlError, match="named pipes are not supported yet"):
        create_server(echo, "/tmp/x.sock")


def test_client_in_another_process(address):
    seen = []

    def handler(request):
        seen.append(request)
        return {"path": "/clips/b.mp4"}

    code = (
        "import json, sys\n"
        "from hindsight.recorder.control import create_client, RecorderNotRunning\n"
        "reply = create_client(sys.argv[1]).request({'cmd': 'clip', 'seconds': 7}, timeout_s=10)\n"
        "print(json.dumps(reply))\n"
    )
    with UnixSocketServer(address, handler):
        proc = subprocess.run(
            [sys.executable, "-c", code, address], capture_output=True, text=True, timeout=60
        )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout) == {"ok": True, "path": "/clips/b.mp4"}
    assert seen == [{"cmd": "clip", "seconds": 7}]

    # With the server gone the other process sees the one-line "not running" error.
    missing = (
        "import sys\n"
        "from hindsight.recorder.control import create_client, RecorderNotRunning\n"
        "try:\n"
        "    create_client(sys.argv[1]).request({'cmd': 'status'}, timeout_s=5)\n"
        "except RecorderNotRunning as err:\n"
        "    print(err); sys.exit(3)\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", missing, address], capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 3, proc.stderr
    assert proc.stdout.strip() == NOT_RUNNING
