"""Real clips for the dataset tests: ``hindsight demo`` run once per module, and copies of a
clip whose manifest says it came from a given recording run (the files' hashes do not
cover the manifest, so a copy stays a whole clip)."""

from __future__ import annotations

import dataclasses
import os
import shutil
import uuid
from pathlib import Path

from hindsight.bundle import MANIFEST_FILE, SessionFacts, read_manifest
from tests.recorder.cli_proc import run_cli

_USER_DIRS = {
    "HINDSIGHT_CONFIG_DIR": "config",
    "HINDSIGHT_DATA_DIR": "data",
    "HINDSIGHT_LOG_DIR": "logs",
    "HINDSIGHT_CACHE_DIR": "cache",
}


def demo_clip(root: Path, seconds: int = 4) -> Path:
    """One clip made by the real demo (virtual display, demo game, sound) under ``root``."""
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "PULSE_SERVER")}
    env.pop("HINDSIGHT_AUDIO_BACKEND", None)
    # A module's fixture runs before the per-test isolation: give the demo its own folders.
    env.update({var: str(root / "user" / name) for var, name in _USER_DIRS.items()})
    env["HINDSIGHT_CONTROL"] = str(root / "user" / "control.sock")
    clips = root / "demo"
    result = run_cli(
        "demo", "--clips-dir", str(clips), "--seconds", str(seconds), "--size", "640x360",
        env=env, timeout_s=180,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    (folder,) = clips.iterdir()
    return folder


def copy_clip(
    clip: Path, dest: Path, session: SessionFacts | None = None, *, new_id: bool = True
) -> Path:
    """A copy of ``clip`` at ``dest`` with its own clip id and the session facts given."""
    shutil.copytree(clip, dest)
    manifest = read_manifest(dest)
    changes: dict = {"session": session}
    if new_id:
        changes["clip_id"] = str(uuid.uuid4())
    (dest / MANIFEST_FILE).write_text(dataclasses.replace(manifest, **changes).to_json())
    return dest
