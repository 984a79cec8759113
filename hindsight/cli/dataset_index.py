"""``hindsight dataset index``: one Parquet row per clip (see :mod:`hindsight.dataset.index`)."""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

from hindsight.cli.dataset import add_source_arguments, clips_and_engine, run_over_clips
from hindsight.dataset.errors import DatasetError
from hindsight.dataset.index import FLAGS, IndexOptions, collect_index, index_clip, write_index

__all__ = ["register"]


def register(commands: argparse._SubParsersAction) -> None:
    p = commands.add_parser(
        "index",
        help="one Parquet row per clip: facts, contexts, presses, APM, quality flags, overlaps",
        description=(
            "Write a Parquet table with one row per clip of SOURCE: game, map, video facts, "
            "valid and context fractions, presses per action, APM, duplicated frames, "
            "quality flags (dark, letterboxed, idle, mostly_menu) and the overlap group of "
            "clips that show the same seconds of one recording run. Clips that cannot be "
            "read are listed and left out; the exit status is then 1."
        ),
    )
    add_source_arguments(p)
    p.add_argument(
        "-o", "--output", type=Path, required=True, metavar="FILE", help="the Parquet file to write"
    )
    p.set_defaults(func=cmd_index)


def cmd_index(args: argparse.Namespace) -> int:
    out: Path = args.output
    if not out.parent.is_dir():
        raise DatasetError(f"{out}: its folder {out.parent} does not exist")
    clips, engine = clips_and_engine(args)
    options = IndexOptions()
    results = run_over_clips(engine, index_clip, clips, options, label="index")
    result = collect_index(clips, results)
    write_index(result.table, out)
    for failure in result.failed:
        print(f"{failure.clip.where}: {failure.reason}", file=sys.stderr)

    rows = result.table.to_pylist()
    groups = {r["overlap_group"] for r in rows if r["overlap_group"] is not None}
    shared = Counter(r["overlap_group"] for r in rows if r["overlap_group"] is not None)
    flagged = Counter(flag for r in rows for flag in r["flags"])
    print(
        f"{len(rows)} clips indexed into {out}"
        + (f", {len(result.failed)} failed" if result.failed else "")
    )
    print(
        f"{len(groups)} overlap groups ({sum(1 for n in shared.values() if n > 1)} with "
        f"overlapping clips)"
    )
    print("flagged: " + ", ".join(f"{flag} {flagged[flag]}" for flag in FLAGS))
    return 1 if result.failed else 0
