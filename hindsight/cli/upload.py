"""The ``upload`` command: send clips to the bucket now, or store an access key (``--login``)."""

from __future__ import annotations

import argparse
import gc
import getpass
import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hindsight.cli.progressbar import ProgressBar, human_bytes
from hindsight.uploader.errors import CredentialsRejected, UploadConfigError, UploaderError

if TYPE_CHECKING:  # the database and transport layers load only when a command runs
    from hindsight.uploader.config import UploadConfig, UploadTarget
    from hindsight.uploader.worker import Outcome

__all__ = ["register"]


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "upload",
        help="upload queued clips now (or the clips named)",
        description="Upload clips to the S3 bucket set in settings.toml [upload] or by the options "
        "below. With no CLIP, uploads what is queued or waiting for a retry. Needs your consent: "
        "see `hindsight consent show clips`. Credentials come from the AWS environment variables, "
        "an AWS profile, or the OS keyring (`hindsight upload --login`).",
    )
    p.add_argument(
        "clips", nargs="*", metavar="CLIP", help="clip ids (or id prefixes, or folders) to upload"
    )
    p.add_argument("--all", action="store_true", help="upload every clip not uploaded yet")
    p.add_argument(
        "--endpoint-url",
        dest="endpoint_url",
        metavar="URL",
        help="S3 endpoint, e.g. http://127.0.0.1:8333",
    )
    p.add_argument("--bucket", help="bucket name")
    p.add_argument("--prefix", help="key prefix inside the bucket (default hindsight)")
    p.add_argument("--region", help="bucket region (default us-east-1)")
    p.add_argument("--profile", help="AWS profile for credentials")
    p.add_argument(
        "--max-rate",
        dest="max_rate",
        metavar="RATE",
        help="bandwidth cap in bytes/s, e.g. 4M or 500k",
    )
    p.add_argument(
        "--include-events",
        dest="include_events",
        action="store_true",
        default=None,
        help="also upload events.parquet (sub-frame action edges); off unless you opt in",
    )
    p.add_argument(
        "--retry-for",
        dest="retry_for_s",
        type=float,
        default=60.0,
        metavar="S",
        help="keep retrying a failing server for S seconds before giving up (default 60)",
    )
    p.add_argument(
        "--login",
        action="store_true",
        help="store an access key for the endpoint in the OS keyring (asks for it) and exit",
    )
    p.add_argument("--json", action="store_true", help="print the outcome as JSON")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument(
        "--settings", type=Path, metavar="FILE", help="settings file to read instead of the user's"
    )
    p.set_defaults(func=cmd_upload)


def cmd_upload(args: argparse.Namespace) -> int:
    with _collector_paused():
        # The library and boto3 both load here, before anything is timed by the user's wait.
        import hindsight.uploader.transport.s3  # noqa: F401
        from hindsight.uploader import policy

    keys = ("endpoint_url", "bucket", "prefix", "region", "profile", "max_rate", "include_events")
    config = policy.upload_config({k: getattr(args, k) for k in keys}, args.settings)
    if config.target is None:
        raise UploadConfigError(
            "no upload target: set [upload] bucket in settings.toml or pass --bucket "
            "(and --endpoint-url for a server other than AWS)"
        )
    if args.login:
        return _login(config.target)
    library = policy.open_library(args.settings)
    try:
        policy.require_consent(library)  # before anything is queued or registered
        policy.sync_library(library, args.settings)
        choice = policy.choose_upload(library, args.clips, all_clips=args.all)
        if not args.json:
            for clip in choice.finished:
                print(f"{clip.short_id}: already {clip.state}", file=sys.stderr)
        if choice.nothing_named_to_do:
            return 0
        bar = ProgressBar(
            choice.bytes,
            label=f"uploading {len(choice.pending)} clip(s) ",
            quiet=args.quiet or args.json,
        )
        try:
            outcomes = policy.run_upload(
                library, config, choice, retry_for_s=args.retry_for_s, on_bytes=bar.advance
            )
        finally:
            bar.finish()
        return _report(outcomes, config, args.json)
    finally:
        library.close()


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Load the uploader's libraries with the cycle collector paused, then freeze what they made.

    Importing boto3 and botocore makes some 100,000 objects that live until the process
    ends; the collector, run again and again while they are made, scans them each time
    (about a third of the import's CPU). Frozen (``gc.freeze``), they are also left out of
    every later collection and of the one at exit.
    """
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        gc.enable()


def _report(outcomes: list[Outcome], config: UploadConfig, as_json: bool) -> int:
    failed = [o for o in outcomes if not o.ok]
    where = config.target.describe() if config.target else ""
    if as_json:
        print(
            json.dumps({"target": where, "clips": [_outcome_json(o) for o in outcomes]}, indent=2)
        )
    else:
        sent = sum(o.report.bytes_sent for o in outcomes if o.ok and o.report)
        done = len(outcomes) - len(failed)
        if not outcomes:
            print("nothing to upload")
        else:
            print(f"uploaded {done} clip(s), {human_bytes(sent)} sent, to {where}")
        for o in failed:
            print(f"{o.clip.short_id}: {o.error}", file=sys.stderr)
    if failed:
        raise UploaderError(
            f"{len(failed)} clip(s) not uploaded (see above); `hindsight clips list` shows "
            "when each is retried"
        )
    return 0


def _outcome_json(outcome: Outcome) -> dict[str, Any]:
    out: dict[str, Any] = {
        "clip_id": outcome.clip.id,
        "ok": outcome.ok,
        "state": outcome.clip.state,
        "error": outcome.error,
    }
    if outcome.report is not None:
        out["key_prefix"] = outcome.report.key_prefix
        out["bytes_sent"] = outcome.report.bytes_sent
        out["seconds"] = round(outcome.report.seconds, 3)
        out["files"] = {
            f.name: {
                "bytes": f.bytes,
                "skipped": f.skipped,
                "parts_sent": f.parts_sent,
                "parts_reused": f.parts_reused,
            }
            for f in outcome.report.files
        }
    return out


def _login(target: UploadTarget) -> int:
    from hindsight.uploader.credentials import Credentials, store_credentials

    if not sys.stdin.isatty():
        raise UploadConfigError(
            "--login asks for the key on a terminal; set AWS_ACCESS_KEY_ID and "
            "AWS_SECRET_ACCESS_KEY instead when there is none"
        )
    key_id = input("access key id: ").strip()
    secret = getpass.getpass("secret access key: ").strip()
    if not key_id or not secret:
        raise CredentialsRejected("an access key id and a secret are both needed")
    store_credentials(target, Credentials(key_id, secret))
    print(f"stored in the OS keyring for {target.endpoint_url or 'AWS'}")
    return 0
