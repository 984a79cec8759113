"""Shared helpers of the overlay tests: a Qt app, layouts, lit-region checks and synthetic clips."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from hindsight.actionmap.load import load_map
from hindsight.actionmap.registry import SHIPPED_DIR
from hindsight.bundle import ACTION_MAP_FILE, ACTIONS_FILE, VIDEO_FILE
from hindsight.bundle import schema as col
from hindsight.overlay.model.layout import OverlayLayout, build_layout
from tests.bundle.builders import write_manifest

ACCENT = (60, 227, 180)


def shipped_layout(map_id: str) -> OverlayLayout:
    return build_layout(load_map(SHIPPED_DIR / f"{map_id}.toml"))


def probe_box(rect, frac=(0.08, 0.12, 0.3, 0.35)) -> tuple[int, int, int, int]:
    """A patch of a cap away from its label (top-left part), as integer x0, y0, x1, y1."""
    x, y, w, h = rect.x(), rect.y(), rect.width(), rect.height()
    return (
        round(x + w * frac[0]),
        round(y + h * frac[1]),
        round(x + w * frac[2]),
        round(y + h * frac[3]),
    )


def is_accent(rgb: np.ndarray, box: tuple[int, int, int, int], offset=(0, 0)) -> bool:
    """Whether the patch ``box`` of an (h, w, 3+) RGB picture is mostly the accent colour."""
    x0, y0, x1, y1 = box
    ox, oy = offset
    patch = rgb[y0 + oy : y1 + oy, x0 + ox : x1 + ox, :3].astype(np.float32).reshape(-1, 3)
    dist = np.abs(patch - np.array(ACCENT, np.float32)).sum(axis=1)
    return bool(np.mean(dist < 90) > 0.6)


def synthetic_clip(
    folder: Path,
    *,
    frames: int = 180,
    fps: int = 60,
    size: str = "640x360",
    audio: bool = True,
    map_id: str = "valve.counter-strike-2",
    jump_held: list[range] = (),
    jump_taps: list[int] = (),
    clip_id: str | None = None,
) -> Path:
    """A clip bundle with an FFmpeg test picture (and a tone), a hand-made action track
    and a real manifest.
    """
    folder.mkdir(parents=True, exist_ok=True)
    cmd = [
        "ffmpeg",
        "-hide_banner",
        "-loglevel",
        "error",
        "-y",
        "-f",
        "lavfi",
        "-i",
        f"testsrc2=size={size}:rate={fps}",
    ]
    if audio:
        cmd += ["-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000", "-c:a", "aac"]
    cmd += [
        "-frames:v",
        str(frames),
        "-c:v",
        "libx264",
        "-preset",
        "ultrafast",
        "-g",
        str(fps),
        "-bf",
        "0",
        "-pix_fmt",
        "yuv420p",
        "-shortest",
        str(folder / VIDEO_FILE),
    ]
    subprocess.run(cmd, check=True, timeout=60)
    shutil.copy(SHIPPED_DIR / f"{map_id}.toml", folder / ACTION_MAP_FILE)
    held = np.zeros(frames, bool)
    n = np.zeros(frames, np.int32)
    for r in jump_held:
        held[r.start : r.stop] = True
        n[r.start] += 1
    for t in jump_taps:
        held[t] = True
        n[t] += 1
    idx = np.arange(frames)
    jump, jump_n = col.button_columns("jump")
    move_x, move_y = col.axis_columns("move", 2)
    table = pa.table(
        {
            col.FRAME_INDEX: idx,
            col.TIMESTAMP: idx / fps,
            col.PTS_US: idx * 1_000_000 // fps,
            col.CONTEXT: pa.array(["gameplay"] * frames).dictionary_encode(),
            col.VALID: np.ones(frames, bool),
            col.DUP_FRAME: np.zeros(frames, bool),
            jump: held,
            jump_n: n,
            move_x: np.zeros(frames, np.float32),
            move_y: np.zeros(frames, np.float32),
        }
    )
    pq.write_table(table, folder / ACTIONS_FILE)
    amap = load_map(SHIPPED_DIR / f"{map_id}.toml")
    write_manifest(
        folder,
        frames=frames,
        fps=fps,
        clip_id=clip_id,
        game=(amap.id, amap.title),
        map_ref=(amap.id, amap.version),
    )
    return folder


def expected_lit(held: np.ndarray, presses: np.ndarray, keep: int) -> np.ndarray:
    """held, or pressed in this or the keep - 1 frames before (the tap rule)."""
    out = held.copy()
    for t in np.flatnonzero(presses):
        out[t : t + keep] = True
    return out
