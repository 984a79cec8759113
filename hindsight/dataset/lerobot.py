"""``hindsight dataset export --format lerobot``: clips as a LeRobot v3.0 dataset.

One episode per clip (or per deduplicated span of a recording session), one dataset
per action map id@version. Each frame carries a named float32 ``action`` vector
(:mod:`hindsight.dataset.actions`: buttons held and their press counts, axis values,
deltas, in the map's order), the track's ``valid`` and ``dup_frame`` flags, and the
picture as ``observation.images.screen`` video. The task of an episode is the game's
title.

Not exported, ever, in this format: the sound (the microphone track included), the
sub-frame events and the contributor pseudonym. A LeRobot dataset has no place for
them, so no consent can ask for them here.

The work runs in three steps: :func:`survey_clip` per clip (manifest and two track
columns) and the plan in the parent (:mod:`~hindsight.dataset.lerobot_plan`);
:func:`stage_episode` per clip through an :class:`Engine` (rows of the action matrix,
the video segment stream-copied or transcoded into a staging folder under the output);
the parent then writes the chunked files and the meta (:mod:`~hindsight.dataset.lerobot_write`).
"""

from __future__ import annotations

import hashlib
import shutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq

from hindsight.actionmap.load import parse_map
from hindsight.bundle import open_bundle, schema
from hindsight.dataset.actions import (
    ActionLayout,
    action_layout,
    action_matrix,
    column_values,
    resample_rows,
)
from hindsight.dataset.engine import ClipFailed, Engine
from hindsight.dataset.errors import DatasetError
from hindsight.dataset.lerobot_meta import feature_stats
from hindsight.dataset.lerobot_plan import ClipFacts, dedupe_spans, select_clips, survey_clip
from hindsight.dataset.lerobot_video import SegmentFacts, stage_segment
from hindsight.dataset.lerobot_write import ExportSummary, write_dataset
from hindsight.dataset.source import ClipRef

__all__ = [
    "LerobotOptions",
    "StageOptions",
    "StagedEpisode",
    "ExportSummary",
    "export_lerobot",
    "stage_episode",
    "survey_clip",
]

STAGING = ".staging"


@dataclass(frozen=True)
class LerobotOptions:
    """What to export: filters, and the target fps and size (None: keep the clips')."""

    game: str | None = None  # a game id, or one map as id@version
    min_valid: float = 0.0  # the fraction of a clip's frames that must be valid
    contexts: tuple[str, ...] | None = None  # a clip with a frame outside these is left out
    dedupe: bool = False
    fps: int | None = None
    size: tuple[int, int] | None = None  # (width, height)

    def __post_init__(self) -> None:
        if not 0.0 <= self.min_valid <= 1.0:
            raise DatasetError(f"--min-valid {self.min_valid}: a fraction from 0 to 1")
        if self.fps is not None and self.fps <= 0:
            raise DatasetError(f"--fps {self.fps}: must be a positive whole number")
        if self.size is not None and (min(self.size) <= 0 or self.size[0] % 2 or self.size[1] % 2):
            w, h = self.size
            raise DatasetError(f"--size {w}x{h}: width and height must be positive and even")


@dataclass(frozen=True)
class StageOptions:
    """What :func:`stage_episode` needs: where to stage, the layout, fps, size, each clip's span."""

    staging: str
    layout: ActionLayout
    fps: int
    size: tuple[int, int]
    spans: tuple[tuple[str, int, int], ...] = ()  # (clip_id, first row, end row)
    force_transcode: bool = False


@dataclass(frozen=True)
class StagedEpisode:
    """One episode, ready to be written: its rows and its staged video segment."""

    clip_id: str
    task: str
    actions: np.ndarray  # (frames, width) float32
    valid: np.ndarray
    dup_frame: np.ndarray
    segment: SegmentFacts
    picture: dict[str, np.ndarray] = field(repr=False)  # the video's colour stats

    @property
    def frames(self) -> int:
        return int(self.actions.shape[0])


