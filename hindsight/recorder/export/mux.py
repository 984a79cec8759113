"""Writing ring packets to an MP4 by remuxing, never re-encoding the normal case.

Timestamps are rebased to zero here and only here. The file is written to a temp
name in the destination folder, fsynced, then renamed, so a crash never leaves a
half file under the final name. If a clip spans an encoder fallback (packets from
two encoder runs with different parameter sets), the older part is transcoded to
the newest run's codec so the clip is still one valid stream.
"""

from __future__ import annotations

import bisect
import errno
import hashlib
import io
import mmap
import operator
import os
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import cast

import av

from hindsight.clock import NS_PER_S
from hindsight.recorder.config import EncoderConfig
from hindsight.recorder.errors import DiskFullError, ExportError
from hindsight.recorder.export.disk import CAN_START_WRITEOUT, start_writeout
from hindsight.recorder.export.mp4_direct import (
    AudioTrackIn,
    DirectPicture,
    direct_picture,
    lay_out,
    sound_supported,
    write_planned,
)
from hindsight.recorder.packet import EncodedPacket, StreamParams, grid_start_ns

__all__ = ["AudioStream", "Mp4Facts", "write_mp4", "fsync_path", "raise_export_error"]


@dataclass(frozen=True)
class AudioStream:
    """One audio track to write beside the video, its packets covering the video's span.

    Packets may start before the first video frame (pre-roll): they get negative
    timestamps, which MP4 keeps with an edit list, so players decode them and start
    the sound with the picture.
    """

    title: str
    packets: Sequence[EncodedPacket]


@dataclass(frozen=True)
class Mp4Facts:
    """What the written video holds; goes into the manifest."""

    frames: int
    dup_frames: int
    fps: int
    width: int
    height: int
    codec: str
    encoder: str
    duration_s: float
    keyframes: int
    first_t_ns: int
    last_t_ns: int
    transcoded: bool
    sha256: str
    bytes: int


