"""An in-memory S3 bucket with the same semantics as the real transport, for tests.

:class:`MemoryTransport` keeps objects and multipart uploads in dicts behind one lock,
verifies SHA-256 checksums, enforces S3's 5 MiB minimum part size at completion, and
honours the rate limiter. Tests read ``requests`` and ``bytes_received`` and inject
failures with :meth:`MemoryTransport.fail_next`.
"""

from __future__ import annotations

import hashlib
import itertools
import threading
from collections import Counter, deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from hindsight.uploader.errors import BucketMissing, ChecksumMismatch, UploadGone
from hindsight.uploader.ratelimit import RateLimiter, ThrottledReader
from hindsight.uploader.transport.base import (
    DELETE_BATCH_MAX,
    MIN_PART_SIZE_BYTES,
    CompletedPart,
    ObjectMissing,
    RemoteObject,
    RemotePart,
    Transport,
    permanent_error,
    sha256_b64,
)

__all__ = ["MemoryTransport"]

_upload_ids = itertools.count(1)


@dataclass
class _Object:
    data: bytes
    content_type: str | None
    metadata: dict[str, str]


@dataclass
class _Part:
    data: bytes
    etag: str
    sha256_b64: str


@dataclass
class _Upload:
    key: str
    content_type: str
    metadata: dict[str, str]
    parts: dict[int, _Part] = field(default_factory=dict)


def _etag(data: bytes) -> str:
    # S3 (and SeaweedFS) use the quoted MD5 hex of the bytes as a part's or object's etag.
    return '"' + hashlib.md5(data, usedforsecurity=False).hexdigest() + '"'


