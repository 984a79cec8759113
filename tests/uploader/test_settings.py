"""Upload settings and config: rates, targets, the key layout, secrets refused, one
clear line each.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hindsight.uploader.config import UploadConfig, UploadTarget, parse_rate
from hindsight.uploader.errors import UploadConfigError
from hindsight.uploader.settings import (
    build_upload_config,
    clips_dir,
    library_url,
    load_uploader_settings,
)

UNITS = {"": 1, "k": 1024, "K": 1024, "m": 2**20, "M": 2**20, "g": 2**30, "G": 2**30}


@given(
    number=st.integers(0, 10_000),
    unit=st.sampled_from(sorted(UNITS)),
    suffix=st.sampled_from(["", "B", "B/s"]),
)
def test_parse_rate_reads_curl_style_rates(number: int, unit: str, suffix: str) -> None:
    text = f"{number}{unit}{suffix}"
    expected = number * UNITS[unit]
    assert parse_rate(text) == (expected or None)


@given(text=st.text(max_size=12))
def test_parse_rate_accepts_or_refuses_with_one_clear_line(text: str) -> None:
    try:
        value = parse_rate(text)
    except UploadConfigError as err:
        assert "\n" not in str(err) and "expected bytes per second" in str(err)
    else:
        assert value is None or value > 0


def test_parse_rate_refuses_bits_and_garbage() -> None:
    for bad in ("fast", "4 Mbit", "-1", "1.5.2M"):
        with pytest.raises(UploadConfigError):
            parse_rate(bad)
    assert (
        parse_rate(None) is None
        and parse_rate(0) is None
        and parse_rate("2.5M") == int(2.5 * 2**20)
    )


def test_target_key_layout_and_validation() -> None:
    target = UploadTarget(
        bucket="my-clips", prefix="/team/a/", endpoint_url="http://127.0.0.1:8333"
    )
    assert (
        target.key("valve.counter-strike-2", "c1", "video.mp4")
        == "team/a/valve.counter-strike-2/c1/video.mp4"
    )
    assert UploadTarget(bucket="my-clips", prefix="").key("g", "c", "f") == "g/c/f"
    for kwargs in (
        {"bucket": "B"},
        {"bucket": "ab"},
        {"bucket": "ok-name", "endpoint_url": "ftp://x"},
        {"bucket": "ok-name", "prefix": "a/../b"},
    ):
        with pytest.raises(UploadConfigError):
            UploadTarget(**kwargs)


def test_config_is_validated_on_construction() -> None:
    for kwargs in (
        {"policy": "sometimes"},
        {"max_rate_bytes_per_s": 10},
        {"part_size_bytes": 2**20},
        {"concurrency": 0},
        {"capped_concurrency": 33},
        {"retry_base_s": 0},
    ):
        with pytest.raises(UploadConfigError):
            UploadConfig(**kwargs)


def test_a_cap_sends_fewer_parts_at_once() -> None:
    # Uncapped, as many parts as s3transfer sends; capped, fewer, so each is confirmed (and
    # recorded for a resume) sooner instead of all of them at the very end.
    assert UploadConfig().parts_in_flight == 10
    assert UploadConfig(max_rate_bytes_per_s=2**20).parts_in_flight == 4
    assert UploadConfig(max_rate_bytes_per_s=2**20, concurrency=2).parts_in_flight == 2


def write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def test_settings_tables_flags_override(tmp_path: Path) -> None:
    path = write(
        tmp_path / "s.toml",
        '[record]\nclips_dir = "~/clips-here"\n[upload]\nbucket = "team-clips"\n'
        'policy = "instant"\nmax_rate = "4M"\nconcurrency = 2\n[library]\nurl = "sqlite:////tmp/x.db"\n',
    )
    settings = load_uploader_settings(path)
    config = build_upload_config({"max_rate": "1M", "prefix": None}, settings["upload"])
    assert config.target.bucket == "team-clips" and config.policy == "instant"
    assert config.max_rate_bytes_per_s == 2**20 and config.concurrency == 2
    assert library_url(settings["library"]) == "sqlite:////tmp/x.db"
    assert clips_dir(path) == Path("~/clips-here").expanduser()
    assert build_upload_config({}, {}).target is None


@pytest.mark.parametrize(
    "text, message",
    [
        ('[upload]\nbukket = "x"\n', "unknown setting"),
        ('[upload]\nconcurrency = "4"\n', "expected int"),
        ('[upload]\naws_secret_access_key = "s3cr3t"\n', "do not belong in the settings file"),
        ('[upload]\nbucket = "ok-name"\npolicy = "often"\n', "upload policy"),
        ("[upload\n", "not valid TOML"),
        ('[upload]\nprefix = "x"\n', "without a bucket"),
    ],
)
def test_bad_settings_are_one_clear_line(tmp_path: Path, text: str, message: str) -> None:
    path = write(tmp_path / "s.toml", text)
    with pytest.raises(UploadConfigError) as err:
        build_upload_config({}, load_uploader_settings(path)["upload"])
    assert (
        message in str(err.value) and "\n" not in str(err.value) and "s3cr3t" not in str(err.value)
    )
