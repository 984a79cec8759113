"""Trimming a clip: a new bundle beside the original, cut by stream copy, never re-encoded.

The cut starts on the keyframe at or before the chosen start (a stream copy cannot
start anywhere else) and ends at the chosen point. The action track, the event list
and the manifest are cut to the same frames, so the new clip is a whole bundle that
verifies like a saved one. The original folder is only read. The new one is built in
a hidden ``.<clip_id>.partial`` folder and renamed into place, as a save is.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import uuid
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import av
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from hindsight.bundle import (
    MANIFEST_FILE,
    Bundle,
    BundleError,
    FileFacts,
    Manifest,
    SavedClip,
    open_bundle,
)
from hindsight.bundle import schema as col
from hindsight.bundle.parquet import write_parquet
from hindsight.recorder.errors import ExportError
from hindsight.recorder.export.bundle_writer import clip_folder_name
from hindsight.recorder.export.mux import fsync_path, raise_export_error

__all__ = ["TrimSpan", "keyframe_times_ms", "trim_bundle"]

_CREATED_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"
# Audio packets kept before the first frame, so the decoder is primed when the picture starts
# (AAC needs the previous frame to decode the first one whole): about 40 ms at 48 kHz.
_AUDIO_PREROLL_PACKETS = 2


@dataclass(frozen=True)
class TrimSpan:
    """The frames a trim keeps: ``[first_frame, end_frame)`` of the source clip."""

    first_frame: int
    end_frame: int

    @property
    def frames(self) -> int:
        return self.end_frame - self.first_frame


def keyframe_times_ms(video: Path) -> list[int]:
    """Where a trim may start: each keyframe's time in the clip, in milliseconds."""
    with av.open(str(video)) as container:
        stream = container.streams.video[0]
        tb = stream.time_base
        assert tb is not None  # MP4 streams always carry one
        return sorted(
            int(packet.pts * tb * 1000)
            for packet in container.demux(stream)
            if packet.pts is not None and packet.is_keyframe
        )


