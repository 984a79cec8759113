"""``hindsight dataset verify``: check every clip of a source; a table or JSON, exit 1 on faults."""

from __future__ import annotations

import argparse
import json
import os
import sys

from hindsight.cli.dataset import add_source_arguments, clips_and_engine, run_over_clips
from hindsight.dataset.engine import ClipFailed
from hindsight.dataset.source import ClipRef
from hindsight.dataset.verify import VerifyOptions, verify_clip

__all__ = ["register"]


def register(commands: argparse._SubParsersAction) -> None:
    p = commands.add_parser(
        "verify",
        help="check every clip: hashes, manifest, map pin, rows == frames, CFR, privacy",
        description=(
            "Check every clip of SOURCE: each file's sha256 against the manifest, the "
            "manifest against its schema, the action map's pin, one track row per video "
            "frame, a constant frame rate, no file missing or extra, and the privacy rules "
            "(only declared actions and track columns, no events file without its opt-in, "
            "a consent version). Nothing is modified. Exits 1 if any clip has a problem."
        ),
    )
    add_source_arguments(p)
    p.add_argument("--json", action="store_true", help="print a JSON list, one object per clip")
    p.add_argument("--no-video", action="store_true", help="skip reading the video's frame times")
    p.set_defaults(func=cmd_verify)


def cmd_verify(args: argparse.Namespace) -> int:
    clips, engine = clips_and_engine(args)
    options = VerifyOptions(video=not args.no_video)
    rows = []
    for clip, result in zip(
        clips, run_over_clips(engine, verify_clip, clips, options, label="verify "), strict=True
    ):
        if isinstance(result, ClipFailed):
            problems = [f"could not be checked: {result.reason}"]
        else:
            problems = list(result.problems)
        rows.append(
            {"clip": _shown_name(args.source, clip), "ok": not problems, "problems": problems}
        )
    if args.json:
        json.dump(rows, sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        _print_table(rows)
    return 0 if all(r["ok"] for r in rows) else 1


def _shown_name(source: str, clip: ClipRef) -> str:
    """A clip as people find it: its path under a folder SOURCE, ``<game-id>/<clip_id>`` in S3."""
    if clip.where.startswith("s3://"):
        return clip.name
    return os.path.relpath(clip.where, source)


def _print_table(rows: list[dict]) -> None:
    width = max((len(r["clip"]) for r in rows), default=4)
    for r in rows:
        status = "OK" if r["ok"] else "FAILED"
        first = r["problems"][0] if r["problems"] else ""
        more = f" (+{len(r['problems']) - 1} more)" if len(r["problems"]) > 1 else ""
        print(f"{r['clip']:<{width}}  {status:<6}  {first}{more}".rstrip())
    failed = sum(not r["ok"] for r in rows)
    print(f"{len(rows)} clips: {len(rows) - failed} OK, {failed} FAILED")
