"""A tone generator that behaves like a device: beeps on the clock's whole seconds.

It stands in for an audio server where there is none to test against and lets a
test know, without measuring anything, *when* each sound happened: a beep of
:data:`BEEP_NS` starts at every multiple of ``period`` on the one clock. Blocks are
made when their time has come (``read`` sleeps like a device would) and stamped
exactly, so any offset found in a clip is the recorder's, not the source's.

Device names: ``beeps`` (default: 1 kHz, 50 ms, every second), ``beeps:<period_ms>``,
``sine:<hz>`` (a steady tone), ``silence``.
"""

from __future__ import annotations

import math
import threading

import numpy as np

from hindsight.clock import NS_PER_S, now_ns
from hindsight.recorder.audio.source import (
    CHANNELS,
    SAMPLE_RATE,
    AudioBackend,
    AudioBlock,
    AudioDevice,
    AudioError,
    AudioKind,
    AudioSource,
)

__all__ = ["ToneBackend", "ToneSource", "BEEP_NS", "BEEP_HZ", "beep_onsets_ns"]

BEEP_NS = 50_000_000
BEEP_HZ = 1000.0
_BLOCK_FRAMES = 480  # 10 ms, what PulseAudio delivers with a small fragment size
_AMPLITUDE = 0.5


def beep_onsets_ns(start_t_ns: int, end_t_ns: int, period_ns: int = NS_PER_S) -> list[int]:
    """Clock times of the beeps a ``beeps`` source plays in ``[start, end)``."""
    first = -(-start_t_ns // period_ns) * period_ns
    return list(range(first, end_t_ns, period_ns))


class ToneSource(AudioSource):
    name = "tone"

    def __init__(self, kind: AudioKind, device: str | None = None) -> None:
        super().__init__(kind, device)
        self._wave, self._param = _parse(device or "beeps")
        self._next_t_ns: int | None = None
        self._closed = threading.Event()

    def open(self) -> None:
        self._closed.clear()
        # Start on a block boundary of the clock so blocks tile time exactly.
        block_ns = _BLOCK_FRAMES * NS_PER_S // SAMPLE_RATE
        self._next_t_ns = now_ns() // block_ns * block_ns

    def read(self, timeout_s: float) -> AudioBlock | None:
        if self._next_t_ns is None:
            raise AudioError("tone source is not open")
        t_ns = self._next_t_ns
        due_ns = t_ns + _BLOCK_FRAMES * NS_PER_S // SAMPLE_RATE
        wait_s = (due_ns - now_ns()) / NS_PER_S
        if wait_s > timeout_s:
            self._closed.wait(timeout_s)
            return None
        if wait_s > 0 and self._closed.wait(wait_s):
            return None
        self._next_t_ns = due_ns
        return AudioBlock(t_ns, self._render(t_ns))

    def close(self) -> None:
        self._closed.set()
        self._next_t_ns = None

    def describe(self) -> str:
        return f"tone {self.kind} ({self.device or 'beeps'})"

    def _render(self, t_ns: int) -> np.ndarray:
        # Sample times on the clock, so the waveform is a function of time alone.
        t = (t_ns + np.arange(_BLOCK_FRAMES) * (NS_PER_S / SAMPLE_RATE)) / NS_PER_S
        if self._wave == "silence":
            mono = np.zeros(_BLOCK_FRAMES)
        elif self._wave == "sine":
            mono = _AMPLITUDE * np.sin(2 * math.pi * self._param * t)
        else:
            period_s = self._param / 1000
            phase = np.mod(t, period_s)
            on = phase < BEEP_NS / NS_PER_S
            mono = np.where(on, _AMPLITUDE * np.sin(2 * math.pi * BEEP_HZ * phase), 0.0)
        return np.repeat(mono.astype(np.float32)[:, None], CHANNELS, axis=1)


def _parse(device: str) -> tuple[str, float]:
    wave, _, arg = device.partition(":")
    try:
        if wave == "beeps":
            return wave, float(arg or 1000)
        if wave == "sine":
            return wave, float(arg or 440)
        if wave == "silence" and not arg:
            return wave, 0.0
    except ValueError:
        pass
    raise AudioError(
        f"tone device {device!r}: expected beeps, beeps:<period_ms>, sine:<hz> or silence"
    )


class ToneBackend(AudioBackend):
    name = "tone"

    def devices(self) -> list[AudioDevice]:
        return [
            AudioDevice("beeps", "1 kHz beeps on every second", AudioKind.SYSTEM, True),
            AudioDevice("sine:440", "a steady 440 Hz tone", AudioKind.MIC, True),
        ]

    def source(self, kind: AudioKind, device: str | None = None) -> AudioSource:
        if device is None and kind is AudioKind.MIC:
            device = "sine:440"
        return ToneSource(kind, device)
