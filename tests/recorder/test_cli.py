"""The command line surface without a display: help texts, demo, exit codes."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pandas as pd

from hindsight.bundle import schema as col
from hindsight.recorder.config import DEFAULTS, format_bitrate
from hindsight.recorder.export.mediainfo import read_media_facts
from tests.help_text import help_entries
from tests.recorder.cli_proc import run_cli
from tests.recorder.helpers import check_manifest_digests


def test_record_help_explains_every_option() -> None:
    result = run_cli("record", "--help")
    assert result.returncode == 0
    entries = help_entries(result.stdout)
    for option in (
        "--monitor",
        "--region",
        "--window",
        "--display",
        "--fps",
        "--buffer-seconds",
        "--max-buffer-mb",
        "--encoder",
        "--bitrate",
        "--game",
        "--clips-dir",
        "--hotkey",
        "--no-input",
        "--clip-seconds",
    ):
        # In the options list with words of its own, not only in the usage line.
        assert len(entries.get(option, "").split()) >= 3, f"{option} is not explained"
    assert "settings.toml" in result.stdout
    # Each default shown is the one the recorder uses (defined once, in DEFAULTS).
    text = " ".join(result.stdout.split())
    for option, default in (
        ("--fps", DEFAULTS.fps),
        ("--buffer-seconds", DEFAULTS.buffer_seconds),
        ("--max-buffer-mb", DEFAULTS.max_buffer_mb),
        ("--clip-seconds", DEFAULTS.clip_seconds),
        ("--bitrate", format_bitrate(DEFAULTS.bitrate_bps)),
        ("--hotkey", DEFAULTS.hotkey),
    ):
        assert re.search(rf"{option} \S+ [^-]*\(default {default}[,)]", text), (
            f"{option} does not show {default}"
        )


def test_top_level_help_lists_commands() -> None:
    result = run_cli("--help")
    assert result.returncode == 0
    # Each command is an entry of the command list with its own line of help; the
    # description alone ("... clip recorder ...") does not count.
    entries = help_entries(result.stdout)
    for command in ("record", "clip", "status", "demo", "maps", "overlay", "clips", "upload"):
        assert entries.get(command), f"{command} is not listed"


def test_demo_runs_without_a_screen(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "DISPLAY"}
    result = run_cli(
        "demo", "--seconds", "3", "--clips-dir", str(tmp_path / "demo"), env=env, timeout_s=60
    )
    assert result.returncode == 0, result.stderr
    assert "started a virtual display" in result.stdout
    folders = [p for p in (tmp_path / "demo").iterdir()]
    assert len(folders) == 1 and str(folders[0]) in result.stdout
    manifest = check_manifest_digests(folders[0])
    facts = read_media_facts(folders[0] / manifest.video.file)
    assert facts.first_is_keyframe and facts.cfr
    assert facts.frames == manifest.video.frames
    assert f"{facts.frames} frames" in result.stdout
    assert 3.0 <= facts.duration_s <= 4.1
    # The demo game was played: the clip has its action track, with the chat span redacted.
    assert manifest.game is not None and manifest.game.id == "hindsight.demo-game"
    assert manifest.track is not None
    track = pd.read_parquet(folders[0] / manifest.track.file)
    assert len(track) == facts.frames
    assert (
        track[col.button_columns("jump")[1]].sum() >= 1
        and (track[col.axis_columns("move", 2)[0]] != 0).any()
    )
    assert "frames in chat were redacted" in result.stdout
