"""The ``clips`` commands: list, show, open, delete and repair the clip library."""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hindsight.cli.progressbar import human_bytes
from hindsight.uploader.errors import UploaderError
from hindsight.uploader.states import ClipState

if TYPE_CHECKING:  # the database layer loads only when a command runs
    from hindsight.uploader.library import ClipLibrary, ClipRecord

__all__ = ["register"]


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("clips", help="list, show, open or delete clips in the library")
    csub = p.add_subparsers(dest="clips_command", metavar="ACTION", required=True)
    c = csub.add_parser("list", help="a table of clips: game, time, length, size, upload state")
    c.add_argument(
        "--state",
        action="append",
        choices=[s.value for s in ClipState],
        metavar="STATE",
        help=f"only clips in this state (repeatable): {', '.join(ClipState)}",
    )
    c.add_argument("--json", action="store_true", help="print JSON")
    c = csub.add_parser("show", help="everything the library knows about a clip")
    c.add_argument("clip", metavar="CLIP", help="clip id (or an id prefix, or its folder)")
    c.add_argument("--json", action="store_true", help="print JSON")
    c = csub.add_parser("open", help="open a clip's folder in the file manager")
    c.add_argument("clip", metavar="CLIP")
    c = csub.add_parser("delete", help="delete a clip here and, if it was uploaded, in the bucket")
    c.add_argument("clip", nargs="+", metavar="CLIP")
    c.add_argument("--local-only", action="store_true", help="keep the uploaded copy")
    c.add_argument("--yes", action="store_true", help="do not ask")
    csub.add_parser(
        "repair", help="set a damaged library database aside and rebuild it from the clips folder"
    )
    for c in csub.choices.values():
        c.add_argument(
            "--settings",
            type=Path,
            metavar="FILE",
            help="settings file to read instead of the user's",
        )
        c.set_defaults(func=cmd_clips)


def cmd_clips(args: argparse.Namespace) -> int:
    from hindsight.uploader import policy

    if args.clips_command == "repair":
        return _repair(args.settings)
    library = policy.open_library(args.settings)
    try:
        policy.sync_library(library, args.settings)
        if args.clips_command == "list":
            return _list(library, args.state, args.json)
        if args.clips_command == "show":
            return _show(library.get(args.clip), args.json)
        if args.clips_command == "open":
            from hindsight.app.opener import open_path

            folder = policy.clip_folder(library, args.clip)
            open_path(folder)
            print(folder)
            return 0
        return _delete(library, args)
    finally:
        library.close()


def _local_time(created_utc: str) -> str:
    try:
        t = datetime.strptime(created_utc, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)
    except ValueError:
        return created_utc[:16]
    return t.astimezone().strftime("%Y-%m-%d %H:%M:%S")


def _state_text(clip: ClipRecord) -> str:
    from hindsight.uploader.library import now_ms

    text = str(clip.state)
    if clip.state == ClipState.FAILED:
        text += (
            f", retry in {max(0, (clip.next_retry_ms - now_ms()) // 1000)} s"
            if clip.next_retry_ms
            else ", no retry"
        )
    elif clip.state == ClipState.QUEUED and clip.wait_pid:
        text += " (after the game closes)"
    elif clip.state == ClipState.DELETED and clip.remote_delete_pending:
        text += " (bucket copy pending)"
    if clip.state != ClipState.DELETED and not clip.path.exists():
        text += " (folder missing)"
    return text


def _list(library: ClipLibrary, states: list[str] | None, as_json: bool) -> int:
    clips = (
        library.clips([ClipState(s) for s in states])
        if states
        else library.clips(include_deleted=False)
    )
    if as_json:
        print(json.dumps([_clip_json(c) for c in clips], indent=2))
        return 0
    if not clips:
        print("no clips yet (save one with the hotkey or `hindsight clip`)")
        return 0
    rows = [("ID", "GAME", "SAVED", "LENGTH", "SIZE", "UPLOAD")]
    for c in clips:
        rows.append(
            (
                c.short_id,
                c.game_title[:28],
                _local_time(c.created_utc),
                f"{c.duration_ms / 1000:.1f} s",
                human_bytes(c.bytes),
                _state_text(c),
            )
        )
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]) - 1)]
    for r in rows:
        print("  ".join(v.ljust(w) for v, w in zip(r, widths, strict=False)) + "  " + r[-1])
    return 0


def _clip_json(clip: ClipRecord) -> dict[str, Any]:
    out = asdict(clip)
    out["path"] = str(clip.path)
    out["folder_exists"] = clip.path.exists()
    return out


def _show(clip: ClipRecord, as_json: bool) -> int:
    if as_json:
        print(json.dumps(_clip_json(clip), indent=2))
        return 0
    lines = [
        f"clip      {clip.id}",
        f"game      {clip.game_title} ({clip.game_id})",
        f"saved     {_local_time(clip.created_utc)}",
        f"length    {clip.duration_ms / 1000:.1f} s, {clip.frames} frames",
        f"size      {human_bytes(clip.bytes)}",
        f"folder    {clip.path}"
        + ("" if clip.path.exists() or clip.state == ClipState.DELETED else "  (missing)"),
        f"upload    {_state_text(clip)}",
    ]
    if clip.reason:
        lines.append(f"reason    {clip.reason}")
    if clip.attempts:
        lines.append(f"attempts  {clip.attempts}")
    if clip.remote is not None:
        where = clip.remote.endpoint_url or "AWS S3"
        lines.append(f"remote    s3://{clip.remote.bucket}/{clip.remote.key_prefix}/ at {where}")
    print("\n".join(lines))
    return 0


def _delete(library: ClipLibrary, args: argparse.Namespace) -> int:
    from hindsight.uploader.policy import delete_clips

    clips = [library.get(ref) for ref in args.clip]
    if not args.yes and sys.stdin.isatty():
        names = ", ".join(f"{c.short_id} ({c.game_title})" for c in clips)
        remote = any(c.remote is not None for c in clips) and not args.local_only
        question = f"delete {names}{' here and in the bucket' if remote else ''}? [y/N] "
        if input(question).strip().lower() not in ("y", "yes"):
            print("nothing deleted")
            return 1
    pending = 0
    for outcome in delete_clips(
        library, clips, local_only=args.local_only, settings_file=args.settings
    ):
        short_id = outcome.clip.short_id
        if outcome.already_deleted:
            print(f"{short_id}: already deleted")
            continue
        objects = (
            f", {outcome.remote_objects_deleted} uploaded object(s) deleted"
            if outcome.remote_objects_deleted
            else ""
        )
        print(f"{short_id}: deleted{objects}")
        if outcome.remote_error:
            pending += 1
            print(
                f"{short_id}: the uploaded copy could not be deleted yet ({outcome.remote_error}); "
                "`hindsight upload` finishes it",
                file=sys.stderr,
            )
    if pending:
        raise UploaderError(
            f"{pending} uploaded copy(ies) still to delete; run `hindsight upload` when the "
            "server is back"
        )
    return 0


def _repair(settings_file: Path | None) -> int:
    from hindsight.uploader.policy import repair_library

    repair = repair_library(settings_file)
    if repair.set_aside is not None:
        print(f"set aside: {repair.set_aside}")
    print(
        f"rebuilt {repair.database} with {len(repair.added)} clip(s) from {repair.clips_dir}; "
        "uploaded clips are recognised on the next `hindsight upload` without sending them again"
    )
    return 0
