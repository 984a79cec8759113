"""The benchmarks' shared pieces (tests/bench/common.py): isolation and a like-for-like peer.

The benchmarks themselves are not part of the suite (they are measured, not asserted);
these checks keep their ground rules true: no benchmark touches the user's own folders,
and FFmpeg encodes what the recorder encodes.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from hindsight import paths
from hindsight.recorder.config import DEFAULTS, format_bitrate
from tests.bench.common import (
    USER_DIR_VARS,
    isolated_user_dirs,
    peer_command,
    progress_counters,
    smaps_rollup,
    stats_counters,
)

BENCH_DIR = Path(__file__).parent / "bench"


def test_isolated_user_dirs_moves_every_folder_and_restores_them(monkeypatch) -> None:
    monkeypatch.setenv("HOME", "/home/someone")
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    before = dict(os.environ)
    with isolated_user_dirs() as dirs:
        root = dirs["HOME"].parent
        for var in [*USER_DIR_VARS, "HINDSIGHT_CONTROL"]:
            assert Path(os.environ[var]).is_relative_to(root), var
        assert str(Path.home()).startswith(str(root))
        for folder in (
            paths.config_dir(),
            paths.data_dir(),
            paths.log_dir(),
            paths.default_clips_dir(),
        ):
            assert folder.is_relative_to(root) and folder.is_dir()
    assert dict(os.environ) == before and not root.exists()


def test_every_benchmark_runs_isolated() -> None:
    for bench in sorted(BENCH_DIR.glob("bench_*.py")):
        assert "isolated_user_dirs()" in bench.read_text(), f"{bench.name} is not isolated"


def test_the_ffmpeg_peer_encodes_what_the_recorder_encodes() -> None:
    bitrate = format_bitrate(DEFAULTS.bitrate_bps)
    cmd = " ".join(peer_command(":9", 1920, 1080, 60, 60, Path("out.mp4"), bitrate))
    for option in (
        "-c:v libx264",
        "-preset ultrafast",
        "-tune zerolatency",
        "-pix_fmt yuv420p",  # the recorder's libx264 pixel format, not FFmpeg's 4:4:4 default
        f"-b:v {bitrate}",
        f"-g {round(60 * DEFAULTS.keyframe_interval_ms / 1000)}",  # the recorder's fixed GOP
        "-bf 0",
    ):
        assert re.search(rf"(^| ){re.escape(option)}( |$)", cmd), option


def test_the_ffmpeg_peer_records_sound_as_the_recorder_does() -> None:
    cmd = " ".join(
        peer_command(":9", 1920, 1080, 60, 60, Path("out.mp4"), audio_source="hs_null.monitor")
    )
    for option in (
        "-f pulse",
        "-i hs_null.monitor",
        "-c:a aac",
        f"-b:a {DEFAULTS.audio_bitrate_bps}",
        "-ar 48000",
        "-ac 2",
    ):
        assert re.search(rf"(^| ){re.escape(option)}( |$)", cmd), option
    silent = " ".join(peer_command(":9", 1920, 1080, 60, 60, Path("out.mp4")))
    assert "-c:a" not in silent and "pulse" not in silent


def test_no_peer_input_waits_on_a_shallow_queue() -> None:
    # With FFmpeg's default queue of 8 the sound's input blocked the picture's: the peer
    # then encoded about 7 real frames a second and did far less work than the recorder.
    cmd = peer_command(":9", 1920, 1080, 60, 60, Path("out.mp4"), audio_source="hs_null.monitor")
    inputs = [i for i, arg in enumerate(cmd) if arg == "-i"]
    assert len(inputs) == 2
    for at in inputs:
        before = cmd[:at]
        last_queue = len(before) - 1 - before[::-1].index("-thread_queue_size")
        assert int(cmd[last_queue + 1]) >= 256
        assert "-i" not in cmd[last_queue:at]  # the option belongs to this input


def test_ffmpeg_counts_are_read_as_ffmpeg_reports_them() -> None:
    block = {"frame": "3600", "dup_frames": "12", "drop_frames": "3", "progress": "end"}
    assert progress_counters(block) == {"frame": 3600, "dup": 12, "drop": 3}
    stderr = "frame= 1800 fps= 60 q=-1.0 size=1kB dup=4 drop=1\rframe= 3600 dup=12 drop=3 \n"
    assert stats_counters(stderr) == {"frame": 3600, "dup": 12, "drop": 3}


def test_smaps_rollup_splits_anonymous_from_file_backed() -> None:
    rollup = smaps_rollup(os.getpid())
    assert rollup["Rss"] > 0 and 0 < rollup["Anonymous"] <= rollup["Rss"]
