"""Choose the upload transport: S3 by default, or a shared in-memory bucket for tests.

``HINDSIGHT_TRANSPORT=memory`` makes every transport in the process use one in-memory
bucket per bucket name, so a CLI test can upload and then look at what arrived.
"""

from __future__ import annotations

import os
import threading

from hindsight.uploader.config import UploadTarget
from hindsight.uploader.credentials import Credentials, resolve_credentials
from hindsight.uploader.errors import UploadConfigError
from hindsight.uploader.transport.base import (
    DELETE_BATCH_MAX,
    MIN_PART_SIZE_BYTES,
    CompletedPart,
    ObjectMissing,
    RemoteObject,
    RemotePart,
    Transport,
    sha256_b64,
)
from hindsight.uploader.transport.memory import MemoryTransport

__all__ = [
    "DELETE_BATCH_MAX",
    "MIN_PART_SIZE_BYTES",
    "TRANSPORT_ENV",
    "TRANSPORTS",
    "CompletedPart",
    "MemoryTransport",
    "ObjectMissing",
    "RemoteObject",
    "RemotePart",
    "Transport",
    "create_transport",
    "forget_memory_buckets",
    "memory_bucket",
    "sha256_b64",
]

TRANSPORT_ENV = "HINDSIGHT_TRANSPORT"
TRANSPORTS = ("s3", "memory")
_memory_lock = threading.Lock()
_memory_buckets: dict[str, MemoryTransport] = {}


def create_transport(target: UploadTarget, *, credentials: Credentials | None = None) -> Transport:
    """The transport for ``target``; credentials default to :func:`resolve_credentials`."""
    kind = os.environ.get(TRANSPORT_ENV, "").strip().lower() or "s3"
    if kind == "memory":
        return memory_bucket(target.bucket)
    if kind == "s3":
        from hindsight.uploader.transport.s3 import (
            S3Transport,  # boto3 loads slowly; only when used
        )

        if credentials is not None:
            return S3Transport(target, credentials=credentials)
        session = S3Transport.session(target)
        return S3Transport(
            target, credentials=resolve_credentials(target, session), session=session
        )
    raise UploadConfigError(f"{TRANSPORT_ENV}={kind!r}: expected one of {', '.join(TRANSPORTS)}")


def memory_bucket(bucket: str) -> MemoryTransport:
    """The process-wide in-memory bucket called ``bucket`` (created on first use)."""
    with _memory_lock:
        if bucket not in _memory_buckets:
            _memory_buckets[bucket] = MemoryTransport(bucket)
        return _memory_buckets[bucket]


def forget_memory_buckets() -> None:
    """Drop every shared in-memory bucket (between tests)."""
    with _memory_lock:
        _memory_buckets.clear()
