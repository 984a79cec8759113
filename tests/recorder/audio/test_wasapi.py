"""The WASAPI backend where it can be checked off Windows: the chooser's one line without
``soundcard``, and the source's own logic against a stand-in ``soundcard`` module.

Real WASAPI capture runs on Windows only; nothing here talks to an audio device.
"""

from __future__ import annotations

import importlib
import sys
import threading
import types
from collections.abc import Iterator

import numpy as np
import pytest

from hindsight.clock import NS_PER_S, now_ns
from hindsight.recorder.audio.chooser import ENV_OVERRIDE, choose_audio_backend
from hindsight.recorder.audio.source import AudioDeviceLost, AudioError, AudioKind
from hindsight.recorder.config import AudioConfig

MODULE = "hindsight.recorder.audio.wasapi"


def test_chooser_without_soundcard_is_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "soundcard", None)  # importing it fails
    monkeypatch.delitem(sys.modules, MODULE, raising=False)
    monkeypatch.setenv(ENV_OVERRIDE, "wasapi")
    with pytest.raises(AudioError) as info:
        choose_audio_backend(AudioConfig())
    line = str(info.value)
    assert "\n" not in line
    assert line.startswith("audio backend wasapi cannot load")
    assert "pip install soundcard" in line and "Windows only" in line


class _Device:
    def __init__(self, name: str, id: str, isloopback: bool = False) -> None:
        self.name, self.id, self.isloopback = name, id, isloopback
        self.fail_after: int | None = None
        self.channels_out = 2

    def recorder(self, samplerate: int, channels: int, blocksize: int) -> _Recorder:
        assert (samplerate, channels) == (48_000, 2)
        return _Recorder(self)


class _Recorder:
    def __init__(self, device: _Device) -> None:
        self.device = device
        self.reads = 0
        self.thread: threading.Thread | None = None

    def __enter__(self) -> _Recorder:
        self.thread = threading.current_thread()
        return self

    def __exit__(self, *_exc: object) -> None:
        pass

    def record(self, numframes: int | None = None) -> np.ndarray:
        assert threading.current_thread() is self.thread  # COM: one thread does it all
        self.reads += 1
        if self.device.fail_after is not None and self.reads > self.device.fail_after:
            raise RuntimeError("AUDCLNT_E_DEVICE_INVALIDATED")
        threading.Event().wait(0.01)
        return np.full((480, self.device.channels_out), 0.25, dtype=np.float64)


@pytest.fixture
def fake_soundcard(monkeypatch: pytest.MonkeyPatch) -> Iterator[types.SimpleNamespace]:
    speakers = [_Device("Speakers", "{spk}"), _Device("Headset", "{head}")]
    mics = [_Device("Headset Microphone", "{mic}"), _Device("Speakers", "{spk}", True)]
    loopbacks = {s.id: _Device(s.name, s.id, True) for s in speakers}
    fake = types.SimpleNamespace(
        all_speakers=lambda: speakers,
        default_speaker=lambda: speakers[0],
        all_microphones=lambda include_loopback=False: mics,
        default_microphone=lambda: mics[0],
        get_microphone=lambda id, include_loopback=False: loopbacks[id],
        loopbacks=loopbacks,
        mics=mics,
    )
    monkeypatch.setitem(sys.modules, "soundcard", fake)
    monkeypatch.delitem(sys.modules, MODULE, raising=False)
    yield fake
    sys.modules.pop(MODULE, None)


def test_devices_are_loopbacks_and_inputs(fake_soundcard: types.SimpleNamespace) -> None:
    wasapi = importlib.import_module(MODULE)
    devices = wasapi.WasapiBackend().devices()
    assert [(d.name, d.kind, d.is_default) for d in devices] == [
        ("Speakers", AudioKind.SYSTEM, True),
        ("Headset", AudioKind.SYSTEM, False),
        ("Headset Microphone", AudioKind.MIC, True),
    ]


def test_source_reads_stamped_stereo_blocks(fake_soundcard: types.SimpleNamespace) -> None:
    wasapi = importlib.import_module(MODULE)
    source = wasapi.WasapiBackend().source(AudioKind.SYSTEM, "Headset")
    before = now_ns()
    with source:
        block = None
        while block is None:
            block = source.read(1.0)
        after = now_ns()
    assert source.describe() == "wasapi system (Headset)"
    assert block.pcm.dtype == np.float32 and block.pcm.shape == (480, 2)
    assert before - 10_000_000 <= block.t_ns <= after - 10_000_000


def test_lost_device_and_unknown_device(fake_soundcard: types.SimpleNamespace) -> None:
    wasapi = importlib.import_module(MODULE)
    fake_soundcard.mics[0].fail_after = 2
    source = wasapi.WasapiSource(AudioKind.MIC)
    source.open()
    try:
        deadline = now_ns() + 2 * NS_PER_S
        with pytest.raises(AudioDeviceLost, match="DEVICE_INVALIDATED"):
            while now_ns() < deadline:
                source.read(0.1)
    finally:
        source.close()
    with pytest.raises(AudioError, match="there are: Headset Microphone$"):
        wasapi.WasapiSource(AudioKind.MIC, "USB mic").open()


def test_helpers_stamp_and_shape(fake_soundcard: types.SimpleNamespace) -> None:
    wasapi = importlib.import_module(MODULE)
    assert wasapi.stamp_ns(NS_PER_S, 480) == NS_PER_S - 10_000_000
    mono = wasapi.as_stereo(np.arange(4, dtype=np.float64))
    assert mono.shape == (4, 2) and mono.dtype == np.float32
    surround = wasapi.as_stereo(np.ones((3, 6)))
    assert surround.shape == (3, 2) and surround.flags.c_contiguous
