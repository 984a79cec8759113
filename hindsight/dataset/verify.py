"""Checking one received clip against everything the clip format promises (DESIGN 5, 4.2).

:func:`verify_clip` is a per-clip function (it runs in a pool worker or a Ray task):
given a clip's folder it returns a :class:`ClipVerdict` listing every problem, one
line each, in the order they are checked: the manifest against its schema; every
listed file's size and sha256; no file missing or extra; the action map's pin; rows
== frames; constant frame rate in the video (pts exactly k/fps) and in the track; and
the privacy invariants (no column or value that is not a declared action or a track
column, no events file unless sharing it was opted in, a consent version recorded).
Nothing is modified.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

from hindsight.actionmap.load import parse_map
from hindsight.actionmap.model import ActionKind, ActionMap
from hindsight.bundle import EVENTS_FILE, MANIFEST_FILE, Bundle, BundleError, open_bundle
from hindsight.bundle import schema as col

__all__ = ["VerifyOptions", "ClipVerdict", "verify_clip"]


@dataclass(frozen=True)
class VerifyOptions:
    """What to check besides the files and the manifest.

    ``video``: demux the video and check every frame's pts (cheap: nothing is decoded).
    """

    video: bool = True


@dataclass(frozen=True)
class ClipVerdict:
    """What :func:`verify_clip` found: ``problems`` empty means the clip is whole."""

    clip: str
    problems: tuple[str, ...]
    clip_id: str | None = None

    @property
    def ok(self) -> bool:
        return not self.problems


def verify_clip(folder: Path, options: VerifyOptions) -> ClipVerdict:
    """Every problem of the clip in ``folder``; a damaged clip is reported, never raised."""
    folder = Path(folder)
    try:
        bundle = open_bundle(folder)
    except BundleError as err:
        return ClipVerdict(folder.name, (str(err).replace(str(folder), folder.name),))
    problems = bundle.verify(uploaded=True)
    problems += _clip_id(bundle)
    problems += _extra_files(bundle)
    amap, map_problems = _action_map(bundle)
    problems += map_problems
    if options.video and bundle.video_path.is_file():
        problems += _video_cfr(bundle)
    track = _read_table(bundle.actions_path)
    if isinstance(track, str):
        problems.append(track)
    elif track is not None:
        problems += _track_cfr(bundle, track)
        problems += _track_privacy(bundle, track, amap)
    problems += _events_privacy(bundle, amap)
    problems += _consent(bundle)
    return ClipVerdict(folder.name, tuple(dict.fromkeys(problems)), bundle.manifest.clip_id)


def _clip_id(bundle: Bundle) -> list[str]:
    clip_id = bundle.manifest.clip_id
    try:
        uuid.UUID(clip_id)
    except ValueError:
        return [f"manifest.clip_id: {clip_id!r} is not a UUID"]
    return []


def _extra_files(bundle: Bundle) -> list[str]:
    listed = set(bundle.manifest.files) | {MANIFEST_FILE}
    return [
        f"{p.name}: not listed in the manifest"
        for p in sorted(bundle.path.iterdir())
        if p.name not in listed
    ]


def _action_map(bundle: Bundle) -> tuple[ActionMap | None, list[str]]:
    """The map the track was translated with, parsed, if the clip has one that reads."""
    m = bundle.manifest
    if m.track is not None and m.action_map is None:
        return None, ["manifest.action_map: a clip with an action track must pin its map"]
    path = bundle.action_map_path
    if path is None or not path.is_file():
        return None, []
    try:
        amap = parse_map(path.read_text(encoding="utf-8"), path.name)
    except (UnicodeDecodeError, OSError) as err:
        return None, [f"{path.name}: cannot be read ({err})"]
    except Exception as err:  # an ActionMapError names the key path
        return None, [f"{path.name}: not a valid action map ({str(err).splitlines()[0]})"]
    pin = m.action_map
    assert pin is not None
    if (amap.id, amap.version) != (pin.id, pin.version):
        return amap, [f"{path.name}: is {amap.ref}, the manifest pins {pin.ref}"]
    return amap, []


def _video_cfr(bundle: Bundle) -> list[str]:
    """Frame k of the video has pts exactly k/fps, decode order is presentation order."""
    import av  # only the video check needs it

    v = bundle.manifest.video
    name = v.file
    try:
        with av.open(str(bundle.video_path)) as container:
            if not container.streams.video:
                return [f"{name}: has no video stream"]
            stream = container.streams.video[0]
            tb = stream.time_base
            if tb is None:
                return [f"{name}: the video stream has no time base"]
            frames = 0
            for packet in container.demux(stream):
                if packet.pts is None:
                    continue  # the demuxer's end-of-stream marker
                if frames == 0 and not packet.is_keyframe:
                    return [f"{name}: does not start on a keyframe"]
                if packet.pts * Fraction(tb) != Fraction(frames, v.fps):
                    return [
                        f"{name}: frame {frames} has pts {packet.pts * tb}s, not {frames}/{v.fps}s"
                    ]
                if packet.dts is not None and packet.dts != packet.pts:
                    return [f"{name}: frame {frames} is stored out of order (dts != pts)"]
                frames += 1
    except (av.error.FFmpegError, OSError) as err:
        return [f"{name}: cannot be read as video ({str(err).splitlines()[0]})"]
    if frames != v.frames:
        return [f"{name}: {frames} frames, the manifest says {v.frames}"]
    return []


def _read_table(path: Path | None) -> Any:
    """The Parquet table at ``path``; None if there is none, a problem line if it is damaged."""
    if path is None or not path.is_file():
        return None
    import pyarrow.parquet as pq

    try:
        return pq.read_table(path)
    except Exception as err:  # pyarrow raises several types for a damaged file
        return f"{path.name}: cannot be read as Parquet ({str(err).splitlines()[0]})"


def _track_cfr(bundle: Bundle, table: Any) -> list[str]:
    """Row t is frame t: frame_index t, pts_us t*1e6//fps, timestamp t/fps."""
    import numpy as np

    fps = bundle.manifest.video.fps
    name = bundle.manifest.track.file if bundle.manifest.track else ""
    missing = [
        c for c in (col.FRAME_INDEX, col.PTS_US, col.TIMESTAMP) if c not in table.column_names
    ]
    if missing:
        return []  # named by the column check
    t = np.arange(table.num_rows, dtype=np.int64)
    checks = (
        (col.FRAME_INDEX, t),
        (col.PTS_US, t * 1_000_000 // fps),
    )
    problems = []
    for column, want in checks:
        got = table.column(column).to_numpy(zero_copy_only=False)
        bad = np.flatnonzero(got != want)
        if bad.size:
            problems.append(f"{name}: row {bad[0]} has {column} {got[bad[0]]}, not {want[bad[0]]}")
    stamps = table.column(col.TIMESTAMP).to_numpy(zero_copy_only=False)
    bad = np.flatnonzero(np.abs(stamps - t / fps) > 0.5e-6)
    if bad.size:
        problems.append(f"{name}: row {bad[0]} has {col.TIMESTAMP} {stamps[bad[0]]}, not t/{fps}")
    return problems


def expected_columns(amap: ActionMap) -> list[str]:
    """The track's columns for ``amap``: the frame columns, then each action's in map order."""
    out = list(col.FRAME_COLUMNS)
    for action in amap.actions:
        if action.kind == ActionKind.BUTTON:
            out += col.button_columns(action.name)
        elif action.kind == ActionKind.DELTA2D:
            out += col.delta_columns(action.name)
        else:
            out += col.axis_columns(action.name, 2 if action.kind == ActionKind.AXIS2D else 1)
    return out


def _track_privacy(bundle: Bundle, table: Any, amap: ActionMap | None) -> list[str]:
    """Only the frame columns and the map's actions; contexts only the map's sets."""
    m = bundle.manifest
    name = m.track.file if m.track else ""
    columns = list(table.column_names)
    problems = []
    allowed = expected_columns(amap) if amap else list(col.FRAME_COLUMNS)
    for c in columns:
        if c not in allowed and (amap is not None or not col.is_action_column(c)):
            problems.append(f"{name}: column {c!r} is not a declared action or a track column")
    problems += [f"{name}: column {c!r} is missing" for c in allowed if c not in columns]
    if m.track is not None and tuple(columns) != m.track.columns:
        problems.append(f"{name}: its columns are not those the manifest lists")
    if amap is not None and col.CONTEXT in columns:
        known = {s.name for s in amap.sets} | {col.UNFOCUSED_CONTEXT}
        seen = set(table.column(col.CONTEXT).to_pylist())
        problems += [
            f"{name}: context {v!r} is not a set of {amap.ref}"
            for v in sorted(seen - known, key=str)
        ]
    return problems


def _events_privacy(bundle: Bundle, amap: ActionMap | None) -> list[str]:
    """An events file only where sharing it was opted in, holding only actions and edges."""
    m = bundle.manifest
    path = bundle.path / (m.track.events_file if m.track else EVENTS_FILE)
    if not path.is_file():
        return []
    if m.track is None or not m.track.events_shared:
        return [f"{path.name}: present, but sharing events was not opted in"]
    table = _read_table(path)
    if isinstance(table, str):
        return [table]
    problems = []
    if tuple(table.column_names) != col.EVENT_COLUMNS:
        extra = [c for c in table.column_names if c not in col.EVENT_COLUMNS]
        problems.append(f"{path.name}: columns {extra or table.column_names} are not event columns")
    if col.EVENT_ACTION in table.column_names and amap is not None:
        actions = {a.name for a in amap.actions}
        seen = set(table.column(col.EVENT_ACTION).to_pylist())
        problems += [
            f"{path.name}: action {v!r} is not declared in {amap.ref}"
            for v in sorted(seen - actions, key=str)
        ]
    if col.EVENT_EDGE in table.column_names:
        seen = set(table.column(col.EVENT_EDGE).to_pylist())
        problems += [
            f"{path.name}: edge {v!r} is not an event edge"
            for v in sorted(seen - set(col.EVENT_EDGES), key=str)
        ]
    return problems


def _consent(bundle: Bundle) -> list[str]:
    versions = bundle.manifest.privacy.consent_version or {}
    if not any(versions.values()):
        return ["manifest.privacy.consent_version: no consent recorded"]
    return []
