"""The clip bundle: one folder per clip with ``video.mp4``, extra files and ``manifest.json``.

A bundle is assembled in a hidden ``.<clip_id>.partial`` folder beside the final one,
every file fsynced, the manifest (with the sha256 of every other file) written last,
then the folder is renamed to its readable name (``<Game title> <YYYY-MM-DD HH-MM-SS>``).
A crash therefore never leaves a half clip under a final name; leftovers of crashed
saves are swept by :func:`sweep_partial_bundles` at the next start.

Other parts (the action track, later the audio) add files through
:class:`BundleContributor`: given the clip's exact frame span, they return files and
a manifest section.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import shutil
import uuid
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

from hindsight import __version__
from hindsight.bundle import (
    MANIFEST_FILE,
    VIDEO_FILE,
    AudioFacts,
    BundleContributor,
    ClipSpan,
    ClockFacts,
    Contribution,
    FileFacts,
    Manifest,
    RecorderInfo,
    SavedClip,
    SessionFacts,
    VideoFacts,
)
from hindsight.clock import wall_utc
from hindsight.recorder.errors import ExportError
from hindsight.recorder.export.mux import (
    AudioStream,
    Mp4Facts,
    fsync_path,
    raise_export_error,
    write_mp4,
)
from hindsight.recorder.packet import EncodedPacket

__all__ = [
    "ClipSound",
    "write_bundle",
    "sweep_partial_bundles",
    "clip_folder_name",
]

log = logging.getLogger(__name__)

_PARTIAL_SUFFIX = ".partial"
_UNSAFE = re.compile(r'[\\/:*?"<>|\x00-\x1f]+')


def clip_folder_name(title: str, created_local: Any) -> str:
    safe = _UNSAFE.sub(" ", title).strip(" .") or "Clip"
    return f"{safe} {created_local:%Y-%m-%d %H-%M-%S}"


def sweep_partial_bundles(clips_dir: Path) -> int:
    """Remove bundles a crashed save left half-written; returns how many."""
    removed = 0
    if not clips_dir.is_dir():
        return 0
    for entry in clips_dir.iterdir():
        if entry.name.startswith(".") and entry.name.endswith(_PARTIAL_SUFFIX) and entry.is_dir():
            shutil.rmtree(entry, ignore_errors=True)
            removed += 1
    return removed


class ClipSound(Protocol):
    """The sound of a clip: the tracks as far as they are encoded, and then all of them."""

    def now(self) -> tuple[list[AudioStream], AudioFacts] | None: ...

    def rest(self) -> tuple[list[AudioStream], AudioFacts] | None: ...


def write_bundle(
    clips_dir: Path,
    packets: Sequence[EncodedPacket],
    *,
    contributors: Sequence[BundleContributor] = (),
    extra_manifest: Contribution | None = None,
    sound: ClipSound | None = None,
    session_id: str | None = None,
    clip_write: str,
) -> SavedClip:
    """Write a complete bundle for ``packets`` under ``clips_dir``; atomic as a whole.

    ``sound`` gives the sound tracks cut on the same clock span and their manifest
    section; its tail is asked for only once the picture is laid out (or, through
    the muxer, written up to the sound there is). ``session_id`` names the recorder
    run the packets came from: the clip's first frame on its timeline is the first
    packet's pts (frame *i* of a run has pts *i*, time base 1/fps), so clips of one
    run can be lined up. ``clip_write`` is how the video goes to disk
    (:func:`~hindsight.recorder.export.disk.choose_clip_write`).
    """
    if not packets:
        raise ExportError("nothing to save: the buffer is empty")
    clip_id = str(uuid.uuid4())
    created = wall_utc()
    partial = clips_dir / f".{clip_id}{_PARTIAL_SUFFIX}"
    try:
        clips_dir.mkdir(parents=True, exist_ok=True)
        partial.mkdir()
    except OSError as err:
        raise_export_error(err, clips_dir)
    writing: str | None = VIDEO_FILE  # the file in the error if the disk fills up
    try:
        span = ClipSpan(
            clip_id=clip_id,
            fps=packets[-1].params.fps,
            frame_t_ns=tuple(p.t_ns for p in packets),
            dup_frames=tuple(p.dup_frame for p in packets),
        )
        # Contributors (the action track) work while the video is written and fsynced:
        # writing and hashing release the GIL, so the two overlap.
        audio_facts: AudioFacts | None = None
        early = sound.now() if sound is not None else None
        late: Callable[[], Sequence[AudioStream]] | None = None
        if early is not None:
            streams, audio_facts = early

            def late() -> Sequence[AudioStream]:
                nonlocal audio_facts
                assert sound is not None
                whole = sound.rest()
                if whole is None:
                    return streams
                tracks, audio_facts = whole
                return tracks

        elif sound is not None:  # no sound encoded yet at all: wait for it first
            streams, audio_facts = sound.rest() or ([], None)
        else:
            streams = []
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="hindsight-contrib") as pool:
            pending = pool.submit(lambda: [c.contribute(span) for c in contributors])
            facts = write_mp4(
                packets, partial / VIDEO_FILE, streams, late_audio=late, clip_write=clip_write
            )
            contributions = pending.result()
        session = (
            SessionFacts(session_id=session_id, first_frame=packets[0].pts)
            if session_id is not None
            else None
        )
        manifest = replace(
            _base_manifest(clip_id, created, facts), audio=audio_facts, session=session
        )
        files = {VIDEO_FILE: FileFacts(sha256=facts.sha256, bytes=facts.bytes)}
        for contribution in [*contributions, *([extra_manifest] if extra_manifest else [])]:
            for name, data in contribution.files.items():
                writing = name
                _write_file(partial / name, data)
                files[name] = FileFacts(sha256=hashlib.sha256(data).hexdigest(), bytes=len(data))
            manifest = contribution.applied_to(manifest)
        manifest = replace(manifest, files=dict(sorted(files.items())))
        writing = MANIFEST_FILE
        _write_file(partial / MANIFEST_FILE, manifest.to_json().encode())
        writing = None
        fsync_path(partial)
        # A contributor that recognised the game names it; otherwise the clip is of the desktop.
        final = _rename_into_place(
            partial, clips_dir, clip_folder_name(manifest.title, created.astimezone())
        )
        fsync_path(clips_dir)
    except OSError as err:
        shutil.rmtree(partial, ignore_errors=True)
        raise_export_error(err, clips_dir, writing)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    return SavedClip(path=final, clip_id=clip_id, manifest=manifest)


def _base_manifest(clip_id: str, created: datetime, facts: Mp4Facts) -> Manifest:
    return Manifest(
        clip_id=clip_id,
        created_utc=created.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        recorder=RecorderInfo(name="hindsight", version=__version__),
        video=VideoFacts(
            frames=facts.frames,
            dup_frames=facts.dup_frames,
            fps=facts.fps,
            width=facts.width,
            height=facts.height,
            codec=facts.codec,
            encoder=facts.encoder,
            duration_s=facts.duration_s,
            keyframes=facts.keyframes,
            transcoded=facts.transcoded,
            cfr=True,
            time_base=f"1/{facts.fps}",
            starts_on_keyframe=True,
            file=VIDEO_FILE,
        ),
        clock=ClockFacts(first_frame_t_ns=facts.first_t_ns, last_frame_t_ns=facts.last_t_ns),
        files={},
    )


def _write_file(path: Path, data: bytes) -> None:
    with open(path, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())


def _rename_into_place(partial: Path, clips_dir: Path, name: str) -> Path:
    for n in range(1, 1000):
        final = clips_dir / (name if n == 1 else f"{name} ({n})")
        try:
            # A rename onto an existing non-empty dir fails: a name taken meanwhile is kept.
            if final.exists():
                continue
            os.rename(partial, final)
            return final
        except OSError as err:
            if final.exists():
                continue
            raise err
    raise ExportError(f"could not find a free clip name for {name!r} in {clips_dir}")