class MemoryTransport(Transport):
    """A bucket in memory; thread-safe; ``exists=False`` makes every call raise BucketMissing."""

    name = "memory"

    def __init__(
        self,
        bucket: str = "hindsight-test",
        *,
        exists: bool = True,
        min_part_size_bytes: int = MIN_PART_SIZE_BYTES,
    ) -> None:
        self.bucket = bucket
        self.exists = exists
        self.min_part_size_bytes = min_part_size_bytes
        self.requests: Counter[str] = Counter()
        self.bytes_received = 0
        self._lock = threading.RLock()
        self._objects: dict[str, _Object] = {}
        self._uploads: dict[str, _Upload] = {}
        self._completed: dict[str, str] = {}  # upload id -> key, so a repeated complete is harmless
        self._faults: dict[str, deque[Exception]] = {}

    def describe(self) -> str:
        return f"memory://{self.bucket}"

    # -- test hooks ---------------------------------------------------------------

    def fail_next(self, operation: str, error: Exception, times: int = 1) -> None:
        """Make the next ``times`` calls of ``operation`` (a method name) raise ``error``."""
        if not callable(getattr(Transport, operation, None)):
            raise ValueError(f"unknown transport operation {operation!r}")
        with self._lock:
            self._faults.setdefault(operation, deque()).extend([error] * times)

    def objects(self) -> dict[str, bytes]:
        """A snapshot of every stored object's bytes, for assertions."""
        with self._lock:
            return {key: obj.data for key, obj in self._objects.items()}

    # -- operations ---------------------------------------------------------------

    def check_bucket(self) -> None:
        with self._lock:
            self._enter("check_bucket")

    def create_multipart(self, key: str, *, content_type: str, metadata: Mapping[str, str]) -> str:
        with self._lock:
            self._enter("create_multipart")
            upload_id = f"mem-{next(_upload_ids):06d}"
            self._uploads[upload_id] = _Upload(key, content_type, _lower(metadata))
            return upload_id

    def upload_part(
        self,
        key: str,
        upload_id: str,
        part_number: int,
        data: bytes | memoryview,
        *,
        sha256_b64: str,
        limiter: RateLimiter | None = None,
    ) -> str:
        with self._lock:
            self._enter("upload_part")
            self._upload(key, upload_id)
        if not 1 <= part_number <= 10000:
            raise permanent_error(
                f"{self.describe()}: part number {part_number} is outside 1..10000"
            )
        body = self._receive(data, limiter)  # outside the lock: parts arrive in parallel
        with self._lock:
            upload = self._upload(key, upload_id)  # it may have been aborted meanwhile
            self._verify(key, body, sha256_b64)
            etag = _etag(body)
            upload.parts[part_number] = _Part(body, etag, sha256_b64)
            return etag

    def list_parts(self, key: str, upload_id: str) -> list[RemotePart]:
        with self._lock:
            self._enter("list_parts")
            upload = self._upload(key, upload_id)
            return [RemotePart(n, p.etag, len(p.data)) for n, p in sorted(upload.parts.items())]

    def complete_multipart(self, key: str, upload_id: str, parts: Sequence[CompletedPart]) -> None:
        with self._lock:
            self._enter("complete_multipart")
            if self._completed.get(upload_id) == key:
                return  # like S3 and SeaweedFS: completing again is answered with success
            upload = self._upload(key, upload_id)
            numbers = [p.part_number for p in parts]
            if not numbers:
                raise permanent_error(
                    f"{self.describe()}: completing {key} needs at least one part"
                )
            if numbers != sorted(set(numbers)):
                raise permanent_error(
                    f"{self.describe()}: parts of {key} must be in ascending order, once each"
                )
            chunks = []
            for index, wanted in enumerate(parts):
                held = upload.parts.get(wanted.part_number)
                if held is None or held.etag != wanted.etag or held.sha256_b64 != wanted.sha256_b64:
                    raise permanent_error(
                        f"{self.describe()}: part {wanted.part_number} of {key} does not match an "
                        "uploaded "
                        "part (InvalidPart); upload that part again"
                    )
                if index < len(parts) - 1 and len(held.data) < self.min_part_size_bytes:
                    raise permanent_error(
                        f"{self.describe()}: part {wanted.part_number} of {key} is "
                        f"{len(held.data)} bytes; "
                        f"every part but the last needs at least {self.min_part_size_bytes} "
                        "(EntityTooSmall)"
                    )
                chunks.append(held.data)
            self._objects[key] = _Object(
                b"".join(chunks), upload.content_type, dict(upload.metadata)
            )
            del self._uploads[upload_id]
            self._completed[upload_id] = key

    def abort_multipart(self, key: str, upload_id: str) -> None:
        with self._lock:
            self._enter("abort_multipart")
            upload = self._uploads.get(upload_id)
            if upload is not None and upload.key == key:
                del self._uploads[upload_id]

    def put_object(
        self,
        key: str,
        data: bytes,
        *,
        content_type: str,
        metadata: Mapping[str, str],
        sha256_b64: str,
        limiter: RateLimiter | None = None,
    ) -> None:
        with self._lock:
            self._enter("put_object")
        body = self._receive(data, limiter)
        with self._lock:
            self._verify(key, body, sha256_b64)
            self._objects[key] = _Object(body, content_type, _lower(metadata))

    def head_object(self, key: str) -> RemoteObject | None:
        with self._lock:
            self._enter("head_object")
            obj = self._objects.get(key)
            if obj is None:
                return None
            return RemoteObject(key, len(obj.data), obj.content_type, dict(obj.metadata))

    def get_object(self, key: str) -> bytes:
        with self._lock:
            self._enter("get_object")
            obj = self._objects.get(key)
            if obj is None:
                raise ObjectMissing(f"{self.describe()}: object {key} does not exist")
            return obj.data

    def list_keys(self, prefix: str) -> list[str]:
        with self._lock:
            self._enter("list_keys")
            return sorted(key for key in self._objects if key.startswith(prefix))

    def delete_objects(self, keys: Sequence[str]) -> None:
        keys = list(keys)
        for start in range(0, len(keys), DELETE_BATCH_MAX):
            with self._lock:
                self._enter("delete_objects")
                for key in keys[start : start + DELETE_BATCH_MAX]:
                    self._objects.pop(key, None)

    def list_multipart_uploads(self, prefix: str) -> list[tuple[str, str]]:
        with self._lock:
            self._enter("list_multipart_uploads")
            return sorted(
                (u.key, uid) for uid, u in self._uploads.items() if u.key.startswith(prefix)
            )

    def close(self) -> None:
        # Nothing to release; the shared in-memory bucket outlives any one user.
        pass

    # -- helpers ------------------------------------------------------------------

    def _enter(self, operation: str) -> None:
        """Count the request, then fail it if a fault is queued or the bucket is gone."""
        self.requests[operation] += 1
        queued = self._faults.get(operation)
        if queued:
            raise queued.popleft()
        if not self.exists:
            raise BucketMissing(
                f"bucket {self.bucket!r} does not exist at {self.describe()}; "
                "create it or fix the bucket name"
            )

    def _upload(self, key: str, upload_id: str) -> _Upload:
        upload = self._uploads.get(upload_id)
        if upload is None or upload.key != key:
            raise UploadGone(
                f"{self.describe()} no longer knows multipart upload {upload_id} of {key}; "
                "it was completed, aborted or expired, so start the upload again"
            )
        return upload

    def _receive(self, data: bytes | memoryview, limiter: RateLimiter | None) -> bytes:
        reader = ThrottledReader(data, limiter)
        body = reader.read()
        with self._lock:
            self.bytes_received += len(body)
        return body

    def _verify(self, key: str, body: bytes, expected: str) -> None:
        if sha256_b64(body) != expected:
            raise ChecksumMismatch(
                f"{self.describe()} rejected {key}: the bytes received do not match "
                "their SHA-256 checksum (BadDigest); send them again"
            )


def _lower(metadata: Mapping[str, str]) -> dict[str, str]:
    # S3 metadata travels as HTTP headers and comes back with lower-case names.
    return {str(k).lower(): str(v) for k, v in metadata.items()}
