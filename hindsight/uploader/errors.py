"""Errors of the uploader and the clip library; each is a :class:`hindsight.HindsightError`.

Transport errors carry ``retryable``: a dead server is worth retrying with backoff, a
rejected credential or a missing bucket is a setting the user must fix first.
"""

from __future__ import annotations

from hindsight.errors import HindsightError

__all__ = [
    "UploaderError",
    "UploadConfigError",
    "LibraryError",
    "LibraryCorrupt",
    "ClipNotFound",
    "ConsentRequired",
    "TransportError",
    "ServerUnreachable",
    "CredentialsRejected",
    "BucketMissing",
    "UploadGone",
    "ChecksumMismatch",
]


class UploaderError(HindsightError):
    """Base of the uploader's and library's errors."""


class UploadConfigError(UploaderError):
    """An upload or library setting cannot be used (no bucket, bad URL, bad rate)."""

    exit_code = 2


class LibraryError(UploaderError):
    """The clip library database cannot be opened or written."""


class LibraryCorrupt(LibraryError):
    """The library database file is damaged; the clips themselves are untouched."""


class ClipNotFound(UploaderError):
    """No clip in the library matches the id (or id prefix) given."""

    exit_code = 2


class ConsentRequired(UploaderError):
    """An upload was asked for without the user's recorded consent."""


class TransportError(UploaderError):
    """The upload target failed; ``retryable`` says whether waiting may help."""

    retryable: bool = True


class ServerUnreachable(TransportError):
    """No answer from the endpoint (down, wrong address, network gone)."""


class CredentialsRejected(TransportError):
    """The endpoint refused the credentials (wrong key, wrong secret, no permission)."""

    retryable = False


class BucketMissing(TransportError):
    """The bucket does not exist at the endpoint."""

    retryable = False


class UploadGone(TransportError):
    """The server no longer knows a multipart upload id (completed, aborted or expired)."""


class ChecksumMismatch(TransportError):
    """The server rejected or returned data whose checksum does not match."""
