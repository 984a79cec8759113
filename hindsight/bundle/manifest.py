"""``manifest.json``: its sections as frozen dataclasses, with the one reader and the one writer.

Every key of the manifest is spelled here and nowhere else: a section's JSON keys
are its field names. :meth:`Manifest.from_json` checks each value's type and names
the bad key path in a one-line :class:`BundleError`; :meth:`Manifest.to_json` writes
the same bytes the recorder always wrote (keys in the same order, two-space indent).
A section keeps keys it does not model in ``extra``, so a manifest written by a newer
recorder round-trips unchanged.
"""

from __future__ import annotations

import json
import types
import typing
from collections.abc import Mapping
from dataclasses import MISSING, dataclass, field, fields, is_dataclass, replace
from functools import cache
from typing import Any, TypeVar

from hindsight.bundle.layout import (
    ACTION_MAP_FILE,
    ACTIONS_FILE,
    EVENTS_FILE,
    FORMAT_NAME,
    FORMAT_VERSION,
    VIDEO_FILE,
)
from hindsight.errors import HindsightError

__all__ = [
    "BundleError",
    "RecorderInfo",
    "GameInfo",
    "ActionMapPin",
    "VideoFacts",
    "AudioTrackFacts",
    "AudioSourceFacts",
    "AudioFacts",
    "TrackFacts",
    "ClockFacts",
    "SessionFacts",
    "Redaction",
    "Consent",
    "PrivacyFacts",
    "CaptureFacts",
    "FileFacts",
    "Manifest",
]

_EMPTY: Mapping[str, Any] = types.MappingProxyType({})
# Fields written only when set: a clip without an action track has no redaction facts.
_OMIT_NONE = {"omit_none": True}


class BundleError(HindsightError):
    """A bundle or its manifest is not what the clip format says; names the file and key path."""


@dataclass(frozen=True, kw_only=True)
class RecorderInfo:
    name: str
    version: str
    extra: Mapping[str, Any] = field(default_factory=lambda: _EMPTY)


@dataclass(frozen=True, kw_only=True)
class GameInfo:
    """The game the clip shows, as the action map names it."""

    id: str
    title: str
    extra: Mapping[str, Any] = field(default_factory=lambda: _EMPTY)


@dataclass(frozen=True, kw_only=True)
class ActionMapPin:
    """Which map translated the track: ``id@version`` and the sha256 of ``actionmap.toml``."""

    id: str
    version: str
    sha256: str
    file: str = ACTION_MAP_FILE
    local_override: bool = False  # the player's rebinding was used; the shipped map is pinned
    extra: Mapping[str, Any] = field(default_factory=lambda: _EMPTY)

    @property
    def ref(self) -> str:
        return f"{self.id}@{self.version}"


@dataclass(frozen=True, kw_only=True)
class VideoFacts:
    frames: int
    dup_frames: int
    fps: int
    width: int
    height: int
    codec: str
    encoder: str
    duration_s: float
    keyframes: int
    transcoded: bool
    cfr: bool = True
    time_base: str = ""
    starts_on_keyframe: bool = True
    file: str = VIDEO_FILE
    extra: Mapping[str, Any] = field(default_factory=lambda: _EMPTY)


@dataclass(frozen=True, kw_only=True)
class AudioTrackFacts:
    """One audio track of the video file: its place among the audio streams and what it holds."""

    index: int  # 1 = the first audio stream of the file
    name: str  # MIX_TRACK, SYSTEM_TRACK or MIC_TRACK
    title: str  # the stream's title in the file
    sources: tuple[str, ...]  # the sources mixed into it ("system", "mic")
    extra: Mapping[str, Any] = field(default_factory=lambda: _EMPTY)


@dataclass(frozen=True, kw_only=True)
class AudioSourceFacts:
    """How one source fared over the clip: measured drift, silence put in for what was missing."""

    kind: str  # "system" or "mic"
    backend: str  # "pulse", "wasapi", "tone"
    drift_ppm: float  # the device's sample clock against the recorder's clock
    silence_s: float  # silence inside the clip where the device gave nothing (gaps, lost)
    resyncs: int  # drift and latency resyncs inside the clip
    extra: Mapping[str, Any] = field(default_factory=lambda: _EMPTY)


