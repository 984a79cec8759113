"""The combine step of a LeRobot export: staged episodes -> chunked files and meta, in the parent.

Episodes keep their order. Their rows go into data files of at most
``data_files_size_in_mb``; their video segments into mp4 files of at most
``video_files_size_in_mb`` (many episodes each, a new file when the codec parameters
change); each episode's row in ``meta/episodes`` says where both are, with its
``from_timestamp``/``to_timestamp`` in the video file.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from hindsight.bundle import schema
from hindsight.dataset.actions import ActionLayout
from hindsight.dataset.lerobot_meta import (
    CHUNKS_SIZE,
    CODEBASE_VERSION,
    DATA_PATH,
    VIDEO_PATH,
    aggregate_stats,
    chunk_and_file,
    feature_stats,
    write_episodes,
    write_frames,
    write_json,
    write_tasks,
)
from hindsight.dataset.lerobot_video import SegmentFacts, concatenate_segments

if TYPE_CHECKING:
    from hindsight.dataset.lerobot import StagedEpisode

__all__ = ["ExportSummary", "write_dataset", "VIDEO_KEY", "DATA_FILE_MB", "VIDEO_FILE_MB"]

# LeRobot's frame counter has the track's name and meaning (a frame's place in its
# episode, as in its clip), so it is spelled by the clip format.
FRAME_INDEX = schema.FRAME_INDEX

VIDEO_KEY = "observation.images.screen"
DATA_FILE_MB = 100
VIDEO_FILE_MB = 200
_MB = 1024 * 1024


@dataclass(frozen=True)
class ExportSummary:
    """What an export wrote: episodes, frames, files, how many segments were stream-copied."""

    root: Path
    episodes: int
    frames: int
    data_files: int
    video_files: int
    copied: int
    transcoded: int
    failed: tuple[tuple[str, str], ...]


def _groups(sizes: Sequence[int], limit: int, breaks: Sequence[bool]) -> list[int]:
    """The file number of each item: a new file when the limit would be passed or at a break."""
    numbers, number, used = [], 0, 0
    for i, size in enumerate(sizes):
        if i and (used + size > limit or breaks[i]):
            number, used = number + 1, 0
        numbers.append(number)
        used += size
    return numbers


def write_dataset(
    root: Path,
    episodes: Sequence[StagedEpisode],
    layout: ActionLayout,
    fps: int,
    failed: tuple[tuple[str, str], ...] = (),
) -> ExportSummary:
    tasks = list(dict.fromkeys(e.task for e in episodes))
    width = layout.width
    # Data files: about 4 bytes per action value and ~40 per row of the other columns.
    row_bytes = 4 * width + 40
    data_file = _groups(
        [e.frames * row_bytes for e in episodes], DATA_FILE_MB * _MB, [False] * len(episodes)
    )
    keys = [e.segment.stream_key for e in episodes]
    video_file = _groups(
        [Path(e.segment.path).stat().st_size for e in episodes],
        VIDEO_FILE_MB * _MB,
        [i > 0 and keys[i] != keys[i - 1] for i in range(len(episodes))],
    )
    index_from = np.cumsum([0] + [e.frames for e in episodes])
    rows: list[dict[str, Any]] = [{} for _ in episodes]
    stats: list[dict[str, dict[str, np.ndarray]]] = []
    pending: list[dict[str, np.ndarray]] = []
    for i, e in enumerate(episodes):
        frame_index = np.arange(e.frames, dtype=np.int64)
        columns = {
            "action": e.actions.astype(np.float32),
            schema.VALID: e.valid.astype(bool),
            schema.DUP_FRAME: e.dup_frame.astype(bool),
            "timestamp": (frame_index / fps).astype(np.float32),
            FRAME_INDEX: frame_index,
            "episode_index": np.full(e.frames, i, dtype=np.int64),
            "index": index_from[i] + frame_index,
            "task_index": np.full(e.frames, tasks.index(e.task), dtype=np.int64),
        }
        stats.append(
            {
                name: feature_stats(v if v.ndim == 2 else v.reshape(-1, 1).astype(np.float64))
                for name, v in columns.items()
            }
            | {VIDEO_KEY: e.picture}
        )
        pending.append(columns)
        chunk, file = chunk_and_file(data_file[i])
        rows[i].update(
            {
                "episode_index": i,
                "clip_id": e.clip_id,
                "tasks": [e.task],
                "length": e.frames,
                "data/chunk_index": chunk,
                "data/file_index": file,
                "dataset_from_index": int(index_from[i]),
                "dataset_to_index": int(index_from[i + 1]),
            }
        )
        if i + 1 == len(episodes) or data_file[i + 1] != data_file[i]:
            joined = {k: np.concatenate([p[k] for p in pending]) for k in columns}
            write_frames(root / DATA_PATH.format(chunk_index=chunk, file_index=file), joined, width)
            pending = []
    for number in sorted(set(video_file)):
        members = [i for i, n in enumerate(video_file) if n == number]
        chunk, file = chunk_and_file(number)
        path = root / VIDEO_PATH.format(video_key=VIDEO_KEY, chunk_index=chunk, file_index=file)
        starts = concatenate_segments([episodes[i].segment for i in members], path)
        for i, start in zip(members, starts, strict=True):
            rows[i].update(
                {
                    f"videos/{VIDEO_KEY}/chunk_index": chunk,
                    f"videos/{VIDEO_KEY}/file_index": file,
                    f"videos/{VIDEO_KEY}/from_timestamp": start / fps,
                    f"videos/{VIDEO_KEY}/to_timestamp": (start + episodes[i].frames) / fps,
                }
            )
    write_episodes(root, rows, stats)
    write_tasks(root, tasks)
    total = {name: aggregate_stats([s[name] for s in stats]) for name in stats[0]}
    write_json(total, root / "meta" / "stats.json")
    write_json(
        _info(episodes, layout, fps, tasks, episodes[0].segment), root / "meta" / "info.json"
    )
    copied = sum(e.segment.copied for e in episodes)
    return ExportSummary(
        root=root,
        episodes=len(episodes),
        frames=int(index_from[-1]),
        data_files=len(set(data_file)),
        video_files=len(set(video_file)),
        copied=copied,
        transcoded=len(episodes) - copied,
        failed=failed,
    )


def _info(
    episodes: Sequence[StagedEpisode],
    layout: ActionLayout,
    fps: int,
    tasks: list[str],
    segment: SegmentFacts,
) -> dict[str, Any]:
    scalar = {"shape": [1], "names": None}
    features: dict[str, Any] = {
        "action": {"dtype": "float32", "shape": [layout.width], "names": list(layout.names)},
        VIDEO_KEY: {
            "dtype": "video",
            "shape": [segment.height, segment.width, 3],
            "names": ["height", "width", "channels"],
            "info": {
                "video.height": segment.height,
                "video.width": segment.width,
                "video.codec": "h264",
                "video.pix_fmt": segment.pix_fmt,
                "video.is_depth_map": False,
                "video.fps": fps,
                "video.channels": 3,
                "has_audio": False,
            },
        },
        schema.VALID: {"dtype": "bool", **scalar},
        schema.DUP_FRAME: {"dtype": "bool", **scalar},
        "timestamp": {"dtype": "float32", **scalar},
        FRAME_INDEX: {"dtype": "int64", **scalar},
        "episode_index": {"dtype": "int64", **scalar},
        "index": {"dtype": "int64", **scalar},
        "task_index": {"dtype": "int64", **scalar},
    }
    total_frames = sum(e.frames for e in episodes)
    return {
        "codebase_version": CODEBASE_VERSION,
        "robot_type": None,
        "total_episodes": len(episodes),
        "total_frames": total_frames,
        "total_tasks": len(tasks),
        "chunks_size": CHUNKS_SIZE,
        "data_files_size_in_mb": DATA_FILE_MB,
        "video_files_size_in_mb": VIDEO_FILE_MB,
        "fps": fps,
        "splits": {"train": f"0:{len(episodes)}"},
        "data_path": DATA_PATH,
        "video_path": VIDEO_PATH,
        "features": features,
        "action_map": layout.map_ref,
    }
