"""The uploader's commands: ``upload`` and ``consent`` (the ``clips`` commands are in :mod:`.cli_clips`)."""

from __future__ import annotations

import argparse
import getpass
import json
import sys
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hindsight.cli.progressbar import ProgressBar, human_bytes
from hindsight.cli import clips as cli_clips
from hindsight.uploader.consent import PURPOSES, consent_text
from hindsight.uploader.errors import CredentialsRejected, UploadConfigError, UploaderError
from hindsight.uploader.settings import build_upload_config, library_url, load_uploader_settings

if TYPE_CHECKING:  # the database layer loads only when a command runs
    from hindsight.uploader.library import ClipLibrary

__all__ = ["register", "open_library"]


def register(sub: argparse._SubParsersAction) -> None:
    cli_clips.register(sub)

    p = sub.add_parser("upload", help="upload queued clips now (or the clips named)",
                       description="Upload clips to the S3 bucket set in settings.toml [upload] or by the options "
                       "below. With no CLIP, uploads what is queued or waiting for a retry. Needs your consent: "
                       "see `hindsight consent show clips`. Credentials come from the AWS environment variables, "
                       "an AWS profile, or the OS keyring (`hindsight upload --login`).")
    p.add_argument("clips", nargs="*", metavar="CLIP", help="clip ids (or id prefixes, or folders) to upload")
    p.add_argument("--all", action="store_true", help="upload every clip not uploaded yet")
    p.add_argument("--endpoint-url", dest="endpoint_url", metavar="URL", help="S3 endpoint, e.g. http://127.0.0.1:8333")
    p.add_argument("--bucket", help="bucket name")
    p.add_argument("--prefix", help="key prefix inside the bucket (default hindsight)")
    p.add_argument("--region", help="bucket region (default us-east-1)")
    p.add_argument("--profile", help="AWS profile for credentials")
    p.add_argument("--max-rate", dest="max_rate", metavar="RATE", help="bandwidth cap in bytes/s, e.g. 4M or 500k")
    p.add_argument("--include-events", dest="include_events", action="store_true", default=None,
                   help="also upload events.parquet (sub-frame action edges); off unless you opt in")
    p.add_argument("--retry-for", dest="retry_for_s", type=float, default=60.0, metavar="S",
                   help="keep retrying a failing server for S seconds before giving up (default 60)")
    p.add_argument("--login", action="store_true",
                   help="store an access key for the endpoint in the OS keyring (asks for it) and exit")
    p.add_argument("--json", action="store_true", help="print the outcome as JSON")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument("--settings", type=Path, metavar="FILE", help="settings file to read instead of the user's")
    p.set_defaults(func=cmd_upload)

    p = sub.add_parser("consent", help="show, grant or withdraw consent to share clips (clips) or contribute "
                       "them as training data (dataset)")
    csub = p.add_subparsers(dest="consent_command", metavar="ACTION", required=True)
    for name, helptext in (("show", "show what you agreed to, and the texts"),
                           ("grant", "agree to a purpose (shows its text first)"),
                           ("withdraw", "withdraw consent; unfinished uploads stop")):
        c = csub.add_parser(name, help=helptext)
        c.add_argument("purpose", nargs="?" if name == "show" else None, choices=PURPOSES, metavar="PURPOSE",
                       help="clips or dataset")
        if name == "grant":
            c.add_argument("--yes", action="store_true", help="agree without the question (after reading the text)")
        if name == "show":
            c.add_argument("--history", action="store_true", help="every grant and withdrawal, oldest first")
        c.add_argument("--settings", type=Path, metavar="FILE", help="settings file to read instead of the user's")
        c.set_defaults(func=cmd_consent)


def open_library(settings_file: Path | None) -> ClipLibrary:
    from hindsight.uploader.library import ClipLibrary

    return ClipLibrary.open(library_url(load_uploader_settings(settings_file)["library"]))


def _upload_config(args: argparse.Namespace):  # type: ignore[no-untyped-def]
    settings = load_uploader_settings(args.settings)["upload"]
    keys = ("endpoint_url", "bucket", "prefix", "region", "profile", "max_rate", "include_events")
    return build_upload_config({k: getattr(args, k) for k in keys}, settings)


