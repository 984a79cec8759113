"""One clip as one WebDataset sample: the files staged for a shard, and what may leave in them.

The per-clip function :func:`stage_sample` writes ``<clip_id>.mp4``,
``<clip_id>.actions.parquet``, ``<clip_id>.json`` (and, when shared,
``<clip_id>.events.parquet``) into a staging folder and returns their paths with the
clip's index row. Unchanged files are hard links to the clip's own (a copy across file
systems), so staging costs next to nothing and never modifies the source.

What may leave (DESIGN 4.2, rules 5 to 7), each only when the export asks for it *and*
the clip's recorded facts allow it:

- the sub-frame events: ``include_events`` and the player shared them
  (``track.events_shared``);
- the microphone: ``include_mic`` and a recorded ``dataset`` consent. Otherwise every
  audio track holding the microphone (the mic track and a mix it was mixed into, per
  the manifest's audio facts) is left out of the .mp4 by a stream copy of the rest;
- the contributor pseudonym: ``include_contributor`` and a recorded ``dataset`` consent.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hindsight.actionmap.load import parse_map
from hindsight.bundle import (
    ACTIONS_FILE,
    DATASET_PURPOSE,
    EVENTS_FILE,
    MIC_TRACK,
    Manifest,
    file_sha256,
    open_bundle,
)
from hindsight.dataset.errors import DatasetError
from hindsight.dataset.index import IndexOptions, index_clip

__all__ = ["StageOptions", "stage_sample", "mic_allowed", "kept_audio_tracks", "sample_facts"]

# A sample's file extensions: the bundle's own names for the track and the events.
MP4, ACTIONS, EVENTS, JSON = "mp4", ACTIONS_FILE, EVENTS_FILE, "json"
_KEY = re.compile(r"[0-9A-Za-z_-]+")


@dataclass(frozen=True)
class StageOptions:
    """Where samples are staged and what the export asks to include."""

    staging: str
    include_events: bool = False
    include_mic: bool = False
    include_contributor: bool = False
    index: IndexOptions = field(default_factory=IndexOptions)


def _dataset_consent(m: Manifest) -> bool:
    return bool((m.privacy.consent_version or {}).get(DATASET_PURPOSE))


def mic_allowed(m: Manifest, asked: bool) -> bool:
    return asked and _dataset_consent(m)


def kept_audio_tracks(m: Manifest, mic: bool) -> list[int]:
    """Indexes (1 = the first audio stream) of the audio tracks the sample's .mp4 keeps."""
    if m.audio is None:
        return []
    return [
        t.index
        for t in m.audio.tracks
        if mic or (t.name != MIC_TRACK and MIC_TRACK not in t.sources)
    ]


def stage_sample(folder: Path, options: StageOptions) -> dict[str, Any]:
    """Stage the sample of the clip in ``folder``: ``{"key", "folder" (staged in),
    "files": {ext: path}, "row" (its index row)}``."""
    bundle = open_bundle(folder)
    m = bundle.manifest
    key = m.clip_id
    if not _KEY.fullmatch(key):
        # A key becomes file names in the shard: no path, and no dot (webdataset splits there).
        raise DatasetError(f"clip id {key!r} cannot be a sample key (letters, digits, - and _)")
    Path(options.staging).mkdir(parents=True, exist_ok=True)
    # A folder of its own even when two clips claim one id (the parent then names both).
    out = Path(tempfile.mkdtemp(prefix=f"{key}-", dir=options.staging))
    mic = mic_allowed(m, options.include_mic)
    audio = kept_audio_tracks(m, mic)
    files: dict[str, str] = {}
    hashes: dict[str, str] = {}

    video = out / f"{key}.{MP4}"
    if m.audio is None or len(audio) == len(m.audio.tracks):
        _link(bundle.video_path, video)
        hashes[MP4] = _sha256(m, m.video.file, video)
    else:
        _copy_streams(bundle.video_path, video, audio)
        hashes[MP4] = file_sha256(video)
    files[MP4] = str(video)
    if bundle.actions_path is not None and m.track is not None:
        files[ACTIONS] = str(out / f"{key}.{ACTIONS}")
        _link(bundle.actions_path, Path(files[ACTIONS]))
        hashes[ACTIONS] = _sha256(m, m.track.file, Path(files[ACTIONS]))
    events = bundle.events_path
    if options.include_events and m.track and m.track.events_shared and events is not None:
        files[EVENTS] = str(out / f"{key}.{EVENTS}")
        _link(events, Path(files[EVENTS]))
        hashes[EVENTS] = _sha256(m, m.track.events_file, Path(files[EVENTS]))

    action_map = bundle.action_map_path
    map_text = action_map.read_text("utf-8") if action_map and action_map.is_file() else None
    facts = sample_facts(m, map_text, audio, hashes, options)
    files[JSON] = str(out / f"{key}.{JSON}")
    Path(files[JSON]).write_text(json.dumps(facts, indent=2) + "\n", encoding="utf-8")
    row = index_clip(folder, options.index)
    return {"key": key, "folder": str(out), "files": files, "row": row}


