"""``hindsight record``'s sound flags through the real command under Xvfb: a clip is written,
then read back with PyAV: its audio streams, their titles and lengths; ``status`` shows the
sound; a real PulseAudio server's sound reaches the clip."""

from __future__ import annotations

import json
import os
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import av
import numpy as np
import pytest

from hindsight.bundle import open_bundle
from hindsight.recorder.status import RecorderStatus
from tests.audio_server import MIC_SINK, MIC_SOURCE, SYSTEM_SINK, PulseServer, sine
from tests.recorder.audio.beeps import decode_track, track_titles
from tests.recorder.cli_proc import RecorderProcess, run_cli
from tests.recorder.helpers import check_manifest_digests
from tests.x11 import moving_scene, xvfb  # noqa: F401

pytestmark = [pytest.mark.x11, pytest.mark.slow]


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "HINDSIGHT_AUDIO_BACKEND"}
    return {**env, **extra}


def _record(display: str, *flags: str, env: dict[str, str]) -> RecorderProcess:
    rec = RecorderProcess(
        "--display", display, "--fps", "15", "--buffer-seconds", "6", "--clip-seconds", "3",
        "--bitrate", "2M", "--no-input", "--no-library", "--no-overlay-server", "--no-hotkey",
        *flags,
        env=env,
    )  # fmt: skip
    rec.wait_line("recording ", timeout_s=60)
    return rec


def _clip(rec: RecorderProcess, env: dict[str, str], seconds: int = 3) -> Path:
    result = run_cli("clip", "--seconds", str(seconds), env=env)
    assert result.returncode == 0, result.stderr
    return Path(result.stdout.strip())


def _streams(path: Path) -> tuple[float, list[tuple[str, int, int, float]]]:
    """The video's duration and, per audio stream: codec, rate, channels, duration in s."""
    with av.open(str(path)) as c:
        video = c.streams.video[0]
        assert video.duration is not None and video.time_base is not None
        audio = []
        for s in c.streams.audio:
            assert s.duration is not None and s.time_base is not None
            audio.append(
                (s.codec_context.name, s.rate, s.channels, float(s.duration * s.time_base))
            )
        return float(video.duration * video.time_base), audio


def test_audio_none_makes_a_video_only_clip(xvfb, moving_scene, isolated_user_dirs) -> None:  # noqa: F811
    env = _env(HINDSIGHT_AUDIO_BACKEND="tone")
    rec = _record(xvfb.name, "--audio", "none", env=env)
    try:
        assert rec.wait_line("sound: ") == "sound: off (video-only clips)"
        time.sleep(3.5)
        status = RecorderStatus.from_json(json.loads(run_cli("status", "--json", env=env).stdout))
        assert status.audio is None
        assert "sound      off (video-only clips)" in run_cli("status", env=env).stdout
        bundle = _clip(rec, env)
    finally:
        rec.kill()
    manifest = check_manifest_digests(bundle)
    assert manifest.audio is None
    with av.open(str(bundle / manifest.video.file)) as c:
        assert len(c.streams.video) == 1 and len(c.streams.audio) == 0


def test_tone_backend_gives_titled_mix_and_system_tracks(
    xvfb,
    moving_scene,
    isolated_user_dirs,  # noqa: F811
) -> None:
    env = _env(HINDSIGHT_AUDIO_BACKEND="tone")
    rec = _record(xvfb.name, env=env)
    try:
        assert rec.wait_line("sound: ") == "sound: tracks mix, system via tone"
        time.sleep(4)
        status = RecorderStatus.from_json(json.loads(run_cli("status", "--json", env=env).stdout))
        human = run_cli("status", env=env).stdout
        bundle = _clip(rec, env)
    finally:
        rec.kill()
    audio = status.audio
    assert audio is not None and audio.backend == "tone" and audio.tracks == ("mix", "system")
    (system,) = audio.sources
    assert system.kind == "system" and system.state == "recording"
    assert system.device == "tone system (beeps)" and system.dropped_blocks == 0
    assert "sound      tracks mix, system via tone" in human
    assert "  system   tone system (beeps); level " in human and " ppm, " in human

    manifest = check_manifest_digests(bundle)
    video = bundle / manifest.video.file
    assert track_titles(video) == ["Mix", "System audio"]
    assert manifest.audio is not None
    assert [(t.index, t.name, t.title) for t in manifest.audio.tracks] == [
        (1, "mix", "Mix"),
        (2, "system", "System audio"),
    ]
    video_s, streams = _streams(video)
    assert [s[:3] for s in streams] == [("aac", 48_000, 2)] * 2
    for *_, seconds in streams:
        assert abs(seconds - video_s) < 0.1
    # The beeps are in the clip: 1 kHz, every second, loud.
    samples = decode_track(video, 1)
    assert np.abs(samples).max() > 0.3
    assert len(samples) / 48_000 == pytest.approx(video_s, abs=0.1)


