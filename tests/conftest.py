"""Test isolation: every test gets its own config, data, clips and control-socket paths."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def isolated_user_dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Path]:
    """Point every Hindsight folder and the control socket at this test's own temp dirs."""
    dirs = {
        "config": tmp_path / "config",
        "data": tmp_path / "data",
        "logs": tmp_path / "logs",
        "clips": tmp_path / "clips",
        "cache": tmp_path / "cache",
    }
    for name, env in (
        ("config", "HINDSIGHT_CONFIG_DIR"),
        ("data", "HINDSIGHT_DATA_DIR"),
        ("logs", "HINDSIGHT_LOG_DIR"),
        ("clips", "HINDSIGHT_CLIPS_DIR"),
        ("cache", "HINDSIGHT_CACHE_DIR"),
    ):
        monkeypatch.setenv(env, str(dirs[name]))
    # Unix socket paths must stay short (about 100 bytes), so not under tmp_path.
    sock_dir = Path(tempfile.mkdtemp(prefix="hs-", dir="/tmp"))
    os.chmod(sock_dir, 0o700)
    monkeypatch.setenv("HINDSIGHT_CONTROL", str(sock_dir / "control.sock"))
    dirs["control"] = sock_dir / "control.sock"
    yield dirs
    for entry in sock_dir.iterdir():
        entry.unlink(missing_ok=True)
    sock_dir.rmdir()


@pytest.fixture(scope="session", autouse=True)
def audio_server() -> Iterator:
    """One real PulseAudio server (a null sink as the default output, a test mic) for the
    whole session, so the default recorder records real sound in every test. Tests that
    unload its sink or kill it start their own :class:`~tests.audio_server.PulseServer`.
    """
    from tests.audio_server import PulseServer

    server = PulseServer()
    server.start()
    saved = {name: os.environ.get(name) for name in server.env}
    os.environ.update(server.env)
    try:
        yield server
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        server.stop()


@pytest.fixture(scope="session")
def seaweed() -> Iterator:
    """One real S3 server (SeaweedFS: master, volume, filer, S3) on loopback for the
    whole session.
    """
    from tests.uploader.s3server import SeaweedServer

    with tempfile.TemporaryDirectory(prefix="hs-weed-") as root:
        server = SeaweedServer(Path(root))
        server.start()
        try:
            yield server
        finally:
            server.stop()