def fsync_path(path: Path) -> None:
    """fsync a file or a directory (a rename is durable only once its folder is synced)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def raise_export_error(err: OSError, folder: Path, writing: str | None = None) -> None:
    """Turn an OS error of a save into the one-line error the user sees.

    ``writing`` names the clip file being written when the error came, so a full disk
    says which write it stopped.
    """
    if err.errno in (errno.ENOSPC, errno.EDQUOT):
        during = f" (while writing {writing})" if writing else ""
        raise DiskFullError(
            f"the clips folder {folder} is full{during}; free some space (recording continues "
            "and the next save will work)"
        ) from None
    if err.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        raise ExportError(
            f"the clips folder {folder} is not writable ({err.strerror}); choose another with "
            "--clips-dir"
        ) from None
    raise ExportError(f"could not write the clip in {folder}: {err.strerror or err}") from None


def write_mp4(
    packets: Sequence[EncodedPacket],
    path: Path,
    audio: Sequence[AudioStream] = (),
    *,
    late_audio: Callable[[], Sequence[AudioStream]] | None = None,
    muxer: bool = False,
    clip_write: str = "buffered",
) -> Mp4Facts:
    """Remux ``packets`` (starting on a keyframe) into ``path`` atomically; returns the facts.

    What the recorder encodes is written without a muxer (:mod:`mp4_direct`), anything
    else (or everything, with ``muxer``) through PyAV's MP4 muxer; the two files decode
    the same.

    ``late_audio``, when given, returns the same tracks as ``audio`` grown to their
    end. The muxer calls it once the file is written up to the sound ``audio`` holds, so
    the wait for the last sound overlaps the writing before it; the direct writer lays
    the whole file out first, so it calls it before writing.

    ``clip_write`` is how the direct writer puts the file on disk (``direct`` or
    ``buffered``, what :func:`~.disk.choose_clip_write` said for the folder).

    An :class:`OSError` (a full disk) is raised as it is, once the temp file is gone: the
    caller knows which clips folder the user sees (``path`` is inside a hidden one).
    """
    if not packets:
        raise ExportError("nothing to save: the buffer is empty")
    if not packets[0].keyframe:
        raise ExportError("internal: a clip must start on a keyframe")
    transcoded = any(p.params is not packets[-1].params for p in packets)
    if transcoded:
        packets = _transcode_to(packets, packets[-1].params)
    params = packets[-1].params
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        written = None
        picture = None if transcoded or muxer else direct_picture(packets)
        if picture is not None:
            # The file is laid out whole before it is written: the picture's part first,
            # then the sound's tail (which has mostly arrived by then).
            if late_audio is not None:
                audio, late_audio = late_audio(), None
            written = _write_direct(packets, picture, tmp, audio, clip_write)
        if written is None:
            _mux_file(packets, params, tmp, audio, late_audio)
            written = _fsync_and_hash(tmp)
        digest, size = written
        os.replace(tmp, path)
    except OSError:  # before FFmpegError: PyAV's errno errors are both
        tmp.unlink(missing_ok=True)
        raise
    except av.error.FFmpegError as err:
        tmp.unlink(missing_ok=True)
        raise ExportError(f"could not write {path.name}: {err}") from None
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    base_pts = packets[0].pts
    return Mp4Facts(
        frames=len(packets),
        dup_frames=sum(p.dup_frame for p in packets),
        fps=params.fps,
        width=params.width,
        height=params.height,
        codec=params.codec,
        encoder=params.encoder,
        duration_s=(packets[-1].pts + packets[-1].duration - base_pts) / params.fps,
        keyframes=sum(p.keyframe for p in packets),
        first_t_ns=packets[0].t_ns,
        last_t_ns=packets[-1].t_ns,
        transcoded=transcoded,
        sha256=digest,
        bytes=size,
    )


_RAW_FORMATS = {"h264": "h264", "hevc": "hevc", "av1": "obu"}


def _write_direct(
    packets: Sequence[EncodedPacket],
    picture: DirectPicture,
    tmp: Path,
    audio: Sequence[AudioStream],
    clip_write: str,
) -> tuple[str, int] | None:
    """Write the file without the muxer (:mod:`mp4_direct`); None if its sound cannot be."""
    tracks = [a for a in audio if a.packets]
    start_t_ns = grid_start_ns(packets) if tracks else 0
    sound = [_track_in(a, start_t_ns) for a in tracks]
    if not sound_supported(sound):
        return None
    plan = lay_out(picture, sound)
    return write_planned(plan, tmp, clip_write), plan.size


def _track_in(track: AudioStream, start_t_ns: int) -> AudioTrackIn:
    return AudioTrackIn(track.title, track.packets, _grid_base(track, start_t_ns))


def _grid_base(track: AudioStream, start_t_ns: int) -> int:
    """The track's sample (its pts) under the first video frame: packets' pts are grid
    samples and their t_ns follow from them exactly, so one packet's offset fixes it."""
    first = track.packets[0]
    return first.pts - round((first.t_ns - start_t_ns) * first.params.sample_rate / NS_PER_S)


def _mux_file(
    packets: Sequence[EncodedPacket],
    params: StreamParams,
    tmp: Path,
    audio: Sequence[AudioStream] = (),
    late_audio: Callable[[], Sequence[AudioStream]] | None = None,
) -> None:
    """Mux straight to ``tmp`` with room for the index reserved up front (faststart in one pass)."""
    raw_format = _RAW_FORMATS.get(params.codec)
    if raw_format is None:
        raise ExportError(f"cannot write {params.codec} video into MP4 yet")
    fps = params.fps
    span_s = (packets[-1].pts + packets[-1].duration - packets[0].pts) / fps
    # Per sample at most: size (4) + sync flag (4) + 64-bit chunk offset (8); plus the fixed
    # boxes. A reserved index makes the muxer write moov before mdat without a second pass
    # over the file. The sound still to come is at most what fits before the clip's end.
    samples = len(packets) + sum(len(a.packets) + _tail_room(a, span_s) for a in audio)
    options = {"moov_size": str(16 * samples + 65536 * (1 + len(audio)))}
    writeback = _Writeback(tmp)
    try:
        with av.open(str(tmp), "w", format="mp4", options=options) as out:
            stream = _TEMPLATES.add_video_stream(out, params, packets[0], raw_format)
            stream.time_base = params.time_base
            base_pts = packets[0].pts
            # Every stream's packets with their time in the file (seconds), merged in time
            # order: the muxer then interleaves without holding the whole clip in memory.
            tb = params.time_base
            s_per_tick = float(tb)
            video: list[_Timed] = []
            for p in packets:
                pkt = _packet(p, p.pts - base_pts, p.dts - base_pts, stream, tb)
                video.append(((p.dts - base_pts) * s_per_tick, 0, pkt))
            tracks = [
                _AudioTrackOut(out, track, grid_start_ns(packets), n)
                for n, track in enumerate(audio, 1)
                if track.packets
            ]
            timed = video + [item for t in tracks for item in t.timed(audio[t.order - 1])]
            timed.sort(key=_ORDER)
            # Without more sound to come, everything is written now. Otherwise up to the end
            # of the shortest track, and the rest once the tail of the sound is there.
            horizon = min((t.end_s for t in tracks), default=None) if late_audio else None
            written = (
                len(timed) if horizon is None else bisect.bisect_right(timed, horizon, key=_TIME)
            )
            writeback.mux(out, timed[:written])
            if horizon is not None and late_audio is not None:
                rest = timed[written:]  # the new sound goes after what each track had
                grown = late_audio()
                for t in tracks:
                    rest.extend(t.timed(grown[t.order - 1], after_pts=t.last_pts))
                rest.sort(key=_ORDER)
                writeback.mux(out, rest)
    finally:
        writeback.close()


