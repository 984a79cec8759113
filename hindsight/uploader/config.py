"""Upload configuration: where clips go, how fast, when, and what is sent.

:class:`UploadTarget` names the bucket; :class:`UploadConfig` adds the :class:`UploadPolicy`,
the bandwidth cap, part size and retry timing. Both are frozen and validated on
construction, so a bad value fails where it is given, with its name.

The cap is in bytes per second (``max_rate_bytes_per_s``): in Hindsight a name ending
``_bps`` means bits per second, as in the recorder's ``bitrate_bps``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from urllib.parse import urlsplit

from hindsight.uploader.errors import UploadConfigError

__all__ = ["UploadPolicy", "UploadTarget", "UploadConfig", "parse_rate"]

_MiB = 2**20
_BUCKET = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
_RATE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kKmMgG]?)(i?)(?:[bB](?:ps|/s)?)?\s*$")


def parse_rate(text: str | int | None) -> int | None:
    """A bandwidth cap in bytes/s from ``4M``, ``500k``, ``2MiB`` or a plain number; 0/None = no
    cap.

    Letters follow curl's ``--limit-rate``: ``4M`` is 4 MiB/s (bytes, not bits).
    """
    if text is None:
        return None
    if isinstance(text, int) and not isinstance(text, bool):
        value = text
    else:
        match = _RATE.match(str(text))
        if not match:
            raise UploadConfigError(
                f"max rate {text!r}: expected bytes per second like 4M, 500k or 1048576"
            )
        number, unit = float(match.group(1)), match.group(2).lower()
        value = int(number * {"": 1, "k": 1024, "m": _MiB, "g": 2**30}[unit])
    if value < 0:
        raise UploadConfigError(f"max rate {text!r}: must not be negative")
    return value or None


class UploadPolicy(StrEnum):
    """When a clip the recorder saves is queued for upload (the ``[upload] policy`` setting)."""

    INSTANT = "instant"
    """As soon as it is saved."""
    GAME_EXIT = "game_exit"
    """Once the game it was saved in has closed (uploads never compete with the game)."""
    MANUAL = "manual"
    """Never by itself: ``hindsight upload`` (or the tray) sends it."""


@dataclass(frozen=True)
class UploadTarget:
    """An S3 bucket and key prefix; ``endpoint_url`` None means AWS itself."""

    bucket: str
    prefix: str = "hindsight"
    endpoint_url: str | None = None
    region: str = "us-east-1"
    profile: str | None = None

    def __post_init__(self) -> None:
        if not _BUCKET.match(self.bucket or ""):
            raise UploadConfigError(
                f"bucket {self.bucket!r}: S3 bucket names are 3-63 characters of a-z, 0-9, '.' and "
                "'-'"
            )
        if self.endpoint_url is not None:
            parts = urlsplit(self.endpoint_url)
            if parts.scheme not in ("http", "https") or not parts.netloc:
                raise UploadConfigError(
                    f"endpoint url {self.endpoint_url!r}: expected http(s)://host[:port]"
                )
        prefix = self.prefix.strip("/")
        if any(seg in ("", ".", "..") for seg in prefix.split("/")) and prefix:
            raise UploadConfigError(
                f"prefix {self.prefix!r}: empty, '.' or '..' path segments are not allowed"
            )
        object.__setattr__(self, "prefix", prefix)

    def key(self, game_id: str, clip_id: str, name: str) -> str:
        """The object key of one file of a clip: ``<prefix>/<game-id>/<clip_id>/<file>``."""
        parts = [self.prefix, game_id, clip_id, name] if self.prefix else [game_id, clip_id, name]
        return "/".join(parts)

    def describe(self) -> str:
        where = self.endpoint_url or "AWS S3"
        return f"s3://{self.bucket}/{self.prefix + '/' if self.prefix else ''} at {where}"


@dataclass(frozen=True)
class UploadConfig:
    """How the uploader works: target, policy, cap, part size, retries, opt-ins."""

    target: UploadTarget | None = None
    policy: UploadPolicy = UploadPolicy.MANUAL
    max_rate_bytes_per_s: int | None = None
    # s3transfer's defaults: 8 MiB parts, 10 in flight (a ~100 MiB clip goes up in two waves).
    part_size_bytes: int = 8 * _MiB
    concurrency: int = 10
    capped_concurrency: int = 4
    include_events: bool = False
    retry_base_s: float = 5.0
    retry_max_s: float = 3600.0
    lease_s: float = 30.0

    def __post_init__(self) -> None:
        try:
            # A settings file gives the policy as text; the config holds the enum.
            object.__setattr__(self, "policy", UploadPolicy(self.policy))
        except ValueError:
            raise UploadConfigError(
                f"upload policy {self.policy!r}: expected one of {', '.join(UploadPolicy)}"
            ) from None
        if self.max_rate_bytes_per_s is not None and self.max_rate_bytes_per_s < 1024:
            raise UploadConfigError(
                f"max rate {self.max_rate_bytes_per_s} B/s: at least 1k (or no cap)"
            )
        # S3 parts are 5 MiB..5 GiB except the last; we keep them in memory, so cap at 256 MiB.
        if not 5 * _MiB <= self.part_size_bytes <= 256 * _MiB:
            raise UploadConfigError(f"part size {self.part_size_bytes}: must be 5 MiB..256 MiB")
        for name, value in (
            ("concurrency", self.concurrency),
            ("capped_concurrency", self.capped_concurrency),
        ):
            if not 1 <= value <= 32:
                raise UploadConfigError(f"{name} {value}: must be 1..32")
        if not 0 < self.retry_base_s <= self.retry_max_s:
            raise UploadConfigError("retry timing: need 0 < retry_base_s <= retry_max_s")
        if self.lease_s < 2:
            raise UploadConfigError("lease_s: at least 2 seconds")

    @property
    def parts_in_flight(self) -> int:
        """Parts sent at once: ``concurrency``, or at most ``capped_concurrency`` under a cap.

        Parts in flight share the capped bytes/s, so more of them only make each one
        finish later; a part is recorded (and never re-sent on resume) only once it has.
        """
        if self.max_rate_bytes_per_s is None:
            return self.concurrency
        return min(self.concurrency, self.capped_concurrency)
