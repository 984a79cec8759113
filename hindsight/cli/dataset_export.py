"""``hindsight dataset export``: clips as a LeRobot v3.0 dataset or WebDataset shards."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from hindsight.cli.dataset import ShownEngine, add_source_arguments, clips_and_engine
from hindsight.dataset.engine import Engine
from hindsight.dataset.source import ClipRef
from hindsight.errors import ConfigError

__all__ = ["register"]


def _size(text: str) -> tuple[int, int]:
    try:
        w, h = (int(part) for part in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not WIDTHxHEIGHT (e.g. 1280x720)") from None
    return w, h


def _fraction(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number from 0 to 1") from None


def register(commands: argparse._SubParsersAction) -> None:
    p = commands.add_parser(
        "export",
        help="export clips as a LeRobot v3.0 dataset or WebDataset shards",
        description=(
            "Export the clips of SOURCE into DIR. lerobot: one LeRobot v3.0 dataset (one "
            "episode per clip, a named float32 action vector per frame, the screen as "
            "video), for one action map id@version; the video is stream-copied when it "
            "already fits and transcoded only when --fps or --size ask or it must be; "
            "sound, sub-frame events and contributor pseudonyms are never part of it. "
            "webdataset: one sample per clip (its video, action track and facts) in tar "
            "shards of about --shard-size, each with a Parquet index of the clips in it; "
            "the microphone, sub-frame events and the contributor pseudonym only when asked "
            "for and the clip's recorded consent allows it."
        ),
    )
    add_source_arguments(p)
    p.add_argument(
        "--format",
        choices=("lerobot", "webdataset"),
        default="lerobot",
        help="lerobot (default): a LeRobot v3.0 dataset; webdataset: tar shards",
    )
    p.add_argument(
        "-o",
        "--output",
        dest="out_dir",
        type=Path,
        required=True,
        metavar="DIR",
        help="a new or empty folder for the dataset",
    )
    p.add_argument(
        "--game",
        metavar="ID[@VERSION]",
        help="only this game's clips, or only one action map version",
    )
    p.add_argument(
        "--min-valid",
        dest="min_valid",
        type=_fraction,
        default=0.0,
        metavar="F",
        help="leave out clips with fewer valid frames than this fraction (0..1)",
    )
    p.add_argument(
        "--contexts",
        metavar="A,B",
        help="leave out clips with any frame in another context (action set)",
    )
    p.add_argument(
        "--dedupe",
        action="store_true",
        help="overlapping clips of one recording session: keep each frame once",
    )
    p.add_argument(
        "--fps", type=int, help="a lower frame rate; actions are resampled (lerobot; transcodes)"
    )
    p.add_argument(
        "--size", type=_size, metavar="WxH", help="picture size, both even (lerobot; transcodes)"
    )
    p.add_argument(
        "--shard-size",
        dest="shard_size",
        type=_bytes,
        default=None,
        metavar="SIZE",
        help="webdataset: close a shard before it grows past SIZE (default 1G; K, M, G)",
    )
    for what, helps in (
        ("mic", "the microphone, where the clip has a dataset consent"),
        ("events", "the sub-frame events, where the player shared them"),
        ("contributor", "the contributor pseudonym, where consented"),
    ):
        p.add_argument(
            f"--include-{what}",
            dest=f"include_{what}",
            action="store_true",
            help=f"webdataset: also {helps}",
        )
    p.set_defaults(func=cmd_export)


def _bytes(text: str) -> int:
    units = {"": 1, "K": 2**10, "M": 2**20, "G": 2**30}
    number, unit = text.upper().rstrip("B"), ""
    if number and number[-1] in units:
        number, unit = number[:-1], number[-1]
    try:
        value = int(float(number) * units[unit])
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a size (e.g. 512M, 1G)") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r}: a shard holds at least one byte")
    return value


def cmd_export(args: argparse.Namespace) -> int:
    clips, engine = clips_and_engine(args)
    engine = ShownEngine(engine, "export")
    if args.format == "webdataset":
        return _export_webdataset(args, clips, engine)
    for flag, value in (
        ("--shard-size", args.shard_size),
        ("--include-mic", args.include_mic),
        ("--include-events", args.include_events),
        ("--include-contributor", args.include_contributor),
    ):
        if value:
            raise ConfigError(f"{flag} applies to --format webdataset only")
    from hindsight.dataset.lerobot import LerobotOptions, export_lerobot

    options = LerobotOptions(
        game=args.game,
        min_valid=args.min_valid,
        contexts=tuple(c.strip() for c in args.contexts.split(",")) if args.contexts else None,
        dedupe=args.dedupe,
        fps=args.fps,
        size=args.size,
    )
    summary = export_lerobot(
        clips, args.out_dir, options, engine, say=lambda line: print(line, file=sys.stderr)
    )
    print(
        f"{summary.root}: LeRobot v3.0 dataset, {summary.episodes} episodes, "
        f"{summary.frames} frames, {summary.video_files} video files "
        f"({summary.copied} clips stream-copied, {summary.transcoded} transcoded)"
    )
    return 1 if summary.failed else 0


def _export_webdataset(args: argparse.Namespace, clips: Sequence[ClipRef], engine: Engine) -> int:
    asked = {
        "--game": args.game,
        "--min-valid": args.min_valid,
        "--contexts": args.contexts,
        "--dedupe": args.dedupe,
        "--fps": args.fps,
        "--size": args.size,
    }
    for flag, value in asked.items():
        if value:
            raise ConfigError(f"{flag} applies to --format lerobot only")
    from hindsight.dataset.webdataset import WebDatasetOptions, export_webdataset

    sized = {} if args.shard_size is None else {"shard_bytes": args.shard_size}
    options = WebDatasetOptions(
        include_events=args.include_events,
        include_mic=args.include_mic,
        include_contributor=args.include_contributor,
        **sized,
    )
    summary = export_webdataset(clips, args.out_dir, options, engine)
    print(
        f"{summary.out_dir}: WebDataset, {summary.samples} samples in {len(summary.shards)} shards"
    )
    return 1 if summary.failed else 0
