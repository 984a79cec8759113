"""Overlay burn-in: a new video beside a clip's original with the input overlay drawn on every
frame.

Frame *t* gets the overlay of action-track row *t*. The video is decoded with PyAV,
the overlay blended into each frame's rectangle (:mod:`.qt.compositor`), and the result
encoded with the recorder's own encoder chooser; audio streams are copied as they
are, and every video frame keeps the source's timestamp. The output is written to a
temp name and renamed; the clip's ``video.mp4`` and ``manifest.json`` are only read.
"""

from __future__ import annotations

import os
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av

from hindsight.actionmap.load import ActionMapError, parse_map
from hindsight.bundle import ACTION_MAP_FILE, Bundle, BundleError, open_bundle
from hindsight.overlay.errors import ClipError, OverlayError
from hindsight.overlay.model.layout import OverlayLayout, build_layout
from hindsight.overlay.model.state import StateConfig, TrackStates
from hindsight.overlay.model.theme import OverlayStyle
from hindsight.overlay.qt.compositor import FrameCompositor, copy_frame, plane_views
from hindsight.overlay.qt.template import create_template
from hindsight.recorder.config import EncoderConfig
from hindsight.recorder.errors import EncoderError
from hindsight.recorder.video.encoder_chooser import EncoderChooser

__all__ = ["DEFAULT_PRESET", "BurnInResult", "burn_in", "default_output", "load_clip_layout"]

_RAW_FORMATS = {"h264": "h264", "hevc": "hevc", "av1": "obu"}
_QUEUE_FRAMES = 8
# libx264's preset for the copy: a notch above the recorder's ultrafast (a re-encode loses
# quality once more) while staying faster than real time at 1080p60 on two cores.
DEFAULT_PRESET = "superfast"


@dataclass(frozen=True)
class BurnInResult:
    path: Path
    frames: int
    encoder: str
    template: str
    seconds: float  # wall time it took


def default_output(clip: Path, template: str) -> Path:
    return clip / f"video.overlay-{template}.mp4"


def load_clip_layout(clip: Path) -> OverlayLayout:
    """The clip's layout from the map it was recorded with (bundles carry the shipped map)."""
    path = clip / ACTION_MAP_FILE
    if not path.is_file():
        raise ClipError(
            f"clip {clip} has no {ACTION_MAP_FILE}: the overlay cannot tell which keys to light"
        )
    try:
        return build_layout(parse_map(path.read_text(encoding="utf-8"), str(path)))
    except (ActionMapError, OSError, UnicodeDecodeError) as err:
        raise ClipError(f"clip {clip}: cannot read its action map: {err}") from None


def _check_clip(clip: Path) -> Bundle:
    if clip.is_file() and clip.name.endswith(".mp4"):
        clip = clip.parent
    if not clip.is_dir():
        raise ClipError(f"no clip folder at {clip}")
    try:
        bundle = open_bundle(clip)
    except BundleError as err:
        raise ClipError(str(err)) from None
    if not bundle.video_path.is_file():
        raise ClipError(f"{clip} is not a clip folder (no {bundle.video_path.name})")
    if bundle.actions_path is None or not bundle.actions_path.is_file():
        raise ClipError(
            f"clip {clip} has no action track: no mapped game had focus while it "
            "was recorded, or input was off; there is nothing to draw"
        )
    return bundle


def burn_in(
    clip: Path,
    *,
    template: str | None = None,
    out: Path | None = None,
    style: OverlayStyle | None = None,
    encoder: str = "auto",
    bitrate_bps: int | None = None,
    preset: str = DEFAULT_PRESET,
    progress: Callable[[int, int, int], None] = lambda done, total, fps: None,
) -> BurnInResult:
    """Burn the overlay into a copy of ``clip``'s video; returns where it went."""
    import time

    t0 = time.monotonic()
    style = style or OverlayStyle()
    bundle = _check_clip(Path(clip))
    clip = bundle.path
    layout = load_clip_layout(clip)
    name = template or layout.template
    source = bundle.video_path
    target = Path(out) if out is not None else default_output(clip, name)
    if target.resolve() == source.resolve():
        raise OverlayError(
            "the output must not be the clip's own video.mp4 (the original is never altered)"
        )
    try:
        container = av.open(str(source))
    except (av.error.FFmpegError, OSError) as err:
        raise ClipError(f"cannot read {source}: {err} (the video is damaged)") from None
    with container:
        if not container.streams.video:
            raise ClipError(f"{source} has no video stream")
        vin = container.streams.video[0]
        vin.thread_type = "AUTO"
        width, height = vin.codec_context.width, vin.codec_context.height
        if not width or not height or width % 2 or height % 2:
            raise ClipError(
                f"{source}: frame size {width}x{height} cannot be burned in (must be even)"
            )
        fps = bundle.manifest.video.fps
        total = vin.frames or 0
        assert bundle.actions_path is not None  # _check_clip made sure
        states = TrackStates.from_parquet(bundle.actions_path, layout.actions, fps, StateConfig())
        compositor = FrameCompositor(
            create_template(name, layout, style, height), style, (width, height)
        )
        rate = (
            bitrate_bps
            or max(2_000_000, min(int((vin.bit_rate or 0) * 1.25), 80_000_000))
            or 12_000_000
        )
        try:
            config = EncoderConfig(encoder=encoder, bitrate_bps=rate, preset=preset)
        except Exception as err:
            raise OverlayError(str(err)) from None
        venc = EncoderChooser(config, width, height, fps).open_first()
        tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
        writer = _Writer(tmp, vin, container.streams.audio)
        frames = 0
        try:
            for kind, item in _demux(container, vin):
                if kind == "audio":
                    writer.audio(item)
                    continue
                frame = copy_frame(item)
                compositor.apply(*plane_views(frame), states.frame(frames))
                if venc.pix_fmt != "yuv420p":
                    frame = frame.reformat(format=venc.pix_fmt)
                writer.source_pts.append(item.pts if item.pts is not None else frames)
                for packet in venc.encode(frame, frames, 0):
                    writer.video(packet)
                frames += 1
                progress(frames, max(total, frames), fps)
            for packet in venc.flush():
                writer.video(packet)
            writer.close()
            if frames == 0:
                raise ClipError(f"{source} holds no video frames")
            os.replace(tmp, target)
        except av.error.FFmpegError as err:
            raise ClipError(f"cannot decode {source}: {err} (the video is damaged)") from None
        except EncoderError:
            raise
        except OSError as err:
            raise OverlayError(f"cannot write {target}: {err.strerror or err}") from None
        finally:
            writer.abort()
            tmp.unlink(missing_ok=True)
    return BurnInResult(target, frames, venc.name, name, time.monotonic() - t0)