@dataclass(frozen=True, kw_only=True)
class AudioFacts:
    """The sound of the clip. Every track starts with the first video frame (the file's edit list
    hides the ``preroll_samples`` decoded before it, so the first sound is whole)."""

    codec: str
    sample_rate: int
    channels: int
    bit_rate: int
    tracks: tuple[AudioTrackFacts, ...]
    sources: tuple[AudioSourceFacts, ...]
    preroll_samples: int
    alignment: str = "first sample at the first video frame's clock time"
    extra: Mapping[str, Any] = field(default_factory=lambda: _EMPTY)


@dataclass(frozen=True, kw_only=True)
class TrackFacts:
    file: str = ACTIONS_FILE
    rows: int
    valid_rows: int
    alignment: str
    clock: str = "monotonic"
    latency_bias_frames: int
    columns: tuple[str, ...]
    events_file: str = EVENTS_FILE
    events: int
    events_shared: bool
    extra: Mapping[str, Any] = field(default_factory=lambda: _EMPTY)


@dataclass(frozen=True, kw_only=True)
class ClockFacts:
    source: str = "monotonic"
    first_frame_t_ns: int
    last_frame_t_ns: int
    extra: Mapping[str, Any] = field(default_factory=lambda: _EMPTY)


@dataclass(frozen=True, kw_only=True)
class SessionFacts:
    """The recording run a clip came from, so overlapping clips can be deduplicated.

    ``session_id`` is random per run of the recorder (never derived from the user or
    the machine); ``first_frame`` is the clip's first frame counted on that run's frame
    timeline (frame 0 is the run's first frame, at the clip's fps). Two clips of one
    run share the frames ``[max(first), min(first + frames))``.
    """

    session_id: str
    first_frame: int
    extra: Mapping[str, Any] = field(default_factory=lambda: _EMPTY)


@dataclass(frozen=True, kw_only=True)
class Redaction:
    """What the action track left out: rows outside a recorded context, and those contexts."""

    frames: int
    contexts: tuple[str, ...]


@dataclass(frozen=True, kw_only=True)
class Consent:
    """Who contributed the clip (a rotatable pseudonym), under which consent version per purpose."""

    contributor: str | None
    versions: Mapping[str, str | None]


@dataclass(frozen=True, kw_only=True)
class PrivacyFacts:
    raw_inputs_stored: bool = False
    redacted_frames: int | None = field(default=None, metadata=_OMIT_NONE)
    contexts_redacted: tuple[str, ...] | None = field(default=None, metadata=_OMIT_NONE)
    contributor: str | None = None
    consent_version: Mapping[str, str | None] | None = None
    extra: Mapping[str, Any] = field(default_factory=lambda: _EMPTY)

    def with_redaction(self, redaction: Redaction) -> PrivacyFacts:
        return replace(self, redacted_frames=redaction.frames, contexts_redacted=redaction.contexts)

    def with_consent(self, consent: Consent) -> PrivacyFacts:
        return replace(
            self, contributor=consent.contributor, consent_version=dict(consent.versions)
        )


@dataclass(frozen=True, kw_only=True)
class CaptureFacts:
    """Where the picture came from, in one line (``x11grab :99 1920x1080+0+0``)."""

    source: str | None
    extra: Mapping[str, Any] = field(default_factory=lambda: _EMPTY)


@dataclass(frozen=True, kw_only=True)
class FileFacts:
    sha256: str
    bytes: int
    extra: Mapping[str, Any] = field(default_factory=lambda: _EMPTY)


