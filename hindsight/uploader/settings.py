"""Uploader settings: the ``[upload]`` and ``[library]`` tables of ``settings.toml``, then CLI
flags.

Credentials never live here: they come from the AWS chain (environment, profile) or
the OS keyring. A key that looks like one (``aws_secret_access_key``...) is refused
with a line saying where it belongs.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from hindsight.paths import settings_path
from hindsight.settings_file import checked_table, read_settings_file
from hindsight.uploader.config import UploadConfig, UploadTarget, parse_rate
from hindsight.uploader.errors import UploadConfigError

__all__ = [
    "UPLOAD_KEYS",
    "LIBRARY_KEYS",
    "load_uploader_settings",
    "build_upload_config",
    "library_url",
    "clips_dir",
]

UPLOAD_KEYS: dict[str, type | tuple[type, ...]] = {
    "bucket": str,
    "prefix": str,
    "endpoint_url": str,
    "region": str,
    "profile": str,
    "policy": str,
    "max_rate": (str, int),
    "part_size_mb": int,
    "concurrency": int,
    "include_events": bool,
}
LIBRARY_KEYS: dict[str, type | tuple[type, ...]] = {"url": str}
_SECRETS = ("secret", "access_key", "password", "token")


def load_uploader_settings(path: Path | None = None) -> dict[str, dict[str, Any]]:
    """``{"upload": {...}, "library": {...}}`` from the settings file (empty tables if absent)."""
    path = path or settings_path()
    data = read_settings_file(path, UploadConfigError)
    for table in ("upload", "library"):
        values = data.get(table)
        for key in values if isinstance(values, dict) else ():
            if any(mark in key.lower() for mark in _SECRETS):
                raise UploadConfigError(
                    f"{path}: {table}.{key}: credentials do not belong in the settings file; use "
                    "AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, an AWS profile, or `hindsight upload "
                    "--login`"
                )
    return {
        "upload": checked_table(data, "upload", UPLOAD_KEYS, path, UploadConfigError),
        "library": checked_table(data, "library", LIBRARY_KEYS, path, UploadConfigError),
    }


def build_upload_config(
    overrides: Mapping[str, Any], settings: Mapping[str, Any] | None = None
) -> UploadConfig:
    """Merge ``[upload]`` settings and CLI ``overrides`` (None = not given) into a validated
    config."""
    merged = dict(settings if settings is not None else load_uploader_settings()["upload"])
    merged.update({k: v for k, v in overrides.items() if v is not None})
    # Only what was given is passed on: the defaults live in UploadTarget and UploadConfig.
    target = None
    if merged.get("bucket"):
        given = {k: merged[k] for k in ("prefix", "region", "profile") if k in merged}
        target = UploadTarget(
            bucket=merged["bucket"], endpoint_url=merged.get("endpoint_url") or None, **given
        )
    elif any(merged.get(k) for k in ("endpoint_url", "prefix")):
        raise UploadConfigError(
            "an upload endpoint or prefix was given without a bucket: set --bucket "
            "or [upload] bucket"
        )
    options: dict[str, Any] = {
        k: merged[k] for k in ("policy", "concurrency", "include_events") if k in merged
    }
    if "part_size_mb" in merged:
        options["part_size_bytes"] = int(merged["part_size_mb"]) * 2**20
    return UploadConfig(
        target=target, max_rate_bytes_per_s=parse_rate(merged.get("max_rate")), **options
    )


def library_url(settings: Mapping[str, Any] | None = None) -> str | None:
    """The ``[library] url`` setting, or None for the default SQLite file in the data folder."""
    table = settings if settings is not None else load_uploader_settings()["library"]
    return table.get("url")


def clips_dir(path: Path | None = None) -> Path:
    """Where the recorder writes clips: ``[record] clips_dir`` of the settings file, else the
    default."""
    from hindsight.paths import default_clips_dir

    path = path or settings_path()
    try:
        record = read_settings_file(path, UploadConfigError).get("record", {})
    except UploadConfigError:
        record = {}  # `hindsight record` reports a broken file; here the default folder will do
    value = record.get("clips_dir") if isinstance(record, dict) else None
    return Path(value).expanduser() if isinstance(value, str) and value else default_clips_dir()
