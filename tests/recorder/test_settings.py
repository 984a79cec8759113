"""Settings and option parsing: good values load, bad ones give one line naming the setting."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hindsight.errors import HindsightError
from hindsight.recorder.config import (
    CaptureConfig,
    RecorderConfig,
    RingConfig,
    parse_bitrate,
    parse_region,
)
from hindsight.recorder.errors import ConfigError
from hindsight.recorder.input.hotkey import to_pynput_combo
from hindsight.recorder.settings import build_recorder_config, load_settings


@pytest.mark.parametrize(
    ("text", "bps"),
    [
        ("12M", 12_000_000),
        ("6000k", 6_000_000),
        ("2.5M", 2_500_000),
        ("8000000", 8_000_000),
        ("1g", 1_000_000_000),
    ],
)
def test_bitrate_ffmpeg_forms(text: str, bps: int) -> None:
    assert parse_bitrate(text) == bps


@given(st.text(max_size=12))
def test_bitrate_parser_never_crashes(text: str) -> None:
    try:
        value = parse_bitrate(text)
    except ConfigError as err:
        assert "bitrate" in str(err)
    else:
        assert 100_000 <= value <= 1_000_000_000


@given(st.integers(min_value=100, max_value=1_000_000), st.sampled_from(["k", "K", "M", "m"]))
def test_bitrate_round_trips_integer_forms(n: int, suffix: str) -> None:
    scale = 1_000 if suffix.lower() == "k" else 1_000_000
    try:
        assert parse_bitrate(f"{n}{suffix}") == n * scale
    except ConfigError:
        assert not 100_000 <= n * scale <= 1_000_000_000


@given(st.text(max_size=20))
def test_region_parser_never_crashes(text: str) -> None:
    try:
        region = parse_region(text)
    except ConfigError as err:
        assert "region" in str(err)
    else:
        assert len(region) == 4


@given(st.text(max_size=20))
def test_hotkey_parser_never_crashes(text: str) -> None:
    try:
        combo = to_pynput_combo(text)
    except ConfigError as err:
        assert "hotkey" in str(err)
    else:
        assert combo


def test_hotkey_forms() -> None:
    assert to_pynput_combo("F8") == "<f8>"
    assert to_pynput_combo("ctrl+shift+s") == "<ctrl>+<shift>+s"
    with pytest.raises(ConfigError, match="hotkey"):
        to_pynput_combo("ctrl+")


def test_configs_validate_on_construction() -> None:
    with pytest.raises(ConfigError, match="fps"):
        CaptureConfig(fps=0)
    with pytest.raises(ConfigError, match="region or a window"):
        CaptureConfig(region=(0, 0, 100, 100), window="x")
    with pytest.raises(ConfigError, match="buffer seconds"):
        RingConfig(buffer_seconds=1)
    with pytest.raises(ConfigError, match="clip seconds"):
        RecorderConfig(ring=RingConfig(buffer_seconds=10), default_clip_seconds=20)
    assert issubclass(ConfigError, HindsightError)


def test_settings_file_then_flags(tmp_path: Path) -> None:
    path = tmp_path / "settings.toml"
    path.write_text(
        (
            '[record]\nfps = 30\nbitrate = "6M"\nbuffer_seconds = 20\nclip_seconds = 10\n'
            'clips_dir = "%s"\n'
        )
        % (tmp_path / "c")
    )
    settings = load_settings(path)
    config = build_recorder_config({"fps": 60, "bitrate": None}, settings)
    assert config.capture.fps == 60  # the flag wins
    assert config.encoder.bitrate_bps == 6_000_000  # the file fills what the flag left out
    assert config.ring.buffer_seconds == 20
    assert config.default_clip_seconds == 10
    assert config.clips_dir == tmp_path / "c"


def test_unknown_setting_names_file_and_key(tmp_path: Path) -> None:
    path = tmp_path / "settings.toml"
    path.write_text("[record]\nfsp = 30\n")
    with pytest.raises(ConfigError, match=r"settings\.toml: record\.fsp: unknown setting"):
        load_settings(path)


def test_wrong_type_and_bad_toml(tmp_path: Path) -> None:
    path = tmp_path / "settings.toml"
    path.write_text('[record]\nfps = "sixty"\n')
    with pytest.raises(ConfigError, match=r"record\.fps: expected int"):
        load_settings(path)
    path.write_text("[record\nfps = 30\n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_settings(path)


def test_missing_settings_file_is_fine(tmp_path: Path) -> None:
    assert load_settings(tmp_path / "nope.toml") == {}
    assert build_recorder_config({}, {}).capture.fps == 60
