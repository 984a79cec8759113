"""The recording session: capture source -> encoder -> packet ring, plus the clip saver.

Two threads carry the pixels. The capture thread paces on the clock (CFR), grabs,
converts to the encoder's pixel format with one reused converter, and hands the
frame over through a bounded queue; when the queue is full the frame is dropped,
counted, and its slot later filled as a duplicate. The encode thread encodes (and
repeats the previous frame for skipped slots) and appends packets to the ring. If
the encoder dies mid-run the next working one takes over and the ring keeps what
it had. Saving is the :class:`ClipSaver`'s job on a third thread; nothing on the
capture path waits for disk.
"""

from __future__ import annotations

import logging
import os
import queue
import threading
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

import av

from hindsight.bundle import BundleContributor, CaptureFacts, Contribution
from hindsight.clock import NS_PER_S, now_ns, sleep_until_ns
from hindsight.errors import HindsightError
from hindsight.recorder.audio import AudioCapture, AudioError, choose_audio_backend
from hindsight.recorder.config import RecorderConfig
from hindsight.recorder.errors import CaptureError, EncoderError, ExportError, RecorderPaused
from hindsight.recorder.export.bundle_writer import sweep_partial_bundles
from hindsight.recorder.export.disk import choose_clip_write
from hindsight.recorder.frame_queue import FrameHandoff, FrameQueue
from hindsight.recorder.pacer import FramePacer
from hindsight.recorder.ring import PacketRing
from hindsight.recorder.saver import ClipSaver, SaveRequest
from hindsight.recorder.status import (
    BufferStatus,
    CaptureStatus,
    EncoderStatus,
    RecorderState,
    RecorderStatus,
    SavesStatus,
)
from hindsight.recorder.video import CaptureSource, choose_capture_source
from hindsight.recorder.video.converter import FrameConverter, choose_converter
from hindsight.recorder.video.encoder import VideoEncoder
from hindsight.recorder.video.encoder_chooser import CANDIDATES, EncoderChooser, EncoderFactory
from hindsight.signals import Signal

__all__ = ["RecordingSession", "FrameCounters"]

log = logging.getLogger(__name__)

_WARN_EVERY_S = 10


@dataclass
class FrameCounters:
    """What happened to frames so far; every drop is counted, none is silent."""

    captured: int = 0
    dup_frames: int = 0
    queue_drops: int = 0
    encoded: int = 0
    encoder_fallbacks: int = 0


def _new_session_id() -> str:
    """A random id for one run of the frame timeline; nothing of the user or machine in it."""
    return uuid.uuid4().hex