class _TemplateCache:
    """The video stream a file's stream is copied from, probed once per encoder run.

    PyAV opens an *encoder* for streams made with add_stream(), whose parameter sets
    would not match our packets. A stream probed from our own first keyframe carries
    exactly the encoder's parameters, so it serves as the template. Probing decodes
    that keyframe (about 10 ms at 1080p, several times that on a busy machine), and
    every clip of one encoder run has the same parameters: the last run's is kept.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._params: StreamParams | None = None
        self._probe: av.container.InputContainer | None = None

    def add_video_stream(
        self,
        out: av.container.OutputContainer,
        params: StreamParams,
        keyframe: EncodedPacket,
        raw_format: str,
    ) -> av.VideoStream:
        """Add to ``out`` a stream with ``params``' parameter sets (``keyframe`` holds them)."""
        with self._lock:  # the probe is replaced only when no file is being given its stream
            if self._params is not params or self._probe is None:
                data = io.BytesIO((params.extradata or b"") + keyframe.data)
                probe = cast(av.container.InputContainer, av.open(data, format=raw_format))
                if self._probe is not None:
                    self._probe.close()
                self._params, self._probe = params, probe
            return out.add_stream_from_template(self._probe.streams.video[0])


_TEMPLATES = _TemplateCache()


_Timed = tuple[float, int, av.Packet]  # time in the file (s), stream order, packet
_ORDER = operator.itemgetter(0, 1)  # by time, video before sound at the same time
_TIME = operator.itemgetter(0)


def _tail_room(track: AudioStream, span_s: float) -> int:
    """How many more packets a track can get before the clip's end (its rest, sent late)."""
    if not track.packets:
        return 0
    first, last = track.packets[0], track.packets[-1]
    covered_s = float((last.pts + last.duration - first.pts) * last.params.time_base)
    per_s = 1 / float(last.duration * last.params.time_base) if last.duration else 50.0
    return max(0, int((span_s - covered_s + 1) * per_s)) + 2


class _AudioTrackOut:
    """One audio stream of the file and where its packets fall on the file's time line."""

    def __init__(
        self, out: av.container.OutputContainer, track: AudioStream, start_t_ns: int, order: int
    ) -> None:
        params = track.packets[0].params
        self.order = order
        self.stream = out.add_stream(params.codec, rate=params.sample_rate, layout="stereo")
        self.stream.codec_context.extradata = params.extradata
        self.stream.time_base = params.time_base
        self.stream.metadata["title"] = track.title
        self.stream.metadata["handler_name"] = track.title
        self.time_base = params.time_base
        self.base = _grid_base(track, start_t_ns)
        self.last_pts = track.packets[-1].pts
        last = track.packets[-1]
        # the same arithmetic as timed(): the last packet's time is exactly end_s
        self.end_s = (last.pts - self.base) * float(self.time_base)

    def timed(self, track: AudioStream, after_pts: int | None = None) -> list[_Timed]:
        out = []
        tb, base = self.time_base, self.base
        s_per_tick = float(tb)
        for p in track.packets:
            if after_pts is not None and p.pts <= after_pts:
                continue
            pkt = _packet(p, p.pts - base, p.dts - base, self.stream, tb)
            out.append(((p.pts - base) * s_per_tick, self.order, pkt))
        return out


