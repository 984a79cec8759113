"""What a running recorder reports about itself, typed, with one JSON form.

:class:`RecorderStatus` is built by the session (capture, encoder, buffer, saves) and
completed by the service (actions, each attached output's section). It crosses the
control channel as ``to_json()`` and is read back with ``from_json()``, so the
``status`` reply, ``hindsight status --json`` and every client agree on one shape.
:class:`~hindsight.recorder.clip_reply.ClipReply` is the same for the reply to a ``clip``
request.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from hindsight.recorder.errors import ControlError
from hindsight.recorder.reply_fields import from_known, known_fields

__all__ = [
    "ActionsStatus",
    "AudioSourceStatus",
    "AudioStatus",
    "BufferStatus",
    "CaptureStatus",
    "EncoderStatus",
    "InputCounts",
    "OutputStatus",
    "RecorderState",
    "RecorderStatus",
    "SavesStatus",
]


class RecorderState(StrEnum):
    STARTING = "starting"  # the session records, but input and the hotkey are not up yet
    RECORDING = "recording"
    PAUSED = "paused"  # records nothing, the buffer is empty
    STOPPED = "stopped"
    FAILED = "failed"


@dataclass(frozen=True)
class CaptureStatus:
    """The capture source and what happened to its frames (every drop counted)."""

    source: str | None
    width: int | None
    height: int | None
    fps_target: int
    fps_captured: float
    frames: int
    frames_captured: int
    dup_frames: int
    queue_drops: int
    # The conversion to the encoder's pixel format (libyuv|swscale) and the output buffers
    # it keeps for reuse (0: a new one each frame); None/0 before the recorder starts.
    converter: str | None = None
    converter_buffers: int = 0


@dataclass(frozen=True)
class EncoderStatus:
    name: str | None
    fallbacks: int
    rejected: dict[str, str]


@dataclass(frozen=True)
class BufferStatus:
    """How much the replay buffer holds now, and at most."""

    seconds: float
    bytes: int
    max_seconds: int
    max_bytes: int


@dataclass(frozen=True)
class SavesStatus:
    clips_dir: str
    saved: int
    failed: int
    last_clip: str | None
    last_save_ms: float | None
    last_error: str | None
    in_flight: bool = False  # a save is being written now (the tray shows "saving")
    # The last save's time split: waiting for its frame, for its sound, and writing.
    last_save_split_ms: dict[str, float] | None = None
    # How clip files go to disk: "direct" (O_DIRECT, no page cache) or "buffered".
    clip_write: str | None = None


@dataclass(frozen=True)
class InputCounts:
    """Translated input, and input dropped by each privacy rule (never silently)."""

    translated: int
    unmapped_dropped: int
    redacted_dropped: int
    unfocused_dropped: int
    queue_dropped: int
    context_switches: int


@dataclass(frozen=True)
class ActionsStatus:
    """The action capture: the focused game, its context and the input counters."""

    game_id: str | None
    game_title: str | None
    context: str | None
    maps: int
    input_sources: tuple[str, ...]
    inputs: InputCounts

    @classmethod
    def from_capture(cls, report: Mapping[str, Any]) -> ActionsStatus:
        """From the action capture's own status report."""
        game = report.get("game") or {}
        return cls(
            game_id=game.get("id"),
            game_title=game.get("title"),
            context=report.get("context"),
            maps=report["maps"],
            input_sources=tuple(report["input_sources"]),
            inputs=InputCounts(**report["inputs"]),
        )


@dataclass(frozen=True)
class AudioSourceStatus:
    """One audio source: its device, its level and every fix the timeline made."""

    kind: str  # "system" | "mic"
    device: str | None  # what is being recorded, None while nothing is
    state: str  # "recording" | "waiting" (no device yet, or lost: silence is recorded)
    error: str | None  # why it is waiting
    level_dbfs: float | None  # peak of the last half second; None while silent/unknown
    drift_ppm: float
    silence_s: float  # silence put in for gaps and a missing device
    resyncs: int  # drift and latency resyncs
    dropped_blocks: int  # blocks lost before the timeline (a full queue)


@dataclass(frozen=True)
class AudioStatus:
    """The sound: the backend, its sources, the tracks written and how much the rings hold."""

    backend: str
    tracks: tuple[str, ...]  # the audio tracks of a clip, in file order
    sources: tuple[AudioSourceStatus, ...]
    buffer_seconds: float
    buffer_bytes: int

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> AudioStatus:
        return cls(
            **{
                **known_fields(cls, data),
                "tracks": tuple(data["tracks"]),
                "sources": tuple(from_known(AudioSourceStatus, s) for s in data["sources"]),
            }
        )


@dataclass(frozen=True)
class OutputStatus:
    """An attached output's one-line summary and its own section (opaque to the recorder)."""

    summary: str
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class RecorderStatus:
    state: RecorderState
    error: str | None
    pid: int
    uptime_s: float
    capture: CaptureStatus
    encoder: EncoderStatus
    buffer: BufferStatus
    saves: SavesStatus
    actions: ActionsStatus | None = None  # None: input actions are off
    audio: AudioStatus | None = None  # None: sound is off
    outputs: dict[str, OutputStatus] = field(default_factory=dict)  # by output name

    def to_json(self) -> dict[str, Any]:
        """The one JSON form; an output's section is its details with its ``summary`` beside
        them."""
        data = dataclasses.asdict(self)
        data["state"] = str(self.state)
        data["outputs"] = {
            name: {**out.details, "summary": out.summary} for name, out in self.outputs.items()
        }
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> RecorderStatus:
        """Read back :meth:`to_json` (keys it does not know, such as the reply's ``ok``, are
        ignored)."""
        try:
            actions = data.get("actions")
            audio = data.get("audio")
            return cls(
                state=RecorderState(data["state"]),
                error=data.get("error"),
                pid=data["pid"],
                uptime_s=data["uptime_s"],
                capture=from_known(CaptureStatus, data["capture"]),
                encoder=from_known(EncoderStatus, data["encoder"]),
                buffer=from_known(BufferStatus, data["buffer"]),
                saves=from_known(SavesStatus, data["saves"]),
                actions=None
                if actions is None
                else ActionsStatus(
                    **{
                        **known_fields(ActionsStatus, actions),
                        "input_sources": tuple(actions["input_sources"]),
                        "inputs": from_known(InputCounts, actions["inputs"]),
                    }
                ),
                audio=None if audio is None else AudioStatus.from_json(audio),
                outputs={
                    name: OutputStatus(
                        str(section.get("summary", "")),
                        {k: v for k, v in section.items() if k != "summary"},
                    )
                    for name, section in (data.get("outputs") or {}).items()
                },
            )
        except (KeyError, TypeError, ValueError, AttributeError) as err:
            raise ControlError(
                f"the recorder's status could not be read ({type(err).__name__}: {err}); "
                "is it another version of Hindsight?"
            ) from None
