"""Which clips a LeRobot export takes and which of their frames: filters, one map, dedupe.

Works on :class:`ClipFacts` (what :func:`survey_clip` reads from one clip) in the
parent, before any video is touched. A dataset holds one action-map id@version (the
action vector differs between maps), one fps and one picture size; when the clips
differ, the error says which option picks one.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pyarrow.parquet as pq

from hindsight.bundle import open_bundle, schema
from hindsight.dataset.actions import column_values
from hindsight.dataset.errors import DatasetError

__all__ = ["ClipFacts", "Selection", "survey_clip", "select_clips", "dedupe_spans"]


@dataclass(frozen=True)
class ClipFacts:
    """What the plan needs of one clip: its map, session, size and track quality."""

    clip_id: str
    map_ref: str
    game_id: str
    title: str
    session_id: str | None
    first_frame: int | None
    frames: int
    fps: int
    width: int
    height: int
    valid_rows: int
    contexts: tuple[str, ...]  # every context a row of the track is in

    @property
    def valid_fraction(self) -> float:
        return self.valid_rows / self.frames if self.frames else 0.0


def survey_clip(folder: Path, options: object = None) -> ClipFacts:
    """The facts of the clip in ``folder`` (the manifest and two columns of its track)."""
    bundle = open_bundle(folder)
    m = bundle.manifest
    if m.action_map is None or bundle.actions_path is None:
        raise DatasetError(f"{folder.name}: no action track, nothing to export")
    track = pq.ParquetFile(bundle.actions_path).read(columns=[schema.VALID, schema.CONTEXT])
    valid = column_values(track, schema.VALID)
    contexts = sorted({str(c) for c in track.column(schema.CONTEXT).to_pylist()})
    return ClipFacts(
        clip_id=m.clip_id,
        map_ref=m.action_map.ref,
        game_id=m.game_id,
        title=m.title,
        session_id=m.session.session_id if m.session else None,
        first_frame=m.session.first_frame if m.session else None,
        frames=track.num_rows,
        fps=m.video.fps,
        width=m.video.width,
        height=m.video.height,
        valid_rows=int(valid.sum()),
        contexts=tuple(contexts),
    )


@dataclass(frozen=True)
class Selection:
    """The clips kept (by index into the surveyed list), the map, fps and size of the dataset."""

    kept: tuple[int, ...]
    skipped: tuple[tuple[int, str], ...]  # (index, why)
    map_ref: str
    fps: int
    size: tuple[int, int]


def select_clips(
    facts: Sequence[ClipFacts | None],
    game: str | None,
    min_valid: float,
    contexts: tuple[str, ...] | None,
    fps: int | None,
    size: tuple[int, int] | None,
) -> Selection:
    """Apply the filters; settle the one map, fps and size, or say which option is needed."""
    kept: list[int] = []
    skipped: list[tuple[int, str]] = []
    for i, f in enumerate(facts):
        if f is None:
            continue
        if game and game not in (f.game_id, f.map_ref):
            continue  # another game: not an error, just not asked for
        if f.valid_fraction < min_valid:
            skipped.append((i, f"{f.valid_fraction:.0%} of frames valid, below --min-valid"))
        elif contexts is not None and not set(f.contexts) <= set(contexts):
            outside = ", ".join(sorted(set(f.contexts) - set(contexts)))
            skipped.append((i, f"has frames in {outside}, not in --contexts"))
        else:
            kept.append(i)
    if not kept:
        return Selection((), tuple(skipped), "", fps or 0, size or (0, 0))
    chosen = [f for i, f in enumerate(facts) if i in kept and f is not None]
    refs = Counter(f.map_ref for f in chosen)
    if len(refs) > 1:
        listed = ", ".join(f"{r} ({n} clips)" for r, n in refs.most_common())
        raise DatasetError(
            f"the clips use {len(refs)} action maps ({listed}); a dataset holds one: "
            "pick it with --game ID@VERSION"
        )
    rates = {f.fps for f in chosen}
    if fps is None:
        if len(rates) > 1:
            raise DatasetError(
                f"the clips are at {', '.join(map(str, sorted(rates)))} fps; pick one with --fps"
            )
        fps = rates.pop()
    elif fps > min(rates):
        raise DatasetError(f"--fps {fps} is above the clips' {min(rates)} fps (only lower)")
    sizes = {(f.width, f.height) for f in chosen}
    if size is None:
        if len(sizes) > 1:
            listed = ", ".join(f"{w}x{h}" for w, h in sorted(sizes))
            raise DatasetError(f"the clips are {listed}; pick one size with --size WxH")
        size = sizes.pop()
    return Selection(tuple(kept), tuple(skipped), refs.most_common(1)[0][0], fps, size)


def dedupe_spans(facts: Sequence[ClipFacts]) -> dict[str, tuple[int, int]]:
    """Per clip id, the rows ``[start, end)`` it keeps so no frame of a session is kept twice.

    Clips of one recording session share a frame timeline. A clip wholly inside
    another keeps nothing; otherwise each clip keeps its rows up to where the next
    clip of the session begins, so every kept span starts on the clip's own first
    frame (a keyframe: the video is still stream-copied). Clips without session facts
    keep every row.
    """
    spans = {f.clip_id: (0, f.frames) for f in facts}
    sessions: dict[str, list[ClipFacts]] = {}
    for f in facts:
        if f.session_id is not None and f.first_frame is not None:
            sessions.setdefault(f.session_id, []).append(f)
    for clips in sessions.values():
        ordered = sorted(clips, key=lambda f: (f.first_frame, -f.frames))
        kept: list[ClipFacts] = []
        covered_to = None
        for f in ordered:
            assert f.first_frame is not None
            end = f.first_frame + f.frames
            if covered_to is not None and end <= covered_to:
                spans[f.clip_id] = (0, 0)
                continue
            kept.append(f)
            covered_to = end
        for f, after in zip(kept, kept[1:], strict=False):
            assert f.first_frame is not None and after.first_frame is not None
            spans[f.clip_id] = (0, min(f.frames, after.first_frame - f.first_frame))
    return spans
