"""``hindsight demo`` has sound: the real command, its clip written and read back with PyAV.

With PulseAudio the demo game beeps into a private server's null sink on every
flash, so each beep must sit in the clip's sound where the key press that caused it
sits in the action track. Without PulseAudio the tone backend's beeps stand in.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import av
import numpy as np
import pyarrow.parquet as pq
import pytest

from hindsight.bundle import Manifest
from hindsight.demo.sound import DEMO_SINK, DemoSound
from tests.recorder.cli_proc import run_cli
from tests.recorder.helpers import check_manifest_digests
from tests.x11 import xvfb  # noqa: F401

pytestmark = [pytest.mark.x11, pytest.mark.slow]

SECONDS = 5


def _run_demo(
    tmp_path: Path, path: str | None = None, display: str | None = None
) -> tuple[str, Path, Manifest]:
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "PULSE_SERVER")}
    env.pop("HINDSIGHT_AUDIO_BACKEND", None)
    if path is not None:
        env["PATH"] = path
    if display is not None:
        env["DISPLAY"] = display
    clips = tmp_path / "demo"
    result = run_cli(
        "demo", "--seconds", str(SECONDS), "--clips-dir", str(clips), env=env, timeout_s=120
    )
    assert result.returncode == 0, result.stderr
    (folder,) = list(clips.iterdir())
    return result.stdout, folder, check_manifest_digests(folder)


def _sound(video: Path) -> list[tuple[str, float, float]]:
    """Per audio stream: title, start and duration in seconds."""
    with av.open(str(video)) as c:
        out = []
        for s in c.streams.audio:
            assert s.time_base is not None and s.duration is not None
            title = s.metadata.get("title") or s.metadata.get("handler_name", "")
            out.append(
                (title, float((s.start_time or 0) * s.time_base), float(s.duration * s.time_base))
            )
        return out


def _bursts(video: Path, track: int = 0) -> list[float]:
    """Seconds from the clip's first frame where a burst of sound starts after 0.15 s of
    quiet, or at the first sample: what the demo counts as beeps heard."""
    with av.open(str(video)) as c:
        stream = c.streams.audio[track]
        frames = [(float(f.time or 0), f.to_ndarray()[0]) for f in c.decode(stream)]
    start = frames[0][0]
    mono = np.concatenate([pcm for _, pcm in frames])
    loud = np.abs(mono) > 0.05
    out = []
    last_loud = -(10**9)
    for i in np.flatnonzero(loud):
        if i - last_loud > 0.15 * 48_000:
            out.append(start + i / 48_000)
        last_loud = i
    return out


def _beep_onsets(video: Path, track: int = 0) -> list[float]:
    """The bursts that start inside the clip. One loud from its first millisecond began
    before the clip (cut by its start): it has no onset to time."""
    return [t for t in _bursts(video, track) if t >= 0.001]


def _check_tracks(video: Path, manifest: Manifest) -> None:
    assert manifest.audio is not None
    assert [t.title for t in manifest.audio.tracks] == ["Mix", "System audio"]
    sound = _sound(video)
    assert [title for title, _, _ in sound] == ["Mix", "System audio"]
    for _, start, duration in sound:
        assert abs(start) < 0.01  # with the first frame
        assert duration == pytest.approx(manifest.video.duration_s, abs=0.1)


def test_demo_beeps_in_time_with_the_game(tmp_path: Path) -> None:
    if shutil.which("pulseaudio") is None:
        pytest.fail("pulseaudio is not installed: run bash scripts/setup --test", pytrace=False)
    out, folder, manifest = _run_demo(tmp_path)
    assert (
        "      sound: a private PulseAudio server with a null sink, recorded as system sound; "
        "the game beeps into it on every flash\n" in out
    )
    assert "sound tracks mix, system from pulse" in out
    assert "      sound: 2 audio tracks (Mix, System audio), AAC 48 kHz, 2 channels; " in out
    video = folder / manifest.video.file
    _check_tracks(video, manifest)
    assert manifest.audio is not None and [s.backend for s in manifest.audio.sources] == ["pulse"]

    # Every jump is a key press, so a flash and a beep: the beep is where the press is.
    events = pq.read_table(folder / "events.parquet").to_pylist()
    presses = [e["t_us"] / 1e6 for e in events if e["action"] == "jump" and e["edge"] == "press"]
    onsets = _beep_onsets(video)
    assert presses and onsets
    assert f"{len(_bursts(video))} beeps heard in the mix" in out
    for t in presses:
        if t > manifest.video.duration_s - 0.2:
            continue  # too close to the end for the whole beep
        nearest = min(onsets, key=lambda o: abs(o - t))
        assert abs(nearest - t) < 0.1, (t, onsets)
    # No beep without a key press (chat keys flash too, but they are never recorded: only
    # that there was sound near a recorded edge or inside the chat span is checked).
    edges = [e["t_us"] / 1e6 for e in events]
    chat = pq.read_table(folder / "actions.parquet").to_pydict()
    chat_times = [t for t, c in zip(chat["timestamp"], chat["context"], strict=True) if c == "chat"]
    for onset in onsets:
        near_edge = any(abs(onset - t) < 0.15 for t in edges)
        in_chat = any(abs(onset - t) < 0.3 for t in chat_times)
        assert near_edge or in_chat or onset < 0.1, (onset, edges)


def test_demo_without_pulseaudio_uses_the_tone(tmp_path: Path) -> None:
    # A PATH with the programs the demo drives but no PulseAudio.
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for program in ("Xvfb", "ffplay", "ffmpeg", "xkbcomp"):
        found = shutil.which(program)
        if found:
            (bin_dir / program).symlink_to(found)
    out, folder, manifest = _run_demo(tmp_path, path=str(bin_dir))
    assert (
        "      sound: no PulseAudio here (pulseaudio is not installed: apt-get install "
        "pulseaudio): the recorder's test tone beeps on every second instead\n" in out
    )
    assert "sound tracks mix, system from tone" in out
    video = folder / manifest.video.file
    _check_tracks(video, manifest)
    assert manifest.audio is not None and [s.backend for s in manifest.audio.sources] == ["tone"]
    onsets = _beep_onsets(video)
    assert SECONDS - 1 <= len(onsets) <= SECONDS + 1
    assert np.diff(onsets) == pytest.approx([1.0] * (len(onsets) - 1), abs=0.01)


def test_demo_on_a_screen_beeps_every_second(tmp_path: Path, xvfb) -> None:  # noqa: F811
    out, folder, manifest = _run_demo(tmp_path, display=xvfb.name)
    assert "no input is injected" in out
    assert (
        "      sound: a private PulseAudio server with a null sink, recorded as system sound; "
        "a beep plays into it every second\n" in out
    )
    video = folder / manifest.video.file
    _check_tracks(video, manifest)
    onsets = _beep_onsets(video)
    assert SECONDS - 1 <= len(onsets) <= SECONDS + 1
    # When the clip reaches back to where the recording began, its first burst is the
    # start-up: the idle null sink wakes with the first beeps, and the monitor's first
    # fragments come late and bunched (measured: 0.16 s of sound right after 0.2-0.36 s
    # the capture filled with silence, 0.3-0.7 s before the next beep). The metronome is
    # timed from the second burst on: every later beep a second after the one before.
    assert np.diff(onsets[1:]) == pytest.approx([1.0] * (len(onsets) - 2), abs=0.05)


def test_demo_sound_leaves_nothing_behind() -> None:
    before = os.environ.get("PULSE_SERVER")
    with DemoSound() as sound:
        assert sound.backend == "pulse" and sound.sink == DEMO_SINK
        assert os.environ["PULSE_SERVER"] == sound.child_env["PULSE_SERVER"]
        assert sound.overrides["audio_device"] == f"{DEMO_SINK}.monitor"
        root = Path(sound.child_env["PULSE_RUNTIME_PATH"])
        proc = sound._proc
        assert proc is not None and proc.poll() is None
        sound.start_metronome(0.2)
        result = subprocess.run(
            ["pactl", "list", "short", "sink-inputs"],
            env={**os.environ, **sound.child_env},
            capture_output=True,
            text=True,
            timeout=10,
        )
        assert result.returncode == 0
    assert proc.poll() is not None and not root.exists()
    assert os.environ.get("PULSE_SERVER") == before
