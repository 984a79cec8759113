"""The ``[audio]`` table of settings.toml and the sound flags: defaults, the file, flags over it,
and one line naming the file and the key for every bad value."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hindsight.recorder.config import DEFAULTS, AudioConfig, parse_audio_bitrate
from hindsight.recorder.errors import ConfigError
from hindsight.recorder.settings import (
    DEFAULT_SETTINGS_TEXT,
    build_recorder_config,
    load_settings,
)


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "settings.toml"
    path.write_text(text)
    return path


def test_defaults_without_a_table() -> None:
    audio = build_recorder_config({}, {}).audio
    assert audio == AudioConfig()
    assert (audio.system, audio.mic) == (True, False)  # the microphone is off by default
    assert audio.bitrate_bps == DEFAULTS.audio_bitrate_bps


def test_default_settings_text_is_the_defaults(tmp_path: Path) -> None:
    path = _write(tmp_path, DEFAULT_SETTINGS_TEXT)
    assert "audio" in tomllib.loads(DEFAULT_SETTINGS_TEXT)
    assert build_recorder_config({}, load_settings(path)).audio == AudioConfig()


def test_audio_table_is_read(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        '[audio]\ntracks = "system,mic"\ndevice = "out.monitor"\nmic_device = "headset"\n'
        'volume = 0.5\nmic_volume = 2\nbitrate = "96k"\nbackend = "tone"\n',
    )
    audio = build_recorder_config({}, load_settings(path)).audio
    assert audio == AudioConfig(
        system=True,
        mic=True,
        system_device="out.monitor",
        mic_device="headset",
        system_volume=0.5,
        mic_volume=2.0,
        bitrate_bps=96_000,
        backend="tone",
    )


def test_flags_override_the_table(tmp_path: Path) -> None:
    path = _write(tmp_path, '[audio]\ntracks = "system,mic"\ndevice = "a"\nmic_device = "b"\n')
    settings_ = load_settings(path)
    audio = build_recorder_config(
        {"audio": "none", "audio_device": "c", "mic_device": None}, settings_
    ).audio
    assert not audio.enabled and audio.system_device == "c" and audio.mic_device == "b"
    audio = build_recorder_config({"audio": "mic"}, settings_).audio
    assert (audio.system, audio.mic) == (False, True)


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ('tracks = "speakers"', r"audio\.tracks: audio 'speakers': expected system"),
        ('tracks = ""', r"audio\.tracks: .*expected system"),
        ("volume = 9.0", r"audio\.volume: .*between 0\.0 and 4\.0"),
        ("mic_volume = -1", r"audio\.mic_volume: .*between 0\.0 and 4\.0"),
        ("volume = true", r"audio\.volume: .*expected a number"),
        ('volume = "loud"', r"audio\.volume: expected int or float"),
        ('bitrate = "5M"', r"audio\.bitrate: .*between 32k and 512k"),
        ('bitrate = "fast"', r"audio\.bitrate: .*expected a number"),
        ('device = "  "', r"audio\.device: .*must not be empty"),
        ('mic_device = ""', r"audio\.mic_device: .*must not be empty"),
        ('backend = "alsa"', r"audio\.backend: .*must be one of"),
        ("tracks = 3", r"audio\.tracks: expected str"),
        ('speakers = "on"', r"audio\.speakers: unknown setting"),
    ],
)
def test_bad_value_is_one_line_naming_file_and_key(tmp_path: Path, line: str, message: str) -> None:
    path = _write(tmp_path, f"[audio]\n{line}\n")
    with pytest.raises(ConfigError, match=r"settings\.toml: " + message) as info:
        load_settings(path)
    assert "\n" not in str(info.value)


def test_bad_flag_value_is_one_line() -> None:
    with pytest.raises(ConfigError, match="audio 'speakers': expected system"):
        build_recorder_config({"audio": "speakers"}, {})


# TOML strings take JSON's escapes for every character of the basic plane.
_TEXT = st.text(st.characters(max_codepoint=0xFFFF, exclude_categories=["Cs"]), max_size=12)

_VALUES = {
    "tracks": st.one_of(
        st.sampled_from(["system", "mic", "system,mic", "mic, system", "none", "NONE"]),
        _TEXT,
    ),
    "device": _TEXT,
    "mic_device": _TEXT,
    "volume": st.one_of(
        st.floats(allow_nan=False, width=32), st.integers(-(10**9), 10**9), st.booleans()
    ),
    "mic_volume": st.one_of(st.floats(allow_nan=False, width=32), st.integers(-(10**9), 10**9)),
    "bitrate": st.one_of(st.integers(min_value=0, max_value=10**7), _TEXT, st.just("128k")),
    "backend": st.sampled_from(["auto", "pulse", "tone", "none", "wasapi", "alsa", ""]),
}


def _toml(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value)
    return repr(value)


@settings(max_examples=150, deadline=None)
@given(
    st.dictionaries(st.sampled_from(sorted(_VALUES)), st.none()).flatmap(
        lambda keys: st.fixed_dictionaries({k: _VALUES[k] for k in keys})
    )
)
def test_any_table_loads_valid_or_fails_in_one_line(table: dict[str, object]) -> None:
    """Whatever the table holds: a valid AudioConfig, or one ConfigError line naming a key."""
    import tempfile

    with tempfile.TemporaryDirectory() as root:
        path = Path(root) / "settings.toml"
        path.write_text("[audio]\n" + "".join(f"{k} = {_toml(v)}\n" for k, v in table.items()))
        try:
            config = build_recorder_config({}, load_settings(path))
        except ConfigError as err:
            text = str(err)
            assert "\n" not in text
            assert any(f"audio.{key}:" in text for key in table), text
            return
    audio = config.audio
    assert 0.0 <= audio.system_volume <= 4.0 and 0.0 <= audio.mic_volume <= 4.0
    assert 32_000 <= audio.bitrate_bps <= 512_000
    if "bitrate" in table:
        assert audio.bitrate_bps == parse_audio_bitrate(table["bitrate"])  # type: ignore[arg-type]
    if "tracks" in table:
        parts = {p.strip().lower() for p in str(table["tracks"]).split(",")}
        assert audio.system == ("system" in parts) and audio.mic == ("mic" in parts)


def test_empty_tracks_flag_is_an_error_not_the_default() -> None:
    with pytest.raises(ConfigError, match="audio '': expected system"):
        build_recorder_config({"audio": ""}, {})