def stage_episode(folder: Path, options: StageOptions) -> StagedEpisode:
    """Read one bundle; build its episode's rows; stage its video segment. Runs in a worker."""
    bundle = open_bundle(folder)
    m = bundle.manifest
    if bundle.actions_path is None or bundle.action_map_path is None:
        raise DatasetError(f"{folder.name}: no action track, nothing to export")
    amap = parse_map(bundle.action_map_path.read_text(), str(bundle.action_map_path))
    if amap.ref != options.layout.map_ref:
        raise DatasetError(
            f"{folder.name}: map {amap.ref}, the dataset is {options.layout.map_ref}"
        )
    layout = action_layout(amap)
    if layout.names != options.layout.names:  # a rebinding that changed the actions
        raise DatasetError(f"{folder.name}: its {amap.ref} has other actions than the dataset's")
    table = pq.ParquetFile(bundle.actions_path).read()
    wanted = [
        c for c in (*layout.columns, schema.VALID, schema.DUP_FRAME) if c in table.column_names
    ]
    columns = {c: column_values(table, c) for c in wanted}
    start, end = next(((s, e) for c, s, e in options.spans if c == m.clip_id), (0, table.num_rows))
    matrix = action_matrix(columns, layout)[start:end]
    valid = columns[schema.VALID][start:end].astype(bool)
    dup = columns[schema.DUP_FRAME][start:end].astype(bool)
    rows = np.arange(start, end, dtype=np.int64)
    if options.fps != m.video.fps:
        matrix, valid, firsts = resample_rows(matrix, valid, layout, m.video.fps, options.fps)
        dup = np.zeros(len(firsts), dtype=bool)  # a resampled frame is a real frame
        rows = rows[firsts]
    staging = Path(options.staging)
    staging.mkdir(parents=True, exist_ok=True)
    segment, pictures = stage_segment(
        bundle.video_path,
        # The folder in the name too: a source may hold two copies of one clip.
        staging / f"{m.clip_id}-{hashlib.sha256(str(folder).encode()).hexdigest()[:12]}.mp4",
        rows.tolist(),
        options.fps,
        options.size,
        options.force_transcode or options.fps != m.video.fps,
    )
    if segment.frames != len(rows):
        raise DatasetError(f"{folder.name}: {segment.frames} video frames for {len(rows)} rows")
    picture = feature_stats(pictures, axes=(0, 2, 3))
    return StagedEpisode(m.clip_id, m.title, matrix, valid, dup, segment, picture)


def export_lerobot(
    clips: Sequence[ClipRef],
    out_dir: Path,
    options: LerobotOptions,
    engine: Engine,
    say: Callable[[str], None] = lambda line: None,
) -> ExportSummary:
    """Export ``clips`` into ``out_dir`` (new or empty); ``say`` hears one line per skipped clip."""
    if out_dir.exists() and (not out_dir.is_dir() or any(out_dir.iterdir())):
        raise DatasetError(f"{out_dir}: already exists and is not empty; give a new folder")
    surveyed = list(engine.map(survey_clip, clips, None))
    failed = [
        (c.name, r.reason)
        for c, r in zip(clips, surveyed, strict=True)
        if isinstance(r, ClipFailed)
    ]
    facts: list[ClipFacts | None] = [r if isinstance(r, ClipFacts) else None for r in surveyed]
    selection = select_clips(
        facts, options.game, options.min_valid, options.contexts, options.fps, options.size
    )
    for i, why in selection.skipped:
        say(f"{clips[i].name}: left out ({why})")
    if not selection.kept:
        raise DatasetError("no clip matches the filters: nothing to export")
    kept = set(selection.kept)
    chosen = {i: f for i, f in enumerate(facts) if i in kept and f is not None}
    spans = dedupe_spans(list(chosen.values())) if options.dedupe else {}
    keep = [i for i, f in chosen.items() if spans.get(f.clip_id, (0, 1))[1] > 0]
    for i in sorted(set(chosen) - set(keep)):
        say(f"{clips[i].name}: left out (every frame is in another clip of its session)")
    layout = _layout_for(clips[keep[0]])
    if layout.width == 0:
        raise DatasetError(f"{layout.map_ref} has no actions: no action vector to export")
    out_dir.mkdir(parents=True, exist_ok=True)
    staging = out_dir / STAGING
    stage_options = StageOptions(
        staging=str(staging),
        layout=layout,
        fps=selection.fps,
        size=selection.size,
        spans=tuple((cid, s, e) for cid, (s, e) in spans.items()),
    )
    picked = [clips[i] for i in keep]
    try:
        episodes: list[StagedEpisode] = []
        for clip, result in zip(
            picked, engine.map(stage_episode, picked, stage_options), strict=True
        ):
            if isinstance(result, ClipFailed):
                failed.append((clip.name, result.reason))
            else:
                episodes.append(result)
        for name, reason in failed:
            say(f"{name}: failed ({reason})")
        if not episodes:
            raise DatasetError("every clip failed: nothing exported")
        return write_dataset(out_dir, episodes, layout, selection.fps, tuple(failed))
    except BaseException:
        # The folder was empty: what is in it now is this export's, and half a dataset
        # must not pass for one.
        for entry in out_dir.iterdir():
            if entry.is_dir():
                shutil.rmtree(entry)
            else:
                entry.unlink()
        raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _layout_for(clip: ClipRef) -> ActionLayout:
    """The action layout of ``clip``'s own map (every kept clip has the same id@version)."""
    with clip.local() as folder:
        b = open_bundle(folder)
        assert b.action_map_path is not None  # survey_clip checked
        return action_layout(parse_map(b.action_map_path.read_text(), str(b.action_map_path)))