def _demux(container: av.container.InputContainer, vin: av.video.stream.VideoStream):
    """("video", frame) and ("audio", packet) in file order; decoding runs on its own thread."""
    q: queue.Queue = queue.Queue(_QUEUE_FRAMES)
    streams = [vin, *container.streams.audio]
    done = object()

    def run() -> None:
        try:
            for packet in container.demux(streams):
                if packet.stream.type == "audio":
                    if packet.dts is not None:
                        q.put(("audio", packet))
                    continue
                for frame in packet.decode():
                    q.put(("video", frame))
            q.put((done, None))
        except BaseException as err:  # handed to the consumer, which raises it
            q.put((done, err))

    thread = threading.Thread(target=run, name="hindsight-decode", daemon=True)
    thread.start()
    while True:
        kind, item = q.get()
        if kind is done:
            thread.join()
            if item is not None:
                raise item
            return
        yield kind, item


class _Writer:
    """The output MP4: video from encoded packets (stamped with the source's pts), audio copied."""

    def __init__(self, path: Path, vin: av.video.stream.VideoStream, audio: tuple) -> None:
        self.path = path
        self.vin = vin
        self.audio_in = list(audio)
        self.source_pts: list[int] = []
        self._out: av.container.OutputContainer | None = None
        self._vout = None
        self._aout: dict[int, object] = {}
        self._pending_audio: list[av.Packet] = []
        self._frame_ticks = self._ticks_per_frame()

    def _ticks_per_frame(self) -> int:
        rate = self.vin.average_rate or self.vin.guessed_rate or Fraction(30)
        return max(1, round(1 / (float(rate) * float(self.vin.time_base))))

    def _open(self, packet) -> None:
        params = packet.params
        raw = _RAW_FORMATS.get(params.codec)
        if raw is None:
            raise OverlayError(f"cannot write {params.codec} video into MP4")
        # As the recorder's export does: a stream probed from our own first keyframe carries
        # exactly the encoder's parameter sets (add_stream would open a second encoder).
        import io

        probe = av.open(io.BytesIO((params.extradata or b"") + packet.data), format=raw)
        out = av.open(str(self.path), "w", format="mp4", options={"movflags": "+faststart"})
        self._vout = out.add_stream_from_template(probe.streams.video[0])
        self._vout.time_base = self.vin.time_base
        probe.close()
        for stream in self.audio_in:
            copy = out.add_stream_from_template(stream)
            # The template carries the codec, not the track's title (Mix, System audio, ...).
            title = _track_title(stream)
            if title:
                copy.metadata["title"] = copy.metadata["handler_name"] = title
            self._aout[stream.index] = copy
        self._out = out
        for pkt in self._pending_audio:
            self.audio(pkt)
        self._pending_audio.clear()

    def video(self, packet) -> None:
        if self._out is None:
            self._open(packet)
        pkt = av.Packet(packet.data)
        pts = self.source_pts[packet.pts]
        pkt.pts = pkt.dts = pts
        pkt.duration = self._frame_ticks
        pkt.time_base = self.vin.time_base
        pkt.is_keyframe = packet.keyframe
        pkt.stream = self._vout
        self._out.mux(pkt)

    def audio(self, packet: av.Packet) -> None:
        if self._out is None:
            self._pending_audio.append(packet)
            return
        packet.stream = self._aout[packet.stream.index]
        self._out.mux(packet)

    def close(self) -> None:
        if self._out is not None:
            self._out.close()
            self._out = None
            with open(self.path, "rb") as fh:
                os.fsync(fh.fileno())

    def abort(self) -> None:
        if self._out is not None:
            try:
                self._out.close()
            except Exception:
                pass
            self._out = None


def _track_title(stream: av.audio.stream.AudioStream) -> str | None:
    """An audio track's title as MP4 keeps it: a udta name, else the handler name."""
    meta = stream.metadata
    title = meta.get("title") or meta.get("name") or meta.get("handler_name")
    return None if not title or title == "SoundHandler" else str(title)