def test_system_and_mic_give_three_tracks(xvfb, moving_scene, isolated_user_dirs) -> None:  # noqa: F811
    env = _env(HINDSIGHT_AUDIO_BACKEND="tone")
    rec = _record(xvfb.name, "--audio", "system,mic", "--mic-device", "sine:880", env=env)
    try:
        assert rec.wait_line("sound: ") == "sound: tracks mix, system, mic via tone"
        time.sleep(4)
        status = RecorderStatus.from_json(json.loads(run_cli("status", "--json", env=env).stdout))
        bundle = _clip(rec, env)
    finally:
        rec.kill()
    assert status.audio is not None
    assert [s.device for s in status.audio.sources] == [
        "tone system (beeps)",
        "tone mic (sine:880)",
    ]
    manifest = check_manifest_digests(bundle)
    video = bundle / manifest.video.file
    assert track_titles(video) == ["Mix", "System audio", "Microphone"]
    _, streams = _streams(video)
    assert len(streams) == 3
    mic = decode_track(video, 2)
    spectrum = np.abs(np.fft.rfft(mic[:48_000]))
    assert abs(np.argmax(spectrum) * 48_000 / 48_000 - 880) < 5  # the mic's 880 Hz tone


def test_bad_flag_is_one_line(isolated_user_dirs) -> None:
    result = run_cli("record", "--audio", "speakers", env=_env())
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "hindsight: error: audio 'speakers': expected system, system,mic, mic or none "
        "(the microphone is off unless named)"
    ]


def test_flags_override_the_settings_file(
    xvfb,
    moving_scene,
    isolated_user_dirs,
    tmp_path: Path,  # noqa: F811
) -> None:
    settings = tmp_path / "settings.toml"
    settings.write_text('[audio]\ntracks = "system,mic"\nbackend = "tone"\ndevice = "silence"\n')
    env = _env()
    rec = _record(
        xvfb.name, "--settings", str(settings), "--audio", "system", "--audio-device",
        "sine:300", env=env,
    )  # fmt: skip
    try:
        assert rec.wait_line("sound: ") == "sound: tracks mix, system via tone"
        time.sleep(1)
        status = RecorderStatus.from_json(json.loads(run_cli("status", "--json", env=env).stdout))
    finally:
        rec.kill()
    assert status.audio is not None
    assert [s.device for s in status.audio.sources] == ["tone system (sine:300)"]


@pytest.fixture
def pulse() -> Iterator[PulseServer]:
    with PulseServer() as server:
        yield server


def test_real_pulseaudio_system_and_mic(
    xvfb,
    moving_scene,
    isolated_user_dirs,
    pulse: PulseServer,  # noqa: F811
) -> None:
    env = _env(**pulse.env)
    rec = _record(xvfb.name, "--audio", "system,mic", env=env)
    players: list[subprocess.Popen[bytes]] = []
    # PulseServer.play returns once pacat has taken all the sound, i.e. about when it has
    # played it: each plays from its own thread.
    feeds = [
        threading.Thread(target=lambda: players.append(pulse.play(sine(9, 440), SYSTEM_SINK))),
        threading.Thread(target=lambda: players.append(pulse.play(sine(9, 1000, 0.3), MIC_SINK))),
    ]
    try:
        assert rec.wait_line("sound: ") == "sound: tracks mix, system, mic via pulse"
        for feed in feeds:
            feed.start()
        time.sleep(4.5)
        status = RecorderStatus.from_json(json.loads(run_cli("status", "--json", env=env).stdout))
        bundle = _clip(rec, env)
    finally:
        rec.kill()
        for feed in feeds:
            feed.join(15)
        for p in players:
            p.kill()
            p.wait()
    assert status.audio is not None and status.audio.backend == "pulse"
    system, mic = status.audio.sources
    assert system.state == mic.state == "recording"
    assert system.device is not None and f"{SYSTEM_SINK}.monitor" in system.device
    assert mic.device is not None and MIC_SOURCE in mic.device
    assert system.level_dbfs is not None and system.level_dbfs > -12
    video = bundle / open_bundle(bundle).manifest.video.file
    assert track_titles(video) == ["Mix", "System audio", "Microphone"]
    for index, hz in ((1, 440), (2, 1000)):
        samples = decode_track(video, index)
        tail = samples[-48_000:]  # the last second: both were playing
        assert np.abs(tail).max() > 0.1
        peak_hz = np.argmax(np.abs(np.fft.rfft(tail))) * 48_000 / len(tail)
        assert abs(peak_hz - hz) < 5


def test_audio_device_flag_picks_the_pulseaudio_source(
    xvfb,
    moving_scene,
    isolated_user_dirs,
    pulse: PulseServer,  # noqa: F811
) -> None:
    env = _env(**pulse.env)
    listed = json.loads(run_cli("audio", "devices", "--json", env=env).stdout)
    other = f"{MIC_SINK}.monitor"
    assert other in [d["name"] for d in listed["devices"] if d["kind"] == "system"]
    rec = _record(xvfb.name, "--audio-device", other, env=env)
    feed = threading.Thread(target=lambda: pulse.play(sine(4, 660), MIC_SINK).wait())
    try:
        rec.wait_line("sound: ")
        feed.start()
        time.sleep(2.5)
        status = RecorderStatus.from_json(json.loads(run_cli("status", "--json", env=env).stdout))
        human = run_cli("status", env=env).stdout
    finally:
        rec.kill()
        feed.join(10)
    assert status.audio is not None
    (system,) = status.audio.sources
    assert system.device == f"pulse system ({other})" and system.state == "recording"
    assert system.level_dbfs is not None and system.level_dbfs > -12
    assert f"  system   pulse system ({other}); level " in human
