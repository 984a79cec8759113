"""``hindsight dataset index``: one Parquet row per clip, for data teams to filter on.

:func:`index_clip` is the per-clip function (plain, picklable values out, run through
:meth:`Engine.map <hindsight.dataset.engine.Engine.map>`); :func:`build_index` runs it
over a source and, in the parent, groups overlapping clips (:mod:`~hindsight.dataset.overlap`)
and makes the table with the fixed :data:`INDEX_SCHEMA`. Track definitions (presses,
APM, idle) are in :mod:`~hindsight.dataset.index_track`, picture sampling (dark,
letterboxed) in :mod:`~hindsight.dataset.quality`. Nothing of a source clip is modified.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from hindsight.actionmap.load import parse_map
from hindsight.bundle import open_bundle
from hindsight.dataset.engine import ClipFailed, Engine
from hindsight.dataset.errors import DatasetError
from hindsight.dataset.index_track import CHAT, GAMEPLAY, MENU, track_stats
from hindsight.dataset.overlap import FrameSpan, group_overlaps
from hindsight.dataset.quality import sample_picture
from hindsight.dataset.source import ClipRef

__all__ = [
    "FLAGS",
    "INDEX_SCHEMA",
    "IndexOptions",
    "IndexResult",
    "index_clip",
    "group_rows",
    "rows_table",
    "build_index",
    "collect_index",
    "write_index",
]

# The quality flags, each a bool column and, when raised, a name in ``flags``.
DARK, LETTERBOXED, IDLE, MOSTLY_MENU, UNGROUPABLE = (
    "dark",
    "letterboxed",
    "idle",
    "mostly_menu",
    "ungroupable",
)
FLAGS = (DARK, LETTERBOXED, IDLE, MOSTLY_MENU, UNGROUPABLE)


@dataclass(frozen=True)
class IndexOptions:
    """The thresholds of the quality flags (defaults defined here and nowhere else)."""

    dark_luma: float = 40.0  # mean luma of the sampled frames below this: dark (black is 16)
    bar_luma: float = 24.0  # an edge row/column averaging below this is part of a black bar
    bar_min_fraction: float = 0.05  # bars at least this deep (of height/width) on both sides
    letterbox_min_fraction: float = 0.5  # share of sampled frames with bars to flag the clip
    picture_samples: int = 8  # keyframes decoded per clip
    idle_min_s: float = 5.0  # a run of valid rows with no action this long is idle
    idle_flag_fraction: float = 0.5  # idle fraction at or above this: flagged idle
    mostly_menu_fraction: float = 0.5  # menu context fraction above this: flagged mostly_menu
    axis_threshold: float = 0.5  # an axis component past this counts as a direction

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if value < 0:
                raise DatasetError(f"index option {f.name}: {value} is negative")
        for name in (
            "bar_min_fraction",
            "letterbox_min_fraction",
            "idle_flag_fraction",
            "mostly_menu_fraction",
            "axis_threshold",
        ):
            if getattr(self, name) > 1:
                raise DatasetError(f"index option {name}: {getattr(self, name)} is above 1")
        if self.picture_samples < 1:
            raise DatasetError("index option picture_samples: at least one frame is needed")


INDEX_SCHEMA = pa.schema(
    [
        ("clip_id", pa.string()),
        ("where", pa.string()),  # the clip in its source: a folder or an s3:// prefix
        ("created_utc", pa.string()),
        ("game_id", pa.string()),
        ("game_title", pa.string()),
        ("action_map", pa.string()),  # id@version
        ("fps", pa.int32()),
        ("width", pa.int32()),
        ("height", pa.int32()),
        ("duration_s", pa.float64()),
        ("frames", pa.int64()),
        ("bytes", pa.int64()),  # every file of the bundle but the manifest
        ("codec", pa.string()),
        ("encoder", pa.string()),
        ("audio_tracks", pa.list_(pa.string())),
        ("valid_fraction", pa.float64()),
        ("gameplay_fraction", pa.float64()),
        ("menu_fraction", pa.float64()),
        ("chat_fraction", pa.float64()),
        ("context_fraction", pa.map_(pa.string(), pa.float64())),
        ("presses", pa.map_(pa.string(), pa.int64())),
        ("apm", pa.float64()),
        ("dup_fraction", pa.float64()),
        ("mean_luma", pa.float64()),
        ("letterboxed_fraction", pa.float64()),
        ("idle_fraction", pa.float64()),
        ("idle_spans", pa.int32()),
        ("session_id", pa.string()),
        ("session_first_frame", pa.int64()),
        ("overlap_group", pa.string()),
        *[(flag, pa.bool_()) for flag in FLAGS],
        ("flags", pa.list_(pa.string())),
    ]
)


def index_clip(folder: Path, options: IndexOptions) -> dict[str, Any]:
    """The index row of the clip in ``folder`` (``where`` and ``overlap_group`` still None)."""
    bundle = open_bundle(folder)
    m = bundle.manifest
    video = m.video
    picture = sample_picture(
        bundle.video_path,
        samples=options.picture_samples,
        bar_luma=options.bar_luma,
        bar_min_fraction=options.bar_min_fraction,
    )
    row: dict[str, Any] = {
        "clip_id": m.clip_id,
        "where": None,
        "created_utc": m.created_utc,
        "game_id": m.game_id,
        "game_title": m.title,
        "action_map": m.action_map.ref if m.action_map else None,
        "fps": video.fps,
        "width": video.width,
        "height": video.height,
        "duration_s": video.duration_s,
        "frames": video.frames,
        "bytes": m.total_bytes(),
        "codec": video.codec,
        "encoder": video.encoder,
        "audio_tracks": [t.name for t in m.audio.tracks] if m.audio else [],
        "mean_luma": picture.mean_luma,
        "letterboxed_fraction": picture.letterboxed_fraction,
        "session_id": m.session.session_id if m.session else None,
        "session_first_frame": m.session.first_frame if m.session else None,
        "overlap_group": None,
        DARK: picture.frames > 0 and picture.mean_luma < options.dark_luma,
        LETTERBOXED: picture.frames > 0
        and picture.letterboxed_fraction >= options.letterbox_min_fraction,
        UNGROUPABLE: m.session is None,
    }
    row.update(_track_columns(bundle.actions_path, bundle.action_map_path, video.fps, options))
    return row


def _track_columns(
    actions: Path | None, action_map: Path | None, fps: int, options: IndexOptions
) -> dict[str, Any]:
    empty: dict[str, Any] = {
        "valid_fraction": None,
        "gameplay_fraction": None,
        "menu_fraction": None,
        "chat_fraction": None,
        "context_fraction": None,
        "presses": None,
        "apm": None,
        "dup_fraction": None,
        "idle_fraction": None,
        "idle_spans": None,
        IDLE: False,
        MOSTLY_MENU: False,
    }
    if actions is None or not actions.is_file():
        return empty  # a clip without an action track (a desktop recording)
    amap = parse_map(action_map.read_text("utf-8"), str(action_map)) if action_map else None
    stats = track_stats(
        pq.ParquetFile(actions).read(),  # read_table would import pyarrow.dataset (and pandas)
        amap.actions if amap else (),
        fps=fps,
        axis_threshold=options.axis_threshold,
        idle_min_s=options.idle_min_s,
    )
    rows = max(stats.rows, 1)
    share = {name: n / rows for name, n in sorted(stats.context_rows.items())}
    gameplay_min = stats.context_rows.get(GAMEPLAY, 0) / fps / 60 if fps else 0
    idle_fraction = stats.idle_rows / rows
    return {
        "valid_fraction": stats.valid_rows / rows,
        "gameplay_fraction": share.get(GAMEPLAY, 0.0),
        "menu_fraction": share.get(MENU, 0.0),
        "chat_fraction": share.get(CHAT, 0.0),
        "context_fraction": list(share.items()),
        "presses": sorted(stats.presses.items()),
        "apm": stats.gameplay_presses / gameplay_min if gameplay_min else None,
        "dup_fraction": stats.dup_rows / rows,
        "idle_fraction": idle_fraction,
        "idle_spans": stats.idle_spans,
        IDLE: idle_fraction >= options.idle_flag_fraction,
        MOSTLY_MENU: share.get(MENU, 0.0) > options.mostly_menu_fraction,
    }


def group_rows(rows: Sequence[dict[str, Any]]) -> None:
    """Set every row's ``overlap_group`` and ``flags`` (in place), over all rows at once."""
    spans = [FrameSpan(r["session_id"], r["session_first_frame"] or 0, r["frames"]) for r in rows]
    for row, group in zip(rows, group_overlaps(spans), strict=True):
        row["overlap_group"] = group
        row["flags"] = [flag for flag in FLAGS if row[flag]]


