"""Real clips for the dataset tests: ``hindsight demo`` run once per module, and copies of a
clip whose manifest says it came from a given recording run (the files' hashes do not
cover the manifest, so a copy stays a whole clip)."""

from __future__ import annotations

import dataclasses
import os
import shutil
import time
import uuid
from pathlib import Path

from hindsight.bundle import MANIFEST_FILE, SessionFacts, read_manifest
from tests.recorder.cli_proc import RecorderProcess, run_cli

_USER_DIRS = {
    "HINDSIGHT_CONFIG_DIR": "config",
    "HINDSIGHT_DATA_DIR": "data",
    "HINDSIGHT_LOG_DIR": "logs",
    "HINDSIGHT_CACHE_DIR": "cache",
}


def _user_env(root: Path, base: dict[str, str]) -> dict[str, str]:
    # A module's fixture runs before the per-test isolation: give the command its own folders.
    env = {**base, **{var: str(root / "user" / name) for var, name in _USER_DIRS.items()}}
    env["HINDSIGHT_CONTROL"] = str(root / "user" / "control.sock")
    return env


def demo_clip(root: Path, seconds: int = 4) -> Path:
    """One clip made by the real demo (virtual display, demo game, sound) under ``root``."""
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "PULSE_SERVER")}
    env.pop("HINDSIGHT_AUDIO_BACKEND", None)
    env = _user_env(root, env)
    clips = root / "demo"
    result = run_cli(
        "demo", "--clips-dir", str(clips), "--seconds", str(seconds), "--size", "640x360",
        env=env, timeout_s=180,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    (folder,) = clips.iterdir()
    return folder


def mic_clip(root: Path, display: str, seconds: int = 3) -> Path:
    """One clip of ``display`` by the real recorder with system sound and a microphone (the
    tone backend's beeps and a sine), so its video holds the mix, system and mic tracks."""
    env = _user_env(root, {**os.environ, "HINDSIGHT_AUDIO_BACKEND": "tone"})
    clips = root / "mic"
    rec = RecorderProcess(
        "--display", display, "--fps", "15", "--buffer-seconds", "6",
        "--clip-seconds", str(seconds), "--bitrate", "1M", "--no-input", "--no-library",
        "--no-overlay-server", "--no-hotkey", "--clips-dir", str(clips),
        "--audio", "system,mic", "--mic-device", "sine:880",
        env=env,
    )  # fmt: skip
    try:
        rec.wait_line("recording ", timeout_s=60)
        time.sleep(seconds + 1)
        result = run_cli("clip", "--seconds", str(seconds), env=env)
        assert result.returncode == 0, result.stderr
    finally:
        rec.kill()
    return Path(result.stdout.strip())


def copy_clip(clip: Path, dest: Path, session: SessionFacts | None = None, **changes) -> Path:
    """A copy of ``clip`` at ``dest`` with its own clip id, the session facts given and any
    other manifest fields in ``changes``."""
    shutil.copytree(clip, dest)
    manifest = read_manifest(dest)
    changes = {"clip_id": str(uuid.uuid4()), "session": session, **changes}
    (dest / MANIFEST_FILE).write_text(dataclasses.replace(manifest, **changes).to_json())
    return dest