def cmd_upload(args: argparse.Namespace) -> int:
    from hindsight.uploader.worker import UploadRunner, require_consent

    config = _upload_config(args)
    if config.target is None:
        raise UploadConfigError("no upload target: set [upload] bucket in settings.toml or pass --bucket "
                                "(and --endpoint-url for a server other than AWS)")
    if args.login:
        return _login(config.target)
    library = open_library(args.settings)
    try:
        require_consent(library)  # before anything is queued: without consent nothing changes
        cli_clips.sync(library, args.settings)
        clip_ids = None
        include_failed = True
        if args.clips or args.all:
            chosen = [library.get(ref) for ref in args.clips] if args.clips else [
                c for c in library.clips(("local", "failed", "queued", "uploading"))]
            for clip in chosen:
                if clip.state in ("local", "failed"):
                    library.queue(clip.id)
            clip_ids = [c.id for c in chosen if c.state not in ("uploaded", "deleted")]
            for clip in chosen:
                if clip.state in ("uploaded", "deleted") and not args.json:
                    print(f"{clip.short_id}: already {clip.state}", file=sys.stderr)
            if not clip_ids:
                return 0
        pending = [c for c in library.clips(("queued", "failed", "uploading")) if clip_ids is None or c.id in clip_ids]
        bar = ProgressBar(sum(c.bytes for c in pending), label=f"uploading {len(pending)} clip(s) ",
                          quiet=args.quiet or args.json)
        runner = UploadRunner(library, config, on_bytes=bar.advance)
        from hindsight.uploader.deletion import PlaceTransports

        cli_clips.finish_remote_deletes(library, PlaceTransports(config.target, current=lambda: runner.transport))
        try:
            outcomes = runner.run_until_idle(clip_ids, include_failed=include_failed, retry_for_s=args.retry_for_s)
        finally:
            bar.finish()
        return _report(outcomes, config, args.json)
    finally:
        library.close()


def _report(outcomes: list, config: Any, as_json: bool) -> int:
    failed = [o for o in outcomes if not o.ok]
    if as_json:
        print(json.dumps({"target": config.target.describe(), "clips": [_outcome_json(o) for o in outcomes]},
                         indent=2))
    else:
        sent = sum(o.report.bytes_sent for o in outcomes if o.ok and o.report)
        done = len(outcomes) - len(failed)
        if not outcomes:
            print("nothing to upload")
        else:
            print(f"uploaded {done} clip(s), {human_bytes(sent)} sent, to {config.target.describe()}")
        for o in failed:
            print(f"{o.clip.short_id}: {o.error}", file=sys.stderr)
    if failed:
        raise UploaderError(f"{len(failed)} clip(s) not uploaded (see above); `hindsight clips list` shows "
                            "when each is retried")
    return 0


def _outcome_json(outcome: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"clip_id": outcome.clip.id, "ok": outcome.ok, "state": outcome.clip.state,
                           "error": outcome.error}
    if outcome.report is not None:
        out["key_prefix"] = outcome.report.key_prefix
        out["bytes_sent"] = outcome.report.bytes_sent
        out["seconds"] = round(outcome.report.seconds, 3)
        out["files"] = {f.name: {"bytes": f.bytes, "skipped": f.skipped, "parts_sent": f.parts_sent,
                                 "parts_reused": f.parts_reused} for f in outcome.report.files}
    return out


def _login(target: Any) -> int:
    from hindsight.uploader.credentials import Credentials, store_credentials

    if not sys.stdin.isatty():
        raise UploadConfigError("--login asks for the key on a terminal; set AWS_ACCESS_KEY_ID and "
                                "AWS_SECRET_ACCESS_KEY instead when there is none")
    key_id = input("access key id: ").strip()
    secret = getpass.getpass("secret access key: ").strip()
    if not key_id or not secret:
        raise CredentialsRejected("an access key id and a secret are both needed")
    store_credentials(target, Credentials(key_id, secret))
    print(f"stored in the OS keyring for {target.endpoint_url or 'AWS'}")
    return 0


def cmd_consent(args: argparse.Namespace) -> int:
    library = open_library(args.settings)
    try:
        if args.consent_command == "show":
            for purpose in [args.purpose] if args.purpose else list(PURPOSES):
                state = library.consent(purpose)
                text = consent_text(purpose)
                if state.current:
                    status = f"granted ({state.version}, {_when(state.t_ms)})"
                elif state.granted:
                    status = f"granted for an older text ({state.version}); grant again to agree to {text.version}"
                elif state.t_ms:
                    status = f"withdrawn ({_when(state.t_ms)})"
                else:
                    status = "not granted"
                print(f"{purpose}: {status}")
                if args.purpose and not args.history:
                    print(f"\n{text.body}\n\n(text version {text.version})")
            if args.history:
                for event in library.consent_history():
                    if args.purpose in (None, event.purpose):
                        verb = "granted" if event.granted else "withdrawn"
                        print(f"  {_when(event.t_ms)}  {event.purpose}: {verb} ({event.version})")
            return 0
        purpose = args.purpose
        text = consent_text(purpose)
        if args.consent_command == "grant":
            if not args.yes:
                if not sys.stdin.isatty():
                    raise UploadConfigError(f"read the text with `hindsight consent show {purpose}`, then run "
                                            f"`hindsight consent grant {purpose} --yes`")
                print(f"{text.body}\n")
                if input(f"Agree to this ({text.version})? [y/N] ").strip().lower() not in ("y", "yes"):
                    print("nothing changed")
                    return 1
            library.record_consent(purpose, True)
            print(f"{purpose}: granted ({text.version})")
            return 0
        library.record_consent(purpose, False)
        stopped = library.unqueue_all("consent withdrawn") if purpose == "clips" else 0
        print(f"{purpose}: withdrawn" + (f"; {stopped} queued upload(s) stopped" if stopped else ""))
        return 0
    finally:
        library.close()


def _when(t_ms: int | None) -> str:
    return datetime.fromtimestamp((t_ms or 0) / 1000).strftime("%Y-%m-%d %H:%M")