def sample_facts(
    m: Manifest,
    map_text: str | None,
    audio: list[int],
    hashes: dict[str, str],
    options: StageOptions,
) -> dict[str, Any]:
    """The sample's .json: the manifest facts a trainer needs, never the contributor unless
    asked and consented."""
    amap = parse_map(map_text) if map_text is not None else None
    v = m.video
    facts: dict[str, Any] = {
        "clip_id": m.clip_id,
        "created_utc": m.created_utc,
        "game": {"id": m.game_id, "title": m.title},
        "action_map": None,
        "video": {
            "fps": v.fps,
            "width": v.width,
            "height": v.height,
            "frames": v.frames,
            "dup_frames": v.dup_frames,
            "duration_s": v.duration_s,
            "codec": v.codec,
            "cfr": v.cfr,
        },
        "audio": None,
        "track": None,
        "session": (
            {"session_id": m.session.session_id, "first_frame": m.session.first_frame}
            if m.session
            else None
        ),
        "consent_version": dict(m.privacy.consent_version or {}),
        "sha256": hashes,
    }
    if m.action_map is not None:
        facts["action_map"] = {
            "id": m.action_map.id,
            "version": m.action_map.version,
            "sha256": m.action_map.sha256,
            "actions": [{"name": a.name, "kind": str(a.kind)} for a in amap.actions]
            if amap
            else [],
            "contexts": [{"name": s.name, "record": s.record} for s in amap.sets] if amap else [],
        }
    if m.audio is not None and audio:
        tracks = {t.index: t for t in m.audio.tracks}
        facts["audio"] = {
            "codec": m.audio.codec,
            "sample_rate": m.audio.sample_rate,
            "channels": m.audio.channels,
            "tracks": [
                {"index": n, "name": tracks[i].name, "sources": list(tracks[i].sources)}
                for n, i in enumerate(audio, 1)
            ],
        }
    if m.track is not None:
        facts["track"] = {
            "rows": m.track.rows,
            "valid_rows": m.track.valid_rows,
            "alignment": m.track.alignment,
            "latency_bias_frames": m.track.latency_bias_frames,
            "columns": list(m.track.columns),
        }
    if options.include_contributor and _dataset_consent(m) and m.privacy.contributor:
        facts["contributor"] = m.privacy.contributor
    return facts


def _sha256(m: Manifest, name: str, copy: Path) -> str:
    """The file's hash as the manifest lists it (the copy is the same bytes), else computed."""
    listed = m.files.get(name)
    return listed.sha256 if listed is not None else file_sha256(copy)


def _link(src: Path, dest: Path) -> None:
    """``dest`` as a hard link to ``src`` (read only ever), a copy where links cannot be made."""
    try:
        os.link(src, dest)
    except OSError:
        shutil.copyfile(src, dest)


def _copy_streams(src: Path, dest: Path, audio: list[int]) -> None:
    """Copy the video and the audio streams numbered ``audio`` (1-based) without re-encoding.

    Packets keep their timestamps, so the audio's pre-roll stays hidden by the edit list
    the muxer writes for negative timestamps, as in the source.
    """
    import av  # the media library only where a file is rewritten

    with av.open(str(src)) as inp, av.open(str(dest), "w", format="mp4") as out:
        keep = [inp.streams.video[0], *(inp.streams.audio[i - 1] for i in audio)]
        streams = {}
        for s in keep:
            o = out.add_stream_from_template(s)
            o.time_base = s.time_base
            title = s.metadata.get("name") or s.metadata.get("title")
            for k in ("language", "handler_name"):
                if k in s.metadata:
                    o.metadata[k] = s.metadata[k]
            if title:
                o.metadata["title"] = title
            streams[s.index] = o
        for packet in inp.demux(keep):
            if packet.dts is None:
                continue  # the demuxer's flush packet at each stream's end
            packet.stream = streams[packet.stream.index]
            out.mux(packet)
