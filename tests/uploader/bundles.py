"""Clip bundles for uploader tests: the real layout and manifest, with made-up file contents.

The uploader never decodes a clip, so random bytes stand in for the video; tests
that need a real recording use the recorder itself.
"""

from __future__ import annotations

import hashlib
import json
import os
import uuid
from datetime import UTC, datetime
from pathlib import Path

__all__ = ["make_bundle", "SECRET_FREE_FILES"]

SECRET_FREE_FILES = ("video.mp4", "actions.parquet", "events.parquet", "actionmap.toml")


def make_bundle(clips_dir: Path, *, video_bytes: int = 3 * 2**20, game: tuple[str, str] | None =
                ("valve.counter-strike-2", "Counter-Strike 2"), seed: int | None = None,
                created: datetime | None = None, clip_id: str | None = None) -> Path:
    rng = os.urandom if seed is None else (lambda n: _seeded(seed, n))
    clip_id = clip_id or str(uuid.uuid4())
    created = created or datetime.now(UTC)
    folder = clips_dir / f"{game[1] if game else 'Desktop'} {created:%Y-%m-%d %H-%M-%S} {clip_id[:8]}"
    folder.mkdir(parents=True)
    files = {
        "video.mp4": rng(video_bytes),
        "actions.parquet": b"PAR1" + rng(5000) + b"PAR1",
        "events.parquet": b"PAR1" + rng(2000) + b"PAR1",
        "actionmap.toml": b'schema = "hindsight.actionmap/1"\nid = "x"\n',
    }
    for name, data in files.items():
        (folder / name).write_bytes(data)
    manifest = {
        "format": "hindsight.clip", "version": 1, "clip_id": clip_id,
        "created_utc": created.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "game": {"id": game[0], "title": game[1]} if game else None,
        "video": {"frames": 1800, "fps": 60, "duration_s": 30.0},
        "privacy": {"raw_inputs_stored": False},
        "files": {n: {"sha256": hashlib.sha256(d).hexdigest(), "bytes": len(d)} for n, d in sorted(files.items())},
    }
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    return folder


def _seeded(seed: int, n: int) -> bytes:
    import random

    return random.Random(seed).randbytes(n)
