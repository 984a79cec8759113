"""The transport interface: the few S3 operations the uploader needs, on one bucket.

:class:`Transport` is small on purpose (like httpx's transports): the S3 one speaks to a
real server, the in-memory one ships in the package for tests. Implementations raise
only :mod:`hindsight.uploader.errors` transport errors (plus :class:`ObjectMissing`),
each one line naming the endpoint and what to do.
"""

from __future__ import annotations

import base64
import hashlib
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from hindsight.uploader.errors import TransportError
from hindsight.uploader.ratelimit import RateLimiter

__all__ = [
    "DELETE_BATCH_MAX",
    "MIN_PART_SIZE_BYTES",
    "CompletedPart",
    "ObjectMissing",
    "permanent_error",
    "RemoteObject",
    "RemotePart",
    "Transport",
    "sha256_b64",
]

# S3 limits: DeleteObjects takes at most 1000 keys; every part but the last is >= 5 MiB.
DELETE_BATCH_MAX = 1000
MIN_PART_SIZE_BYTES = 5 * 2**20


class ObjectMissing(TransportError):
    """The object asked for does not exist in the bucket."""

    retryable = False


@dataclass(frozen=True)
class RemotePart:
    """One part the server holds for a multipart upload."""

    part_number: int
    etag: str
    size: int


@dataclass(frozen=True)
class RemoteObject:
    """What a HEAD tells about a stored object; metadata keys are lower case."""

    key: str
    size: int
    content_type: str | None
    metadata: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class CompletedPart:
    """A part to assemble at completion: its number, the etag its upload returned, its checksum."""

    part_number: int
    etag: str
    sha256_b64: str


def permanent_error(message: str) -> TransportError:
    """A TransportError that waiting will not fix (a malformed request, a rejected part list)."""
    error = TransportError(message)
    error.retryable = False
    return error


def sha256_b64(data: bytes | bytearray | memoryview) -> str:
    """Base64 of the SHA-256 digest: the form S3's ``ChecksumSHA256`` takes."""
    return base64.b64encode(hashlib.sha256(data).digest()).decode("ascii")


class Transport(ABC):
    """S3 operations on one bucket; every key is a full object key.

    Implementations are safe to call from several threads at once (parts of one
    upload go out in parallel).
    """

    name: str = "transport"
    bucket: str

    @abstractmethod
    def describe(self) -> str:
        """Where this transport writes (endpoint and bucket), never a secret."""

    @abstractmethod
    def check_bucket(self) -> None:
        """Raise BucketMissing, CredentialsRejected or ServerUnreachable unless the bucket is
        usable.

        Never creates the bucket (some servers create one on the first PUT).
        """

    @abstractmethod
    def create_multipart(self, key: str, *, content_type: str, metadata: Mapping[str, str]) -> str:
        """Start a multipart upload with SHA-256 part checksums; returns the upload id."""

    @abstractmethod
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
        """Send one part (1..10000), replacing any earlier one of that number; returns its etag.

        Raises UploadGone if the server no longer knows ``upload_id``, ChecksumMismatch if
        the bytes it got do not match ``sha256_b64``.
        """

    @abstractmethod
    def list_parts(self, key: str, upload_id: str) -> list[RemotePart]:
        """The parts the server holds, sorted by number; UploadGone if the id is unknown.

        Match parts on (number, etag): some servers (SeaweedFS) keep superseded copies of
        a re-sent part and list them all until completion.
        """

    @abstractmethod
    def complete_multipart(self, key: str, upload_id: str, parts: Sequence[CompletedPart]) -> None:
        """Assemble ``parts`` (ascending numbers) into the object."""

    @abstractmethod
    def abort_multipart(self, key: str, upload_id: str) -> None:
        """Drop an upload and its parts; an unknown id is not an error."""

    @abstractmethod
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
        """Write a whole object in one request, verified against ``sha256_b64``."""

    @abstractmethod
    def head_object(self, key: str) -> RemoteObject | None:
        """Size, type and metadata of ``key``, or None when it does not exist."""

    @abstractmethod
    def get_object(self, key: str) -> bytes:
        """The bytes of ``key``; ObjectMissing when it does not exist."""

    @abstractmethod
    def list_keys(self, prefix: str) -> list[str]:
        """Every key starting with ``prefix`` (all pages), sorted."""

    @abstractmethod
    def delete_objects(self, keys: Sequence[str]) -> None:
        """Delete ``keys`` (in batches of 1000); keys that do not exist are fine."""

    @abstractmethod
    def list_multipart_uploads(self, prefix: str) -> list[tuple[str, str]]:
        """Unfinished uploads under ``prefix`` as (key, upload id) pairs."""

    @abstractmethod
    def close(self) -> None:
        """Release connections; the transport is unusable afterwards."""

    def __enter__(self) -> Transport:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.describe()}>"
