"""Clip bundles for uploader tests: the real layout and manifest, with made-up file contents.

The uploader never decodes a clip, so random bytes stand in for the video; tests
that need a real recording use the recorder itself.
"""

from __future__ import annotations

import os
import uuid
from datetime import UTC, datetime
from pathlib import Path

from hindsight.bundle import ACTION_MAP_FILE, ACTIONS_FILE, BUNDLE_FILES, EVENTS_FILE, VIDEO_FILE
from tests.bundle.builders import write_manifest

__all__ = ["make_bundle", "SECRET_FREE_FILES"]

SECRET_FREE_FILES = BUNDLE_FILES


def make_bundle(
    clips_dir: Path,
    *,
    video_bytes: int = 3 * 2**20,
    game: tuple[str, str] | None = ("valve.counter-strike-2", "Counter-Strike 2"),
    seed: int | None = None,
    created: datetime | None = None,
    clip_id: str | None = None,
) -> Path:
    rng = os.urandom if seed is None else (lambda n: _seeded(seed, n))
    clip_id = clip_id or str(uuid.uuid4())
    created = created or datetime.now(UTC)
    folder = (
        clips_dir / f"{game[1] if game else 'Desktop'} {created:%Y-%m-%d %H-%M-%S} {clip_id[:8]}"
    )
    folder.mkdir(parents=True)
    files = {
        VIDEO_FILE: rng(video_bytes),
        ACTIONS_FILE: b"PAR1" + rng(5000) + b"PAR1",
        EVENTS_FILE: b"PAR1" + rng(2000) + b"PAR1",
        ACTION_MAP_FILE: b'schema = "hindsight.actionmap/1"\nid = "x"\n',
    }
    for name, data in files.items():
        (folder / name).write_bytes(data)
    write_manifest(folder, frames=1800, fps=60, clip_id=clip_id, created=created, game=game)
    return folder


def _seeded(seed: int, n: int) -> bytes:
    import random

    return random.Random(seed).randbytes(n)
