"""Writing a real manifest for a folder of files, for tests that assemble a clip by hand.

The manifest is built as :class:`~hindsight.bundle.Manifest` and written by its own
writer, so these clips are what the recorder writes, file hashes included.
"""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from hindsight.bundle import (
    ACTION_MAP_FILE,
    ACTIONS_FILE,
    BUNDLE_FILES,
    MANIFEST_FILE,
    ActionMapPin,
    ClockFacts,
    FileFacts,
    GameInfo,
    Manifest,
    RecorderInfo,
    TrackFacts,
    VideoFacts,
    file_sha256,
)
from hindsight.bundle.schema import ALIGNMENT_RULE

__all__ = ["manifest_for", "rewrite_manifest", "write_manifest"]


def manifest_for(
    folder: Path,
    *,
    frames: int,
    fps: int = 60,
    clip_id: str | None = None,
    created: datetime | None = None,
    game: tuple[str, str] | None = None,
    map_ref: tuple[str, str] = ("test.game", "1.0.0"),
) -> Manifest:
    """The manifest of the bundle files present in ``folder`` (hashed as they are now)."""
    files = {
        p.name: FileFacts(sha256=file_sha256(p), bytes=p.stat().st_size)
        for p in sorted(folder.iterdir())
        if p.name in BUNDLE_FILES
    }
    created = created or datetime.now(UTC)
    track = pin = None
    if ACTIONS_FILE in files:
        rows, columns = frames, ()
        try:
            import pyarrow.parquet as pq

            meta = pq.read_metadata(folder / ACTIONS_FILE)
            rows, columns = meta.num_rows, tuple(meta.schema.to_arrow_schema().names)
        except Exception:  # made-up bytes stand in for the track (uploader tests)
            pass
        track = TrackFacts(
            rows=rows,
            valid_rows=rows,
            alignment=ALIGNMENT_RULE,
            latency_bias_frames=1,
            columns=columns,
            events=0,
            events_shared=False,
        )
    if ACTION_MAP_FILE in files:
        pin = ActionMapPin(id=map_ref[0], version=map_ref[1], sha256=files[ACTION_MAP_FILE].sha256)
    return Manifest(
        clip_id=clip_id or str(uuid.uuid4()),
        created_utc=created.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        recorder=RecorderInfo(name="hindsight", version="test"),
        game=GameInfo(id=game[0], title=game[1]) if game else None,
        action_map=pin,
        video=VideoFacts(
            frames=frames,
            dup_frames=0,
            fps=fps,
            width=640,
            height=360,
            codec="h264",
            encoder="libx264",
            duration_s=frames / fps,
            keyframes=max(1, frames // fps),
            transcoded=False,
            time_base=f"1/{fps}",
        ),
        track=track,
        clock=ClockFacts(
            first_frame_t_ns=1_000_000_000,
            last_frame_t_ns=1_000_000_000 + (frames - 1) * 10**9 // fps,
        ),
        files=files,
    )


def write_manifest(folder: Path, **facts) -> Manifest:
    """Write ``manifest.json`` for ``folder`` (see :func:`manifest_for`); returns it."""
    manifest = manifest_for(folder, **facts)
    (folder / MANIFEST_FILE).write_text(manifest.to_json())
    return manifest


def rewrite_manifest(folder: Path, manifest: Manifest, **changes) -> Manifest:
    """Write ``manifest`` with ``changes`` applied (a test's deliberate damage)."""
    changed = replace(manifest, **changes)
    (folder / MANIFEST_FILE).write_text(changed.to_json())
    return changed