class _Writeback:
    """Starts the disk write of the file's pages while the muxer goes on (Linux).

    The save ends with an fsync; pages already on their way to the disk make that
    wait short. ``sync_file_range`` only starts the write-out and does not wait for it.
    """

    _EVERY_PACKETS = 240  # about 4 s of 60 fps video, a few MB

    def __init__(self, path: Path) -> None:
        self._path = path
        self._fd = -1

    def mux(self, out: av.container.OutputContainer, timed: Sequence[_Timed]) -> None:
        """Mux ``timed``'s packets in order, starting the write-out after every batch."""
        # One call per batch: the muxer loops over a list without the interpreter.
        for start in range(0, len(timed), self._EVERY_PACKETS):
            out.mux([item[2] for item in timed[start : start + self._EVERY_PACKETS]])
            self._start_writeout()

    def _start_writeout(self) -> None:
        if not CAN_START_WRITEOUT:
            return
        if self._fd < 0:  # the muxer creates the file with its first write
            self._fd = os.open(self._path, os.O_RDONLY)
        start_writeout(self._fd)

    def close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1


def _packet(
    p: EncodedPacket, pts: int, dts: int, stream: av.stream.Stream, time_base: Fraction
) -> av.Packet:
    pkt = av.Packet(p.data)  # refers to the bytes, no copy
    pkt.pts = pts
    pkt.dts = dts
    pkt.duration = p.duration
    pkt.time_base = time_base
    pkt.is_keyframe = p.keyframe
    pkt.stream = stream
    return pkt


def _fsync_and_hash(path: Path) -> tuple[str, int]:
    """fsync ``path`` while hashing it from the page cache on another thread (both release the
    GIL)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        size = os.fstat(fd).st_size
        errors: list[OSError] = []

        def sync() -> None:
            try:
                os.fsync(fd)
            except OSError as err:  # ENOSPC/EIO can surface only here
                errors.append(err)

        syncer = threading.Thread(target=sync, name="hindsight-fsync")
        syncer.start()
        try:
            h = hashlib.sha256()
            if size:
                with mmap.mmap(fd, size, access=mmap.ACCESS_READ) as view:
                    h.update(view)
        finally:
            syncer.join()
        if errors:
            raise errors[0]
        return h.hexdigest(), size
    finally:
        os.close(fd)


def _transcode_to(packets: Sequence[EncodedPacket], target: StreamParams) -> list[EncodedPacket]:
    """Re-encode packets made by older encoder runs so every packet matches ``target``."""
    from hindsight.recorder.video.encoder import VideoEncoder

    config = EncoderConfig(encoder=target.encoder, bitrate_bps=max(target.bit_rate, 100_000))
    encoder = VideoEncoder(target.encoder, target.width, target.height, target.fps, config)
    encoder.open()
    meta = {p.pts: (p.t_ns, p.dup_frame) for p in packets}
    out: list[EncodedPacket] = []
    for group in _runs_by_params(packets):
        params = group[0].params
        dec = cast(av.VideoCodecContext, av.codec.CodecContext.create(params.codec, "r"))
        if params.extradata:
            dec.extradata = params.extradata
        frames = []
        for p in group:
            pkt = av.Packet(p.data)
            pkt.pts = p.pts
            pkt.dts = p.dts
            frames.extend(dec.decode(pkt))
        frames.extend(dec.decode(None))
        for frame in frames:
            pts = int(frame.pts or 0)  # every decoded frame carries its packet's pts
            t_ns, dup = meta[pts]
            out.extend(encoder.encode(frame.reformat(format=encoder.pix_fmt), pts, t_ns, dup))
    out.extend(encoder.flush())
    if len(out) != len(packets):
        raise ExportError(
            f"internal: transcoding across an encoder change gave {len(out)} of {len(packets)} "
            "frames"
        )
    return out


def _runs_by_params(packets: Sequence[EncodedPacket]) -> list[list[EncodedPacket]]:
    runs: list[list[EncodedPacket]] = []
    for p in packets:
        if runs and runs[-1][0].params is p.params:
            runs[-1].append(p)
        else:
            runs.append([p])
    return runs