@dataclass(frozen=True, kw_only=True)
class Manifest:
    """A clip's manifest. ``files`` lists every file of the bundle but the manifest itself."""

    # Fields in the order the recorder has always written them; ``files`` is written last.
    format: str = FORMAT_NAME
    version: int = FORMAT_VERSION
    clip_id: str
    created_utc: str
    recorder: RecorderInfo
    game: GameInfo | None = None
    action_map: ActionMapPin | None = None
    video: VideoFacts
    audio: AudioFacts | None = None  # null: a silent clip (and every clip before sound)
    track: TrackFacts | None = None
    clock: ClockFacts
    privacy: PrivacyFacts = field(default_factory=PrivacyFacts)
    capture: CaptureFacts | None = field(default=None, metadata=_OMIT_NONE)
    # null in clips from before sessions were recorded: those cannot be grouped
    session: SessionFacts | None = field(default=None, metadata=_OMIT_NONE)
    files: Mapping[str, FileFacts]
    extra: Mapping[str, Any] = field(default_factory=lambda: _EMPTY)

    @classmethod
    def from_json(cls, data: bytes | str) -> Manifest:
        try:
            raw = json.loads(data)
        except (ValueError, UnicodeDecodeError) as err:
            raise BundleError(f"manifest cannot be read as JSON ({err})") from None
        return cls.from_dict(raw)

    @classmethod
    def from_dict(cls, raw: Any) -> Manifest:
        if not isinstance(raw, dict):
            raise BundleError("manifest: expected a JSON object")
        if raw.get("format") != FORMAT_NAME:
            raise BundleError(f"manifest.format: {raw.get('format')!r} is not {FORMAT_NAME!r}")
        version = raw.get("version")
        if type(version) is not int or not 1 <= version <= FORMAT_VERSION:
            raise BundleError(
                f"manifest.version: {version!r} is not a version this reader knows "
                f"(1..{FORMAT_VERSION})"
            )
        manifest = _parse(cls, raw, "manifest")
        assert isinstance(manifest, Manifest)
        return manifest

    def to_dict(self) -> dict[str, Any]:
        out = _dump(self)
        # Moved after the sections this reader does not model, so the hashes end the file.
        out["files"] = out.pop("files")
        return out

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2) + "\n"

    @property
    def title(self) -> str:
        """What people call the clip's subject: the game's title, else the desktop."""
        return self.game.title if self.game else "Desktop"

    @property
    def game_id(self) -> str:
        return self.game.id if self.game else "desktop"

    def total_bytes(self) -> int:
        """Size of every listed file (the manifest itself not included)."""
        return sum(f.bytes for f in self.files.values())


# ---- one generic reader and writer over the dataclasses above ----------------------------

_T = TypeVar("_T")


@cache
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def _parse(cls: type[_T], raw: Any, path: str) -> _T:
    if not isinstance(raw, dict):
        raise BundleError(f"{path}: expected an object, got {_kind(raw)}")
    hints = _hints(cls)  # type: ignore[arg-type]  # a class is hashable; mypy cannot tell for type[_T]
    known = {f.name for f in fields(cls)} - {"extra"}  # type: ignore[arg-type]
    values: dict[str, Any] = {}
    for f in fields(cls):  # type: ignore[arg-type]
        if f.name == "extra":
            continue
        if f.name in raw:
            values[f.name] = _value(hints[f.name], raw[f.name], f"{path}.{f.name}")
        elif f.default is MISSING and f.default_factory is MISSING:
            raise BundleError(f"{path}.{f.name}: missing")
    extra = {k: v for k, v in raw.items() if k not in known}
    if extra:
        values["extra"] = types.MappingProxyType(extra)
    return cls(**values)


def _value(hint: Any, raw: Any, path: str) -> Any:
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if hint is Any:
        return raw
    if origin in (typing.Union, types.UnionType):
        if raw is None and type(None) in args:
            return None
        (inner,) = [a for a in args if a is not type(None)]
        return _value(inner, raw, path)
    if is_dataclass(hint):
        return _parse(hint, raw, path)  # type: ignore[arg-type]
    if origin is tuple:
        if not isinstance(raw, list):
            raise BundleError(f"{path}: expected a list, got {_kind(raw)}")
        return tuple(_value(args[0], v, f"{path}[{i}]") for i, v in enumerate(raw))
    if origin is Mapping:
        if not isinstance(raw, dict):
            raise BundleError(f"{path}: expected an object, got {_kind(raw)}")
        return types.MappingProxyType(
            {k: _value(args[1], v, f"{path}.{k}") for k, v in raw.items()}
        )
    if hint is float and type(raw) is int:
        return float(raw)
    if type(raw) is not hint:
        raise BundleError(f"{path}: expected {hint.__name__}, got {_kind(raw)}")
    return raw


def _kind(raw: Any) -> str:
    return {
        dict: "an object",
        list: "a list",
        str: "a string",
        bool: "a boolean",
        int: "an integer",
        float: "a number",
        type(None): "null",
    }.get(type(raw), type(raw).__name__)


def _dump(value: Any) -> Any:
    if is_dataclass(value) and not isinstance(value, type):
        out: dict[str, Any] = {}
        for f in fields(value):
            v = getattr(value, f.name)
            if f.name == "extra" or (v is None and f.metadata.get("omit_none")):
                continue
            out[f.name] = _dump(v)
        for k, v in value.extra.items():  # type: ignore[attr-defined]
            out.setdefault(k, v)
        return out
    if isinstance(value, tuple):
        return [_dump(v) for v in value]
    if isinstance(value, Mapping):
        return {k: _dump(v) for k, v in value.items()}
    return value