class RecordingSession:
    """One recorder run; :meth:`start`, :meth:`save`, :meth:`status`, :meth:`stop`."""

    def __init__(
        self,
        config: RecorderConfig,
        *,
        source: CaptureSource | None = None,
        encoder_factory: EncoderFactory = VideoEncoder,
        encoder_candidates: tuple[str, ...] = CANDIDATES,
        contributors: Sequence[BundleContributor] = (),
    ) -> None:
        self.config = config
        self.counters = FrameCounters()
        self.failed = Signal("failed")
        self.error: HindsightError | None = None
        self._source = source
        self._encoder_factory = encoder_factory
        self._encoder_candidates = encoder_candidates
        self._contributors = list(contributors)
        self._encoder: VideoEncoder | None = None
        self._chooser: EncoderChooser | None = None
        self._converter: FrameConverter | None = None
        self._pacer: FramePacer | None = None
        self._queue = FrameQueue()
        self._stopping = threading.Event()
        self._stopped = threading.Event()
        # Paused: no grab, no encode, no sound, an empty buffer (see :meth:`pause`).
        self._paused = threading.Event()
        self._pause_lock = threading.Lock()
        self._threads: list[threading.Thread] = []
        self._started_ns = 0
        # What the source was, kept for the status after it is closed.
        self._source_desc: str | None = None
        self._size: tuple[int, int] | None = None
        self.ring: PacketRing | None = None
        self.saver: ClipSaver | None = None
        self.audio: AudioCapture | None = None

    # ---- lifecycle -------------------------------------------------------------------

    def start(self) -> None:
        """Open source and encoder and start recording; raises a one-line error if impossible."""
        clips_dir = self.config.clips_dir
        try:
            clips_dir.mkdir(parents=True, exist_ok=True)
        except OSError as err:
            raise ExportError(
                f"the clips folder {clips_dir} cannot be created ({err.strerror}); choose another "
                "with --clips-dir"
            ) from None
        if not os.access(clips_dir, os.W_OK | os.X_OK):
            raise ExportError(
                f"the clips folder {clips_dir} is not writable; choose another with --clips-dir"
            )
        sweep_partial_bundles(clips_dir)
        clip_write = choose_clip_write(clips_dir)
        source = self._source or choose_capture_source(self.config.capture)
        source.open()
        self._source = source
        self._source_desc, self._size = source.describe(), (source.width, source.height)
        try:
            self._chooser = EncoderChooser(
                self.config.encoder,
                source.width,
                source.height,
                self.config.capture.fps,
                self._encoder_factory,
                self._encoder_candidates,
            )
            self._encoder = self._chooser.open_first()
            self._converter = choose_converter(self._encoder.pix_fmt, source.width, source.height)
        except BaseException:
            source.close()
            raise
        self.ring = PacketRing(self.config.ring.buffer_seconds, self.config.ring.max_buffer_bytes)
        try:
            self.audio = self._open_audio()
        except BaseException:
            source.close()
            raise
        self.saver = ClipSaver(
            self.ring,
            clips_dir,
            wait_timeout_ms=self.config.save_timeout_ms,
            contributors=self._contributors,
            extra_manifest=self._manifest_facts,
            audio=self.audio,
            clip_write=clip_write,
        )
        self.saver.session_id = _new_session_id()
        self._started_ns = now_ns()
        self._start_threads()

    def _start_threads(self) -> None:
        self._threads = [
            threading.Thread(target=self._capture_loop, name="hindsight-capture", daemon=True),
            threading.Thread(target=self._encode_loop, name="hindsight-encode", daemon=True),
        ]
        for t in self._threads:
            t.start()

    def stop(self) -> None:
        """Stop capturing, finish the save in flight, release the source."""
        if self._stopped.is_set():
            return
        self._stopping.set()
        for t in self._threads:
            t.join(10)
        if self.saver is not None:
            self.saver.close()
        if self.audio is not None:
            self.audio.stop()
        if self.ring is not None:
            self.ring.close()
        if self._source is not None:
            self._source.close()
        self._stopped.set()

    @property
    def paused(self) -> bool:
        return self._paused.is_set()

    def pause(self) -> bool:
        """Record nothing until :meth:`resume`: no screen grab, no sound, the buffer dropped.

        A save already in flight finishes first (it needs the frame of its request);
        saves asked for while paused are refused. Returns False if already paused.
        """
        with self._pause_lock:
            if self._paused.is_set() or self.saver is None or self._stopping.is_set():
                return False
            self._paused.set()  # refuses new saves from here on
            self.saver.wait_idle(self.config.save_timeout_ms / 1000 + 5)
            for t in self._threads:  # the capture loop sees the flag and ends the encode loop
                t.join(10)
            audio, self.audio = self.audio, None
            self.saver.audio = None
            if audio is not None:
                audio.stop()  # closes the devices: nothing is recorded while paused
            if self._encoder is not None:
                self._encoder.close()
                self._encoder = None
            if self.ring is not None:
                self.ring.clear()
            log.info("paused: nothing is recorded, the buffer is empty")
            return True

    def resume(self) -> bool:
        """Record again from now, with a fresh encoder and sound; False if not paused."""
        with self._pause_lock:
            if not self._paused.is_set() or self._stopping.is_set():
                return False
            assert self._chooser is not None and self.saver is not None
            self._encoder = self._chooser.open_first()
            try:
                self.audio = self._open_audio()
            except BaseException:
                self._encoder.close()
                self._encoder = None
                raise
            self.saver.audio = self.audio
            # A new frame timeline: the buffer starts empty, frame 0 is the first after resume.
            # So a new session id too: counting on across the pause would need frames for
            # the paused span that do not exist, and no clip can span the pause (the buffer
            # was dropped), so nothing of before overlaps anything of after.
            self.saver.session_id = _new_session_id()
            self._pacer = None
            self._queue = FrameQueue()
            self._paused.clear()
            self._start_threads()
            log.info("resumed recording")
            return True

    def wait(self, timeout_s: float | None = None) -> bool:
        """Block until the session stops by itself (a fatal error) or ``timeout_s``; True if
        stopped."""
        return self._stopping.wait(timeout_s)

    def __enter__(self) -> RecordingSession:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # ---- control -----------------------------------------------------------------------

    @property
    def clip_saved(self) -> Signal:
        assert self.saver is not None, "start() the session first"
        return self.saver.clip_saved

    def save(self, seconds: int | None = None, t_req_ns: int | None = None) -> SaveRequest:
        """Request the last ``seconds`` (default from config) up to now; returns at once."""
        if self.saver is None:
            raise ExportError("the recorder is not running")
        if self.error is not None:
            raise self.error
        if self._paused.is_set():
            raise RecorderPaused(
                "recording is paused, so there is nothing to save; resume it first"
            )
        seconds = self.config.default_clip_seconds if seconds is None else seconds
        if not 1 <= seconds <= self.config.ring.buffer_seconds:
            raise ExportError(
                f"--seconds {seconds}: must be 1..{self.config.ring.buffer_seconds} (the buffer "
                "length)"
            )
        return self.saver.request(seconds, t_req_ns)

    def status(self) -> RecorderStatus:
        """The session's part of the recorder's status (no actions, no outputs: the service adds
        those)."""
        ring = self.ring.stats() if self.ring else None
        elapsed_s = max((now_ns() - self._started_ns) / NS_PER_S, 1e-9) if self._started_ns else 0.0
        c = self.counters
        saver = self.saver
        width, height = self._size or (None, None)
        if self.error is not None:
            state = RecorderState.FAILED
        elif self._paused.is_set() and not self._stopping.is_set():
            state = RecorderState.PAUSED
        else:
            state = RecorderState.STOPPED if self._stopping.is_set() else RecorderState.RECORDING
        return RecorderStatus(
            state=state,
            error=str(self.error) if self.error else None,
            pid=os.getpid(),
            uptime_s=round(elapsed_s, 1),
            capture=CaptureStatus(
                source=self._source_desc,
                width=width,
                height=height,
                fps_target=self.config.capture.fps,
                fps_captured=round(c.captured / elapsed_s, 2) if elapsed_s else 0.0,
                frames=c.captured + c.dup_frames,
                frames_captured=c.captured,
                dup_frames=c.dup_frames,
                queue_drops=c.queue_drops,
                converter=self._converter.name if self._converter else None,
                converter_buffers=self._converter.buffers if self._converter else 0,
            ),
            encoder=EncoderStatus(
                name=self._encoder.name if self._encoder else None,
                fallbacks=c.encoder_fallbacks,
                rejected=dict(self._chooser.rejected) if self._chooser else {},
            ),
            buffer=BufferStatus(
                seconds=round(ring.seconds, 2) if ring else 0.0,
                bytes=ring.bytes if ring else 0,
                max_seconds=self.config.ring.buffer_seconds,
                max_bytes=self.config.ring.max_buffer_bytes,
            ),
            saves=SavesStatus(
                clips_dir=str(self.config.clips_dir),
                saved=saver.saves if saver else 0,
                failed=saver.failures if saver else 0,
                last_clip=str(saver.last_clip.path) if saver and saver.last_clip else None,
                last_save_ms=saver.last_save_ms if saver else None,
                last_error=saver.last_error if saver else None,
                in_flight=saver.in_flight if saver else False,
                last_save_split_ms=saver.last_save_split_ms if saver else None,
                clip_write=saver.clip_write if saver else None,
            ),
            audio=self.audio.status() if self.audio is not None else None,
        )

    def _open_audio(self) -> AudioCapture | None:
        """The sound of this run, started; None when it is turned off.

        No audio system is a warning, not a failure: the tracks are recorded as counted
        silence, and the status says why.
        """
        config = self.config.audio
        if not config.enabled:
            return None
        problem = None
        try:
            backend = choose_audio_backend(config)
        except AudioError as err:
            backend, problem = None, str(err)
        if backend is None and problem is None:
            return None  # HINDSIGHT_AUDIO_BACKEND=none
        audio = AudioCapture(
            config,
            backend,
            buffer_seconds=self.config.ring.buffer_seconds,
            max_buffer_bytes=self.config.ring.max_buffer_bytes,
            problem=problem,
        )
        audio.start()
        return audio

    def _manifest_facts(self) -> Contribution:
        return Contribution(
            capture=CaptureFacts(source=self._source.name if self._source else None)
        )

    # ---- threads -------------------------------------------------------------------------

    def _fail(self, err: HindsightError) -> None:
        if self.error is None:
            self.error = err
            log.error("%s", err)
            self.failed.emit(err)
        self._stopping.set()

    def _capture_loop(self) -> None:
        source, converter = self._source, self._converter
        assert source is not None and converter is not None
        pending_dups = 0
        last_warn_ns = 0
        grace_ns = NS_PER_S // (4 * self.config.capture.fps)
        try:
            while not (self._stopping.is_set() or self._paused.is_set()):
                if self._pacer is None:
                    t_slot_ns = now_ns()
                else:
                    sleep_until_ns(self._pacer.next_deadline_ns())
                    t_slot_ns = now_ns()
                # A queue full for a moment (the encoder finishing a frame) is not an encoder
                # that is behind: up to a quarter of a frame's wait keeps this frame in its
                # slot. Still full then, the encoder would drop it. Grabbing and converting it
                # (about 7 ms of CPU at 1080p) would take the CPU the encoder lacks, and it
                # could then never catch up: the slot becomes a repeat, ungrabbed.
                if self._pacer is not None and not self._queue.room_by(t_slot_ns + grace_ns):
                    plan = self._pacer.place(t_slot_ns)
                    pending_dups += plan.dups + 1
                    last_warn_ns = self._count_drop(t_slot_ns, last_warn_ns)
                    continue
                if self._pacer is not None:
                    t_slot_ns = now_ns()  # later than the deadline if it waited for room
                raw = source.grab()
                t_ns = (t_slot_ns + now_ns()) // 2
                if self._pacer is None:
                    self._pacer = FramePacer(self.config.capture.fps, t_slot_ns)
                plan = self._pacer.place(t_slot_ns)
                frame = converter.convert(raw)
                self.counters.captured += 1
                try:
                    self._queue.put_nowait(
                        FrameHandoff(plan.index, plan.dups + pending_dups, frame, t_ns)
                    )
                    pending_dups = 0
                except queue.Full:
                    # The encoder is behind: drop this frame, its slot becomes a dup later.
                    pending_dups += plan.dups + 1
                    self.counters.captured -= 1
                    last_warn_ns = self._count_drop(t_ns, last_warn_ns)
        except HindsightError as err:
            self._fail(err)
        except Exception as err:
            log.exception("capture failed")
            self._fail(CaptureError(f"capture failed: {type(err).__name__}: {err}"))
        finally:
            self._queue.put(None)

    def _count_drop(self, t_ns: int, last_warn_ns: int) -> int:
        """Count a frame the encoder had no room for; warn now and then (returns when last)."""
        self.counters.queue_drops += 1
        if t_ns - last_warn_ns > _WARN_EVERY_S * NS_PER_S:
            log.warning("encoder is behind: %d frames dropped so far", self.counters.queue_drops)
            return t_ns
        return last_warn_ns

    def _encode_loop(self) -> None:
        last_frame: av.VideoFrame | None = None
        last_t_ns = 0
        while True:
            item = self._queue.get()
            if item is None:
                break
            if self.error is not None:
                continue  # keep draining so the capture thread never blocks on a full queue
            try:
                pacer = self._pacer
                assert pacer is not None
                if last_frame is not None:
                    for pts in range(item.index - item.dups, item.index):
                        # A late grab can stamp the previous frame after this slot opened;
                        # the ring needs t_ns in order, so a repeat is never before it.
                        last_t_ns = max(pacer.slot_start_ns(pts), last_t_ns)
                        self._encode(last_frame, pts, last_t_ns, dup=True)
                self._encode(item.frame, item.index, item.t_ns, dup=False)
                last_frame, last_t_ns = item.frame, item.t_ns
            except HindsightError as err:
                self._fail(err)
            except Exception as err:
                log.exception("encoding failed")
                self._fail(EncoderError(f"encoding failed: {type(err).__name__}: {err}"))
        if self._encoder is not None:
            try:
                for packet in self._encoder.flush():
                    self.ring.append(packet)  # type: ignore[union-attr]
            except Exception:
                log.debug("encoder flush at stop failed", exc_info=True)

    def _encode(self, frame: av.VideoFrame, pts: int, t_ns: int, dup: bool) -> None:
        encoder = self._encoder
        assert encoder is not None and self.ring is not None and self._chooser is not None
        if frame.format.name != encoder.pix_fmt:
            frame = frame.reformat(format=encoder.pix_fmt)
        try:
            packets = encoder.encode(frame, pts, t_ns, dup)
        except Exception as err:
            reason = f"{type(err).__name__}: {err}"
            log.warning("encoder %s failed while running (%s); falling back", encoder.name, reason)
            encoder.close()
            self._encoder = encoder = self._chooser.open_next(encoder.name, reason)
            self.counters.encoder_fallbacks += 1
            if frame.format.name != encoder.pix_fmt:
                frame = frame.reformat(format=encoder.pix_fmt)
            packets = encoder.encode(frame, pts, t_ns, dup)
        if dup:
            self.counters.dup_frames += 1
        self.counters.encoded += 1
        for packet in packets:
            self.ring.append(packet)
