"""The audio seam: what every audio source promises, whatever it records from.

A source records one device (the system output's loopback, or a microphone) as
blocks of 48 kHz stereo float32 PCM, each stamped on the one clock with the time
its *first sample* was heard or spoken: arrival minus the block's duration,
corrected by the latency the audio server reports for the stream (a loopback of an
output renders ahead of its play time, so its correction is negative). Placing
blocks on the clip's sample timeline is not the source's job but the
:class:`~hindsight.recorder.audio.timeline.AudioTimeline`'s.

Sources are pulled: :meth:`AudioSource.read` waits at most ``timeout_s`` for the next
block. A backend that is called back by its audio server keeps a bounded queue and
counts what it drops, like the input sources do.
"""

from __future__ import annotations

import enum
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar, Self

from hindsight.errors import HindsightError

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

__all__ = [
    "SAMPLE_RATE",
    "CHANNELS",
    "AudioError",
    "AudioDeviceLost",
    "AudioKind",
    "AudioDevice",
    "AudioBlock",
    "AudioSource",
    "AudioBackend",
]

#: every source delivers this rate and channel count (the audio server converts for us)
SAMPLE_RATE = 48_000
CHANNELS = 2


class AudioError(HindsightError):
    """No audio can be recorded: no audio server, an unknown device, a backend missing."""


class AudioDeviceLost(AudioError):
    """The device went away while recording (unplugged, its sink unloaded, the server gone)."""


class AudioKind(enum.StrEnum):
    """Which of the two sources a device or a source is."""

    SYSTEM = "system"  # what the player hears: the loopback (monitor) of an output
    MIC = "mic"  # what the player says: an input device


@dataclass(frozen=True)
class AudioDevice:
    """A device that can be recorded, as ``hindsight audio devices`` lists it."""

    name: str  # what --audio-device / --mic-device take
    description: str  # what a person reads
    kind: AudioKind
    is_default: bool = False


@dataclass(frozen=True, slots=True, eq=False)
class AudioBlock:
    """``frames`` samples per channel, shape ``(frames, CHANNELS)`` float32 in -1..1.

    ``t_ns`` is the clock time of the first sample (see the module docstring).
    """

    t_ns: int
    pcm: npt.NDArray[np.float32]

    @property
    def frames(self) -> int:
        return int(self.pcm.shape[0])

    @property
    def duration_ns(self) -> int:
        return self.frames * 1_000_000_000 // SAMPLE_RATE

    def __repr__(self) -> str:
        # The samples may hold a voice: never print them.
        return f"AudioBlock(t_ns={self.t_ns}, frames={self.frames})"


class AudioSource(ABC):
    """One device recorded by one backend. Open, read repeatedly, close.

    ``device`` is a name from :meth:`devices` or None for the default device of
    ``kind``. ``dropped_blocks`` counts blocks lost inside the source (its queue full).
    """

    #: short name used by the chooser and in logs ("pulse", "wasapi", "tone")
    name: ClassVar[str] = "?"

    def __init__(self, kind: AudioKind, device: str | None = None) -> None:
        self.kind = kind
        self.device = device
        self.dropped_blocks = 0

    @abstractmethod
    def open(self) -> None:
        """Connect and start recording; raises :class:`AudioError` with one line."""

    @abstractmethod
    def read(self, timeout_s: float) -> AudioBlock | None:
        """The next block, or None when none came within ``timeout_s``.

        Raises :class:`AudioDeviceLost` once the device or the server has gone; the
        caller closes the source and opens it again later.
        """

    @abstractmethod
    def close(self) -> None:
        """Stop recording and disconnect; safe to call more than once."""

    def describe(self) -> str:
        """One line for logs and the status, e.g. ``pulse system (default: null.monitor)``."""
        return f"{self.name} {self.kind} ({self.device or 'default'})"

    def __enter__(self) -> Self:
        self.open()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.describe()}>"


class AudioBackend(ABC):
    """One audio system (PulseAudio, WASAPI, a tone generator): lists devices, makes sources."""

    name: ClassVar[str] = "?"

    @abstractmethod
    def devices(self) -> list[AudioDevice]:
        """What can be recorded now, defaults marked; raises :class:`AudioError` with one line."""

    @abstractmethod
    def source(self, kind: AudioKind, device: str | None = None) -> AudioSource:
        """A not yet opened source of ``kind`` for ``device`` (None: the default)."""