def trim_bundle(clip: Path, start_ms: int, end_ms: int) -> SavedClip:
    """Cut ``clip`` to [the keyframe at or before ``start_ms``, ``end_ms``) as a new clip beside it.

    Raises :class:`ExportError` with one line when the span is empty or the clip unreadable.
    """
    try:
        source = open_bundle(clip)
    except BundleError as err:
        raise ExportError(str(err)) from None
    m = source.manifest
    fps = m.video.fps
    end_frame = min(m.video.frames, -(-end_ms * fps // 1000))  # the frame holding end_ms is out
    if not 0 <= start_ms < end_ms or end_frame <= 0:
        raise ExportError(f"nothing to keep between {start_ms} ms and {end_ms} ms")
    clip_id = str(uuid.uuid4())
    partial = clip.parent / f".{clip_id}.partial"
    try:
        partial.mkdir()
        span, keyframes = _copy_video(
            source, partial / m.video.file, start_ms * fps // 1000, end_frame
        )
        files = {m.video.file: _facts(partial / m.video.file)}
        manifest = _cut_manifest(m, span, clip_id, keyframes)
        if m.track is not None and source.actions_path is not None:
            rows = _write_track(source.actions_path, partial / m.track.file, span, fps)
            files[m.track.file] = _facts(partial / m.track.file)
            events = None
            if source.events_path is not None:
                events = _write_events(source.events_path, partial / m.track.events_file, span, fps)
                files[m.track.events_file] = _facts(partial / m.track.events_file)
            manifest = _with_track_counts(manifest, rows, events)
        for name in m.files.keys() - files.keys():  # the action map and anything newer, as is
            shutil.copyfile(source.path / name, partial / name)
            files[name] = _facts(partial / name)
        manifest = replace(manifest, files=dict(sorted(files.items())))
        (partial / MANIFEST_FILE).write_text(manifest.to_json(), encoding="utf-8")
        for entry in partial.iterdir():
            fsync_path(entry)
        fsync_path(partial)
        final = _rename_beside(partial, clip, manifest, span, fps)
        fsync_path(clip.parent)
    except OSError as err:
        shutil.rmtree(partial, ignore_errors=True)
        raise_export_error(err, clip.parent)
        raise  # unreachable: raise_export_error always raises
    except av.error.FFmpegError as err:
        shutil.rmtree(partial, ignore_errors=True)
        raise ExportError(f"cannot cut {source.video_path}: {err}") from None
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    return SavedClip(path=final, clip_id=clip_id, manifest=manifest)


def _copy_video(
    source: Bundle, out_path: Path, start_frame: int, end_frame: int
) -> tuple[TrimSpan, int]:
    """Stream-copy frames [keyframe <= start_frame, end_frame) and the audio over the same time;
    returns the span kept and its keyframe count."""
    fps = source.manifest.video.fps
    with av.open(str(source.video_path)) as src:
        vin = src.streams.video[0]
        vtb = vin.time_base
        assert vtb is not None
        audio_in = list(src.streams.audio)
        video: list[av.Packet] = []
        audio: dict[int, list[av.Packet]] = {s.index: [] for s in audio_in}
        for packet in src.demux(vin, *audio_in):
            if packet.pts is None:
                continue  # the demuxer's end-of-stream marker
            (video if packet.stream.index == vin.index else audio[packet.stream.index]).append(
                packet
            )
        video.sort(key=_pts)
        index = [round(_pts(p) * vtb * fps) for p in video]
        keys = [i for i, p in zip(index, video, strict=True) if p.is_keyframe and i <= start_frame]
        if not keys:
            raise ExportError(f"{source.video_path} has no keyframe at or before the start")
        span = TrimSpan(keys[-1], min(end_frame, index[-1] + 1))
        kept = [
            p for i, p in zip(index, video, strict=True) if span.first_frame <= i < span.end_frame
        ]
        start_s, end_s = span.first_frame / fps, span.end_frame / fps
        with av.open(str(out_path), "w", format="mp4", options={"movflags": "+faststart"}) as out:
            vout = out.add_stream_from_template(vin)
            vout.time_base = vtb
            base = _pts(kept[0])
            timed = [(_rebase(p, base, vout), 0, p) for p in kept]
            for order, stream in enumerate(audio_in, 1):
                aout = out.add_stream_from_template(stream)
                aout.time_base = stream.time_base
                atb = stream.time_base
                assert atb is not None
                inside = [p for p in audio[stream.index] if _pts(p) * atb < end_s]
                timed += _audio_from(inside, start_s, aout, order)
            timed.sort(key=lambda item: (item[0], item[1]))
            for _, _, packet in timed:
                out.mux(packet)
    return span, sum(bool(p.is_keyframe) for p in kept)


def _audio_from(
    packets: list[av.Packet], start_s: float, stream: av.stream.Stream, order: int
) -> list[tuple[float, int, av.Packet]]:
    """The packets from a little before ``start_s``, rebased so ``start_s`` is zero (the MP4 edit
    list hides the pre-roll, as in a saved clip)."""
    tb = stream.time_base
    assert tb is not None
    first = next(
        (i for i, p in enumerate(packets) if (_pts(p) + (p.duration or 0)) * tb > start_s),
        len(packets),
    )
    kept = packets[max(0, first - _AUDIO_PREROLL_PACKETS) :]
    base = round(start_s / tb)
    return [(_rebase(p, base, stream), order, p) for p in kept]


def _pts(packet: av.Packet) -> int:
    assert packet.pts is not None  # packets without one were left out at the demux
    return packet.pts


def _rebase(packet: av.Packet, base: int, stream: av.stream.Stream) -> float:
    """Move ``packet`` to ``stream``, ``base`` ticks earlier; returns its decode time (s)."""
    pts = _pts(packet)
    dts = packet.dts if packet.dts is not None else pts
    packet.pts, packet.dts = pts - base, dts - base
    packet.stream = stream
    assert stream.time_base is not None
    return float((dts - base) * stream.time_base)


def _rows_in(table: pa.Table, span: TrimSpan) -> pa.Table:
    frame = table.column(col.FRAME_INDEX)
    keep = pc.and_(pc.greater_equal(frame, span.first_frame), pc.less(frame, span.end_frame))
    return table.filter(keep)


def _write_track(path: Path, out: Path, span: TrimSpan, fps: int) -> pa.Table:
    """The rows of the kept frames, renumbered from zero (timestamps follow the row number)."""
    table = _rows_in(pq.read_table(path), span)
    index = pc.subtract(table.column(col.FRAME_INDEX), span.first_frame)
    rebased = {
        col.FRAME_INDEX: index,
        col.TIMESTAMP: pc.divide(pc.cast(index, pa.float64()), float(fps)),
        col.PTS_US: pc.divide(pc.multiply(index, 1_000_000), fps),
    }
    for name, values in rebased.items():
        at = table.schema.get_field_index(name)
        table = table.set_column(at, name, pc.cast(values, table.schema.field(at).type))
    _write_table(table, out)
    return table


def _write_events(path: Path, out: Path, span: TrimSpan, fps: int) -> int:
    """The action edges inside the kept frames, their times from the new first frame."""
    table = pq.read_table(path)
    t_us = table.column(col.EVENT_T_US)
    lo_us = span.first_frame * 1_000_000 // fps
    hi_us = span.end_frame * 1_000_000 // fps
    table = table.filter(pc.and_(pc.greater_equal(t_us, lo_us), pc.less(t_us, hi_us)))
    at = table.schema.get_field_index(col.EVENT_T_US)
    table = table.set_column(
        at,
        col.EVENT_T_US,
        pc.cast(pc.subtract(table.column(at), lo_us), table.schema.field(at).type),
    )
    _write_table(table, out)
    return table.num_rows


def _write_table(table: pa.Table, out: Path) -> None:
    """``table`` by the recorder's own writer, so every track file is written one way."""
    columns = {}
    for name in table.column_names:
        column = table.column(name)
        if column.null_count:  # as numbers they would come back as floats
            raise ExportError(f"{out.name}: column {name} has missing values")
        kind = column.type.value_type if pa.types.is_dictionary(column.type) else column.type
        text = pa.types.is_string(kind) or pa.types.is_large_string(kind)
        columns[name] = column.to_pylist() if text else column.to_numpy()
    out.write_bytes(write_parquet(columns))


def _cut_manifest(m: Manifest, span: TrimSpan, clip_id: str, keyframes: int) -> Manifest:
    """The source's manifest for the kept frames: a new id, video and clock facts of the cut."""
    period_ns = 1_000_000_000 / m.video.fps
    first_t_ns = m.clock.first_frame_t_ns + round(span.first_frame * period_ns)
    created = datetime.strptime(m.created_utc, _CREATED_FORMAT) + timedelta(
        seconds=span.first_frame / m.video.fps
    )
    return replace(
        m,
        clip_id=clip_id,
        # The moment the kept part began: a trim sorts beside the clip it came from.
        created_utc=created.strftime(_CREATED_FORMAT),
        video=replace(
            m.video,
            frames=span.frames,
            # A clip without a track has no per-frame flags: its count is an upper bound here.
            dup_frames=min(m.video.dup_frames, span.frames),
            duration_s=span.frames / m.video.fps,
            keyframes=keyframes,
        ),
        clock=replace(
            m.clock,
            first_frame_t_ns=first_t_ns,
            last_frame_t_ns=first_t_ns + round((span.frames - 1) * period_ns),
        ),
        # The kept frames are the same frames of the same run: only the start moves.
        session=(
            replace(m.session, first_frame=m.session.first_frame + span.first_frame)
            if m.session
            else None
        ),
    )


def _with_track_counts(m: Manifest, rows: pa.Table, events: int | None) -> Manifest:
    assert m.track is not None
    valid = int(pc.sum(rows.column(col.VALID)).as_py() or 0)
    dup = int(pc.sum(rows.column(col.DUP_FRAME)).as_py() or 0)
    privacy = m.privacy
    if privacy.redacted_frames is not None:
        privacy = replace(privacy, redacted_frames=rows.num_rows - valid)
    return replace(
        m,
        video=replace(m.video, dup_frames=dup),
        track=replace(
            m.track,
            rows=rows.num_rows,
            valid_rows=valid,
            events=m.track.events if events is None else events,
        ),
        privacy=privacy,
    )


def _facts(path: Path) -> FileFacts:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
    return FileFacts(sha256=digest.hexdigest(), bytes=os.path.getsize(path))


def _rename_beside(partial: Path, clip: Path, m: Manifest, span: TrimSpan, fps: int) -> Path:
    created = datetime.strptime(m.created_utc, _CREATED_FORMAT).replace(tzinfo=UTC).astimezone()
    name = (
        f"{clip_folder_name(m.title, created)} trim "
        f"{span.first_frame / fps:.1f}-{span.end_frame / fps:.1f} s"
    )
    for n in range(1, 1000):
        final = clip.parent / (name if n == 1 else f"{name} ({n})")
        if final.exists():
            continue
        try:
            os.rename(partial, final)
            return final
        except OSError:
            if not final.exists():
                raise
    raise ExportError(f"could not find a free clip name for {name!r} in {clip.parent}")
