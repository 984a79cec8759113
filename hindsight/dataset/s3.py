"""Clips in an S3 bucket, as the uploader lays them out: listing them, and one at a time on disk.

Uploaded clips are at ``<prefix>/<game-id>/<clip_id>/<file>``, ``manifest.json`` written
last, so a clip is listed only once its manifest is there (an upload in progress is
not a clip yet). :func:`local_clip` streams one clip's objects into a private temp
folder for the length of one per-clip call and deletes it after: nothing needs the
bucket on local disk. The endpoint and credentials come from the standard AWS chain
(environment, config files, instance roles; ``AWS_ENDPOINT_URL_S3`` /
``AWS_ENDPOINT_URL`` name a server other than AWS) unless an endpoint is given.
"""

from __future__ import annotations

import contextlib
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hindsight.bundle import MANIFEST_FILE
from hindsight.dataset.errors import DatasetError

__all__ = ["S3Location", "parse_s3_url", "list_clip_prefixes", "local_clip", "is_s3_url"]

_SCHEME = "s3://"
# A clip's objects: <game-id>/<clip_id>/<file> under the prefix.
_CLIP_DEPTH = 2


def is_s3_url(spec: str) -> bool:
    return spec.startswith(_SCHEME)


@dataclass(frozen=True)
class S3Location:
    """A bucket and a key prefix (no slashes at its ends; empty: the whole bucket), and the
    server (None: whatever the AWS chain says)."""

    bucket: str
    prefix: str = ""
    endpoint_url: str | None = None

    def __post_init__(self) -> None:
        if not self.bucket or "/" in self.bucket:
            raise DatasetError(f"{self.bucket!r} is not a bucket name")
        if any(seg in ("", ".", "..") for seg in self.prefix.split("/")) and self.prefix:
            raise DatasetError(f"{self.prefix!r}: empty, '.' or '..' path segments in the prefix")

    @property
    def url(self) -> str:
        return f"{_SCHEME}{self.bucket}/{self.prefix}" if self.prefix else f"{_SCHEME}{self.bucket}"

    def key_prefix(self) -> str:
        """The prefix as keys start with it (a trailing slash, or nothing for the bucket)."""
        return f"{self.prefix}/" if self.prefix else ""


def parse_s3_url(spec: str, endpoint_url: str | None = None) -> S3Location:
    """``s3://bucket[/prefix]``; a :class:`DatasetError` if it is not one."""
    if not is_s3_url(spec):
        raise DatasetError(f"{spec}: not an s3:// URL")
    rest = spec[len(_SCHEME) :]
    bucket, _, prefix = rest.partition("/")
    if not bucket:
        raise DatasetError(f"{spec}: not a valid S3 URL (s3://bucket/prefix)")
    return S3Location(bucket, prefix.strip("/"), endpoint_url)


def _client(endpoint_url: str | None) -> Any:
    import boto3
    from botocore.config import Config

    config = Config(
        # A server named by address (SeaweedFS, MinIO) serves buckets by path.
        s3={"addressing_style": "path" if endpoint_url else "auto"},
        retries={"max_attempts": 3, "mode": "standard"},
        connect_timeout=5,
        read_timeout=60,
    )
    session = boto3.session.Session()
    region = session.region_name or "us-east-1"
    return session.client("s3", endpoint_url=endpoint_url, region_name=region, config=config)


def _one_line(where: str, err: Exception) -> DatasetError:
    """The S3 library's error as one line naming ``where``."""
    from botocore.exceptions import ClientError, EndpointConnectionError, NoCredentialsError

    if isinstance(err, EndpointConnectionError):
        return DatasetError(f"{where}: cannot reach the S3 server ({err})")
    if isinstance(err, NoCredentialsError):
        return DatasetError(
            f"{where}: no S3 credentials (set AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY or a "
            "profile)"
        )
    if isinstance(err, ClientError):
        error = err.response.get("Error", {})
        code, message = error.get("Code", "error"), error.get("Message", "")
        return DatasetError(
            f"{where}: the S3 server said {code}{': ' + message if message else ''}"
        )
    return DatasetError(
        f"{where}: {type(err).__name__}: {str(err).splitlines()[0] if str(err) else ''}"
    )


def _errors() -> tuple[type[Exception], ...]:
    from botocore.exceptions import BotoCoreError, ClientError

    return (BotoCoreError, ClientError)


def list_clip_prefixes(loc: S3Location) -> list[str]:
    """The key prefix (``<prefix>/<game-id>/<clip_id>``) of every clip whose manifest is in,
    sorted."""
    client = _client(loc.endpoint_url)
    top = loc.key_prefix()
    found = []
    try:
        pages = client.get_paginator("list_objects_v2").paginate(Bucket=loc.bucket, Prefix=top)
        for page in pages:
            for obj in page.get("Contents", ()):
                key = obj["Key"]
                parts = key[len(top) :].split("/")
                if len(parts) == _CLIP_DEPTH + 1 and parts[-1] == MANIFEST_FILE:
                    found.append(key[: -len(MANIFEST_FILE) - 1])
    except _errors() as err:
        raise _one_line(loc.url, err) from None
    return sorted(found)


@contextlib.contextmanager
def local_clip(loc: S3Location, clip_prefix: str) -> Iterator[Path]:
    """The objects under ``clip_prefix`` in a private temp folder (named as the clip's id) for
    the length of the ``with``; the folder is deleted after."""
    client = _client(loc.endpoint_url)
    where = f"s3://{loc.bucket}/{clip_prefix}"
    tmp = Path(tempfile.mkdtemp(prefix="hindsight-clip-"))
    try:
        folder = tmp / clip_prefix.rsplit("/", 1)[-1]
        folder.mkdir()
        try:
            listing = client.list_objects_v2(Bucket=loc.bucket, Prefix=clip_prefix + "/")
            keys = [o["Key"] for o in listing.get("Contents", ())]
            for key in keys:
                name = key[len(clip_prefix) + 1 :]
                if not name or "/" in name or name in (".", ".."):
                    continue  # not a file of this clip's folder: never written outside it
                with open(folder / name, "wb") as out:
                    client.download_fileobj(loc.bucket, key, out)
        except _errors() as err:
            raise _one_line(where, err) from None
        yield folder
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