def rows_table(rows: Sequence[dict[str, Any]]) -> pa.Table:
    """The index rows as a table of :data:`INDEX_SCHEMA` (an empty table for no rows)."""
    return pa.Table.from_pylist(list(rows), schema=INDEX_SCHEMA)


@dataclass(frozen=True)
class IndexResult:
    table: pa.Table
    failed: list[ClipFailed]


def build_index(clips: Sequence[ClipRef], engine: Engine, options: IndexOptions) -> IndexResult:
    """Index every clip through ``engine``; a clip that cannot be read is in ``failed``."""
    return collect_index(clips, engine.map(index_clip, clips, options))


def collect_index(
    clips: Sequence[ClipRef], results: Iterable[dict[str, Any] | ClipFailed]
) -> IndexResult:
    """The index of ``clips`` from :func:`index_clip`'s results for them, in their order
    (from any engine's ``map``): overlaps grouped over all of them."""
    rows: list[dict[str, Any]] = []
    failed: list[ClipFailed] = []
    for clip, result in zip(clips, results, strict=True):
        if isinstance(result, ClipFailed):
            failed.append(result)
        else:
            rows.append({**result, "where": clip.where})
    group_rows(rows)
    return IndexResult(rows_table(rows), failed)


def write_index(table: pa.Table, path: Path) -> None:
    """Write ``table`` to ``path`` whole or not at all (a temporary file renamed into place)."""
    part = path.with_name(path.name + ".part")
    try:
        pq.write_table(table, part)
        part.replace(path)
    except OSError as err:
        part.unlink(missing_ok=True)
        raise DatasetError(f"{path}: cannot write the index ({err.strerror or err})") from None
