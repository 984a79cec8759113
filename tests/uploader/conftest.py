"""Uploader test fixtures: a fresh bucket per test on the session's SeaweedFS
(tests/conftest.py), a server of its own.
"""

from __future__ import annotations

import dataclasses
import itertools
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from hindsight.uploader.config import UploadTarget
from tests.uploader.s3proxy import S3Proxy
from tests.uploader.s3server import SeaweedServer

_bucket_numbers = itertools.count(1)


@pytest.fixture(autouse=True)
def no_aws_surprises(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Keep the developer's AWS settings and the EC2 metadata lookup out of every test."""
    for name in list(os.environ):
        if name.startswith("AWS_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "aws-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.delenv("HINDSIGHT_TRANSPORT", raising=False)


def new_bucket_name() -> str:
    # SeaweedFS rejects very short names such as "b1"; keep a readable prefix.
    return f"hs-test-{os.getpid()}-{next(_bucket_numbers)}"


@pytest.fixture
def s3_target(seaweed: SeaweedServer, monkeypatch: pytest.MonkeyPatch) -> UploadTarget:
    """A fresh, empty bucket on the session server, with its keys in the AWS env vars."""
    bucket = new_bucket_name()
    seaweed.create_bucket(bucket)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", seaweed.access_key)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", seaweed.secret_key)
    return UploadTarget(bucket=bucket, prefix="clips", endpoint_url=seaweed.endpoint_url)


@pytest.fixture
def s3_proxy(seaweed: SeaweedServer) -> Iterator[S3Proxy]:
    """A logging proxy in front of the session server: what the server was sent, counted."""
    with S3Proxy.in_front_of(seaweed.endpoint_url) as proxy:
        yield proxy
    assert proxy.errors == []  # every request and answer was understood, so the counts are whole


@pytest.fixture
def proxied_target(s3_target: UploadTarget, s3_proxy: S3Proxy) -> UploadTarget:
    """``s3_target`` reached through ``s3_proxy``."""
    return dataclasses.replace(s3_target, endpoint_url=s3_proxy.endpoint_url)


@pytest.fixture
def restartable_seaweed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[SeaweedServer]:
    """A server of this test's own, free to stop and restart; its keys are in the AWS env vars."""
    server = SeaweedServer(tmp_path / "weed")
    server.start()
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", server.access_key)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", server.secret_key)
    try:
        yield server
    finally:
        server.stop()
