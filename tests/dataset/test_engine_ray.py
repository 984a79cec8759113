"""The Ray engine gives what the local pool gives: a private local instance, and a cluster
joined by address (``ray start --head`` on loopback)."""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.dataset.corpus import Corpus
from tests.recorder.cli_proc import run_cli
from tests.uploader.s3server import free_ports

pytestmark = pytest.mark.x11

ROOT = Path(__file__).resolve().parents[2]


# The cluster's own token, so no token another Ray on this machine left in ~/.ray is used.
TOKEN = secrets.token_hex(32)


def worker_env() -> dict[str, str]:
    """This process's environment with Hindsight importable by Ray's workers, Ray's
    addresses kept on loopback (Ray otherwise swaps 127.0.0.1 for the machine's address)
    and the test cluster's own token."""
    path = os.environ.get("PYTHONPATH", "")
    return {
        **os.environ,
        "PYTHONPATH": f"{ROOT}{os.pathsep}{path}" if path else str(ROOT),
        "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0",
        "RAY_AUTH_MODE": "token",
        "RAY_AUTH_TOKEN": TOKEN,
    }


@pytest.fixture(scope="module")
def ray_head() -> Iterator[str]:
    """A one-node Ray cluster on loopback (its own temp dir), stopped by its process group."""
    ray = shutil.which("ray") or str(Path(sys.executable).parent / "ray")
    (port,) = free_ports(1)
    temp_dir = tempfile.mkdtemp(prefix="hsray-", dir="/tmp")  # socket paths must stay short
    proc = subprocess.Popen(
        [
            ray,
            "start",
            "--head",
            "--block",
            "--node-ip-address=127.0.0.1",
            f"--port={port}",
            "--num-cpus=2",
            "--include-dashboard=false",
            "--disable-usage-stats",
            f"--temp-dir={temp_dir}",
            "--object-store-memory=100000000",
        ],
        env=worker_env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        yield f"127.0.0.1:{port}"
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(10)
        time.sleep(0.5)
        with_leftovers = subprocess.run(["pgrep", "-g", str(proc.pid)], capture_output=True)
        if with_leftovers.stdout.strip():
            os.killpg(proc.pid, signal.SIGKILL)
        shutil.rmtree(temp_dir, ignore_errors=True)


def verify_json(source: Path, *engine: str) -> str:
    result = run_cli("dataset", "verify", str(source), "--json", *engine, env=worker_env())
    assert result.returncode == 1, result.stderr  # the mix holds damaged clips
    return result.stdout


def test_a_local_ray_instance_gives_what_the_local_pool_gives(mixed: Path) -> None:
    assert verify_json(mixed, "--engine", "ray") == verify_json(mixed, "--engine", "local")


def test_exports_on_ray_are_the_local_pools_byte_for_byte(corpus: Corpus, tmp_path: Path) -> None:
    """The same per-clip functions as Ray tasks: every Parquet file (LeRobot's data and
    meta, the WebDataset shards' indexes) and every video is the local pool's, byte for
    byte."""
    written: dict[str, dict[str, bytes]] = {}
    for engine in ("local", "ray"):
        out = tmp_path / engine
        for fmt in ("lerobot", "webdataset"):
            done = run_cli(
                "dataset", "export", str(corpus.folder), "--format", fmt,
                "-o", str(out / fmt), "--engine", engine, env=worker_env(),
            )  # fmt: skip
            assert done.returncode == 0, done.stderr
        written[engine] = {
            str(p.relative_to(out)): p.read_bytes()
            for p in sorted(out.rglob("*"))
            if p.suffix in (".parquet", ".mp4")
        }
    assert any(name.startswith("webdataset/") for name in written["local"])
    assert sorted(written["ray"]) == sorted(written["local"])
    for name, data in written["local"].items():
        assert written["ray"][name] == data, name


def test_a_cluster_joined_by_address_gives_the_same(mixed: Path, ray_head: str) -> None:
    deadline = time.monotonic() + 60
    while True:  # the head takes a few seconds to listen
        result = run_cli(
            "dataset",
            "verify",
            str(mixed),
            "--json",
            "--engine",
            "ray",
            "--address",
            ray_head,
            env=worker_env(),
        )
        if result.returncode == 1 or time.monotonic() > deadline:
            break
        time.sleep(2)
    assert result.returncode == 1, result.stderr
    assert result.stdout == verify_json(mixed, "--engine", "inline")


def test_an_unreachable_cluster_is_one_line_exit_2(corpus: Corpus) -> None:
    (port,) = free_ports(1)
    result = run_cli(
        "dataset",
        "verify",
        str(corpus.folder),
        "--engine",
        "ray",
        "--address",
        f"127.0.0.1:{port}",
        env=worker_env(),
        timeout_s=180,
    )
    assert result.returncode == 2, result.stderr
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith(f"hindsight: error: cannot reach Ray at 127.0.0.1:{port}")
