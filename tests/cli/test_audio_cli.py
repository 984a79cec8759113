"""``hindsight audio devices`` through the real command: the table, --json, no audio system, a
real PulseAudio server."""

from __future__ import annotations

import dataclasses
import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from hindsight.cli.status import audio_lines, sound_summary
from hindsight.recorder.status import AudioSourceStatus, AudioStatus
from tests.audio_server import MIC_SOURCE, SYSTEM_SINK, PulseServer
from tests.recorder.cli_proc import run_cli


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "HINDSIGHT_AUDIO_BACKEND"}
    return {**env, **extra}


def test_devices_table_marks_defaults() -> None:
    result = run_cli("audio", "devices", env=_env(HINDSIGHT_AUDIO_BACKEND="tone"))
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["KIND", "DEFAULT", "NAME", "DESCRIPTION"]
    assert lines[1].split()[:3] == ["system", "*", "beeps"]
    assert lines[2].split()[:3] == ["mic", "*", "sine:440"]
    assert "1 kHz beeps on every second" in lines[1]
    assert "--audio-device" in result.stdout


def test_devices_json() -> None:
    result = run_cli("audio", "devices", "--json", "--backend", "tone", env=_env())
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["backend"] == "tone"
    assert data["devices"] == [
        {
            "name": "beeps",
            "kind": "system",
            "description": "1 kHz beeps on every second",
            "default": True,
        },
        {"name": "sine:440", "kind": "mic", "description": "a steady 440 Hz tone", "default": True},
    ]


def test_backend_from_the_settings_file(tmp_path: Path) -> None:
    settings = tmp_path / "settings.toml"
    settings.write_text('[audio]\nbackend = "tone"\n')
    result = run_cli("audio", "devices", "--json", "--settings", str(settings), env=_env())
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["backend"] == "tone"


def test_no_audio_server_is_one_line_and_fails(tmp_path: Path) -> None:
    # A PulseAudio address where nothing listens, and no way to start a server.
    env = _env(
        PULSE_SERVER=f"unix:{tmp_path / 'no-such-socket'}",
        PULSE_RUNTIME_PATH=str(tmp_path),
        HINDSIGHT_AUDIO_BACKEND="pulse",
    )
    for args in (("audio", "devices"), ("audio", "devices", "--json")):
        result = run_cli(*args, env=env)
        assert result.returncode != 0
        assert result.stdout == ""
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("hindsight: error: "), result.stderr
        assert "Traceback" not in result.stderr


def test_sound_off_is_one_line() -> None:
    result = run_cli("audio", "devices", env=_env(HINDSIGHT_AUDIO_BACKEND="none"))
    assert result.returncode != 0
    assert result.stderr.strip() == (
        "hindsight: error: sound is turned off (audio backend none): there is nothing to list"
    )


def test_bad_settings_value_is_one_line(tmp_path: Path) -> None:
    settings = tmp_path / "settings.toml"
    settings.write_text("[audio]\nvolume = 7\n")
    result = run_cli("audio", "devices", "--settings", str(settings), env=_env())
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        f"hindsight: error: {settings}: audio.volume: audio volume 7.0: must be between 0.0 and 4.0"
    ]


def _source(**values: object) -> AudioSourceStatus:
    """A source status with ``values``; every other field a zero."""
    return AudioSourceStatus(
        **{f.name: values.get(f.name, 0) for f in dataclasses.fields(AudioSourceStatus)}
    )


def test_status_lines_per_source() -> None:
    audio = AudioStatus(
        backend="pulse",
        tracks=("mix", "system", "mic"),
        sources=(
            _source(
                kind="system",
                device="pulse system (hs_null.monitor)",
                state="recording",
                error=None,
                level_dbfs=-6.02,
                drift_ppm=12.5,
                silence_s=0.25,
                dropped_blocks=3,
            ),
            _source(
                kind="mic",
                device=None,
                state="waiting",
                error="no microphone",
                level_dbfs=None,
                drift_ppm=0.0,
                silence_s=4.0,
                dropped_blocks=0,
            ),
        ),
        buffer_seconds=12.0,
        buffer_bytes=3 * 2**20,
    )
    lines = audio_lines(audio)
    assert lines[0] == "sound      tracks mix, system, mic via pulse; buffer 12.0 s, 3.0 MiB"
    assert lines[1] == (
        "  system   pulse system (hs_null.monitor); level -6.0 dBFS, drift +12.5 ppm, "
        "0.25 s of gaps filled with silence, 3 blocks dropped"
    )
    assert lines[2] == (
        "  mic      waiting (no microphone); level silent, drift +0.0 ppm, "
        "4.00 s of gaps filled with silence, 0 blocks dropped"
    )
    assert audio_lines(None) == ["sound      off (video-only clips)"]
    assert sound_summary(None) == "off (video-only clips)"


@pytest.fixture(scope="module")
def pulse() -> Iterator[PulseServer]:
    with PulseServer() as server:
        yield server


def test_devices_of_a_real_pulseaudio_server(pulse: PulseServer) -> None:
    env = _env(**pulse.env)
    result = run_cli("audio", "devices", env=env)
    assert result.returncode == 0, result.stderr
    rows = [line.split()[:3] for line in result.stdout.splitlines()[1:-1]]
    assert ["system", "*", f"{SYSTEM_SINK}.monitor"] in rows
    assert ["mic", "*", MIC_SOURCE] in rows
    data = json.loads(run_cli("audio", "devices", "--json", env=env).stdout)
    assert data["backend"] == "pulse"
    by_name = {d["name"]: d for d in data["devices"]}
    system = by_name[f"{SYSTEM_SINK}.monitor"]
    assert system["kind"] == "system" and system["default"]
    assert "Hindsight-null-sink" in system["description"]
    mic = by_name[MIC_SOURCE]
    assert mic == {
        "name": MIC_SOURCE,
        "kind": "mic",
        "description": "Hindsight-test-mic",
        "default": True,
    }
    assert sum(d["default"] for d in data["devices"] if d["kind"] == "system") == 1
