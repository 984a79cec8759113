"""The uploader: the clip library database, the upload queue and runner, the S3 transport.

It never imports the recorder (or Qt): saved clips reach it through
:class:`LibraryOutput`, an output the composition root attaches to a running
recorder, or through the clips folder, which every ``clips``/``upload`` command scans.
What a command or the tray asks of it (withdraw consent, choose the clips an upload
takes, delete, repair) is decided in :mod:`hindsight.uploader.policy`.
"""

from __future__ import annotations

import importlib
from typing import Any

# Names load on first use: `hindsight --help` must not pay for the library and boto3.
_HOMES = {
    "BucketMissing": "hindsight.uploader.errors",
    "ChecksumMismatch": "hindsight.uploader.errors",
    "ClipChanged": "hindsight.uploader.engine",
    "ClipFolderMissing": "hindsight.uploader.engine",
    "ClipLibrary": "hindsight.uploader.library",
    "ClipNotFound": "hindsight.uploader.errors",
    "ClipRecord": "hindsight.uploader.library",
    "ClipReport": "hindsight.uploader.engine",
    "ClipState": "hindsight.uploader.states",
    "ClipUploader": "hindsight.uploader.engine",
    "ConsentRequired": "hindsight.uploader.errors",
    "ConsentState": "hindsight.uploader.consent",
    "CredentialsRejected": "hindsight.uploader.errors",
    "LibraryCorrupt": "hindsight.uploader.errors",
    "LibraryError": "hindsight.uploader.errors",
    "LibraryOutput": "hindsight.uploader.recorder_output",
    "MemoryTransport": "hindsight.uploader.transport",
    "Outcome": "hindsight.uploader.worker",
    "PURPOSES": "hindsight.uploader.consent",
    "RemotePlace": "hindsight.uploader.library",
    "ServerUnreachable": "hindsight.uploader.errors",
    "Transport": "hindsight.uploader.transport",
    "TransportError": "hindsight.uploader.errors",
    "UploadConfig": "hindsight.uploader.config",
    "UploadConfigError": "hindsight.uploader.errors",
    "UploadGone": "hindsight.uploader.errors",
    "UploadPolicy": "hindsight.uploader.config",
    "UploadRunner": "hindsight.uploader.worker",
    "UploadStopped": "hindsight.uploader.engine",
    "UploadTarget": "hindsight.uploader.config",
    "UploaderError": "hindsight.uploader.errors",
    "consent_text": "hindsight.uploader.consent",
    "create_transport": "hindsight.uploader.transport",
    "parse_rate": "hindsight.uploader.config",
}

__all__ = [
    "BucketMissing",
    "ChecksumMismatch",
    "ClipChanged",
    "ClipFolderMissing",
    "ClipLibrary",
    "ClipNotFound",
    "ClipRecord",
    "ClipReport",
    "ClipState",
    "ClipUploader",
    "ConsentRequired",
    "ConsentState",
    "CredentialsRejected",
    "LibraryCorrupt",
    "LibraryError",
    "LibraryOutput",
    "MemoryTransport",
    "Outcome",
    "PURPOSES",
    "RemotePlace",
    "ServerUnreachable",
    "Transport",
    "TransportError",
    "UploadConfig",
    "UploadConfigError",
    "UploadGone",
    "UploadPolicy",
    "UploadRunner",
    "UploadStopped",
    "UploadTarget",
    "UploaderError",
    "consent_text",
    "create_transport",
    "parse_rate",
]


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'hindsight.uploader' has no attribute {name!r}")
    value = getattr(importlib.import_module(home), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
