"""The PulseAudio backend when things go away: a sink unloaded, the server killed, no server.

Each test has its own daemon, since the tests break it.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from hindsight.clock import NS_PER_S, now_ns
from hindsight.recorder.audio.pulse import PulseBackend, PulseSource
from hindsight.recorder.audio.source import AudioDeviceLost, AudioError, AudioKind, AudioSource
from tests.audio_server import SYSTEM_SINK, PulseServer, sine
from tests.recorder.audio.pulse_fixture import running_server


@pytest.fixture
def server() -> Iterator[PulseServer]:
    yield from running_server()


def _read_until_lost(source: AudioSource, seconds: float = 3.0) -> AudioDeviceLost:
    deadline = now_ns() + int(seconds * NS_PER_S)
    while now_ns() < deadline:
        try:
            source.read(0.05)
        except AudioDeviceLost as lost:
            return lost
    raise AssertionError("the source did not notice the device going away")


def test_unloaded_sink_is_lost_and_comes_back(server: PulseServer) -> None:
    source = PulseSource(AudioKind.SYSTEM)
    source.open()
    try:
        server.unload_system_sink()
        lost = _read_until_lost(source)
        line = str(lost)
        assert "\n" not in line and f"{SYSTEM_SINK}.monitor" in line
        with pytest.raises(AudioDeviceLost):  # it stays lost until reopened
            source.read(0.01)
    finally:
        source.close()
    # With the sink gone, the default output is another sink's monitor or nothing; asking
    # for it by name says which exist.
    with pytest.raises(AudioError, match="hs_mic_out.monitor"):
        PulseSource(AudioKind.SYSTEM, f"{SYSTEM_SINK}.monitor").open()
    server.load_system_sink()
    source.open()  # the same source opens again
    try:
        assert f"{SYSTEM_SINK}.monitor" in source.describe()
        player = server.play(sine(2.5, amplitude=0.5))
        deadline = now_ns() + 5 * NS_PER_S
        loud = False
        while now_ns() < deadline and not loud:
            block = source.read(0.1)
            loud = block is not None and float(abs(block.pcm).max()) > 0.3
        player.kill()
        player.wait()
        assert loud, "no sound after the sink came back"
    finally:
        source.close()


def test_killed_server_is_a_lost_device(server: PulseServer) -> None:
    source = PulseSource(AudioKind.MIC)
    source.open()
    try:
        server.kill()
        lost = _read_until_lost(source)
        assert "server went away" in str(lost)
    finally:
        source.close()
    with pytest.raises(AudioError) as info:
        source.open()
    assert "no PulseAudio/PipeWire server" in str(info.value)


def test_no_server_is_one_line_fast(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PULSE_SERVER", f"unix:{tmp_path / 'missing'}")
    for attempt in (
        lambda: PulseSource(AudioKind.SYSTEM).open(),
        lambda: PulseBackend().devices(),
    ):
        began = time.monotonic()
        with pytest.raises(AudioError) as info:
            attempt()
        assert time.monotonic() - began < 3.0
        line = str(info.value)
        assert "\n" not in line
        assert line.startswith("no PulseAudio/PipeWire server (PULSE_SERVER=unix:")
        assert "--audio none" in line
