"""Recording sound on Windows through WASAPI, with the ``soundcard`` package.

One job: turn WASAPI capture into :class:`AudioBlock`\\ s on the one clock. System
sound is the *loopback* of an output (what the speakers play), the microphone an
input device. WASAPI talks to a thread that initialised COM for itself, so each
source owns one reader thread that opens the recorder, reads whatever has arrived
and queues it (bounded, drops counted); :meth:`WasapiSource.read` takes from that
queue. A block is stamped at its arrival minus its duration: soundcard does not
expose the device position (``IAudioClock``), so the stamp leaves out the shared-mode
buffer latency (~10 ms), which the timeline's correction absorbs as a constant.

This backend runs on Windows only and cannot be exercised on Linux CI: its tests
there use a stand-in ``soundcard`` module. Importing it without ``soundcard`` raises
ImportError, which the chooser turns into one line saying what to install.
"""

from __future__ import annotations

import queue
import sys
import threading
from typing import Any

import numpy as np
import numpy.typing as npt

from hindsight.clock import NS_PER_S, now_ns
from hindsight.recorder.audio.source import (
    CHANNELS,
    SAMPLE_RATE,
    AudioBackend,
    AudioBlock,
    AudioDevice,
    AudioDeviceLost,
    AudioError,
    AudioKind,
    AudioSource,
)

try:
    import soundcard
except ImportError:
    raise ImportError(
        f"the soundcard package is not installed (pip install soundcard; WASAPI records on "
        f"Windows only, this is {sys.platform})"
    ) from None

__all__ = ["WasapiBackend", "WasapiSource", "as_stereo", "stamp_ns"]

_BLOCK_FRAMES = SAMPLE_RATE // 100  # 10 ms, like the other backends
_QUEUE_BLOCKS = 400
_OPEN_TIMEOUT_S = 5.0
_LOST = object()


def stamp_ns(arrival_ns: int, frames: int) -> int:
    """The clock time of a block's first sample: its arrival minus its duration."""
    return arrival_ns - frames * NS_PER_S // SAMPLE_RATE


def as_stereo(data: Any) -> npt.NDArray[np.float32]:
    """soundcard's ``(frames, channels)`` samples as contiguous float32 stereo.

    A mono device is doubled; a device with more channels (5.1) keeps front left/right.
    """
    pcm = np.asarray(data, dtype=np.float32)
    if pcm.ndim == 1:
        pcm = pcm[:, None]
    if pcm.shape[1] == 1:
        pcm = np.repeat(pcm, CHANNELS, axis=1)
    elif pcm.shape[1] > CHANNELS:
        pcm = pcm[:, :CHANNELS]
    return np.ascontiguousarray(pcm)


def _speakers() -> tuple[list[Any], Any]:
    return list(soundcard.all_speakers()), soundcard.default_speaker()


def _microphones() -> tuple[list[Any], Any]:
    mics = [m for m in soundcard.all_microphones() if not getattr(m, "isloopback", False)]
    return mics, soundcard.default_microphone()


def _devices() -> list[AudioDevice]:
    try:
        speakers, speaker = _speakers()
        mics, mic = _microphones()
    except Exception as err:  # COM and driver failures come as many types
        raise AudioError(f"WASAPI cannot list audio devices: {err}") from None
    out = [
        AudioDevice(s.name, f"Loopback of {s.name}", AudioKind.SYSTEM, s.name == speaker.name)
        for s in speakers
    ]
    out += [AudioDevice(m.name, m.name, AudioKind.MIC, m.name == mic.name) for m in mics]
    return out


def _microphone_for(kind: AudioKind, device: str | None) -> Any:
    """The soundcard microphone to record: a loopback for SYSTEM, an input for MIC."""
    if kind is AudioKind.SYSTEM:
        speakers, default = _speakers()
        chosen = (
            default if device is None else next((s for s in speakers if s.name == device), None)
        )
        if chosen is None:
            names = ", ".join(s.name for s in speakers) or "none"
            raise AudioError(f"no WASAPI output {device!r} to record; there are: {names}")
        return soundcard.get_microphone(chosen.id, include_loopback=True)
    mics, default = _microphones()
    chosen = default if device is None else next((m for m in mics if m.name == device), None)
    if chosen is None:
        names = ", ".join(m.name for m in mics) or "none"
        raise AudioError(f"no WASAPI microphone {device!r}; there are: {names}")
    return chosen


class WasapiSource(AudioSource):
    """One WASAPI capture (loopback or microphone) read by its own thread."""

    name = "wasapi"

    def __init__(self, kind: AudioKind, device: str | None = None) -> None:
        super().__init__(kind, device)
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lost: str | None = None
        self._recording: str | None = None

    def open(self) -> None:
        self.close()
        self._queue = queue.SimpleQueue()
        self._stop = threading.Event()
        self._lost = None
        started = threading.Event()
        failure: list[str] = []
        self._thread = threading.Thread(
            target=self._run,
            args=(started, failure, self._stop),
            name=f"hindsight-wasapi-{self.kind}",
            daemon=True,
        )
        self._thread.start()
        if not started.wait(_OPEN_TIMEOUT_S):
            self.close()
            raise AudioError(f"WASAPI did not start recording {self.device or 'the default'}")
        if failure:
            self.close()
            raise AudioError(failure[0])

    def _run(self, started: threading.Event, failure: list[str], stop: threading.Event) -> None:
        # Everything soundcard does happens on this thread: COM is initialised per thread.
        try:
            mic = _microphone_for(self.kind, self.device)
            self._recording = getattr(mic, "name", None)
            recorder = mic.recorder(
                samplerate=SAMPLE_RATE, channels=CHANNELS, blocksize=_BLOCK_FRAMES
            )
            recorder.__enter__()
        except AudioError as err:
            failure.append(str(err))
            started.set()
            return
        except Exception as err:
            failure.append(f"WASAPI cannot record {self.device or 'the default'}: {err}")
            started.set()
            return
        started.set()
        try:
            while not stop.is_set():
                data = recorder.record(numframes=None)
                arrival = now_ns()
                pcm = as_stereo(data)
                if not len(pcm) or stop.is_set():
                    continue
                if self._queue.qsize() >= _QUEUE_BLOCKS:
                    self.dropped_blocks += 1
                    continue
                self._queue.put(AudioBlock(stamp_ns(arrival, len(pcm)), pcm))
        except Exception as err:  # the device was unplugged or the audio service restarted
            if not stop.is_set():
                self._lost = f"{type(err).__name__}: {err}"
                self._queue.put(_LOST)
        finally:
            try:
                recorder.__exit__(None, None, None)
            except Exception:
                pass

    def read(self, timeout_s: float) -> AudioBlock | None:
        try:
            item = self._queue.get(timeout=timeout_s)
        except queue.Empty:
            return None
        if item is _LOST:
            self._queue.put(_LOST)
            raise AudioDeviceLost(f"{self.describe()} went away ({self._lost})")
        block: AudioBlock = item
        return block

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(2)
            self._thread = None

    def describe(self) -> str:
        which = self._recording or self.device or "default"
        return f"wasapi {self.kind} ({'default: ' if self.device is None else ''}{which})"


class WasapiBackend(AudioBackend):
    name = "wasapi"

    def devices(self) -> list[AudioDevice]:
        return _devices()

    def source(self, kind: AudioKind, device: str | None = None) -> AudioSource:
        return WasapiSource(kind, device)
