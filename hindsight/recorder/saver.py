"""Serving save requests: the replay buffer's output, on its own worker thread.

A request at ``t_req_ns`` for ``seconds`` covers ``[t_req - seconds, t_req]``, cut
back to the keyframe at or before the start. It is served once the first packet
at or after ``t_req`` is in the ring, so the moment of the press is in the clip.
Requests that arrive while a save is in flight merge into it. The capture and
encode threads never wait for any of this.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable, Sequence
from pathlib import Path

from hindsight.bundle import AudioFacts, BundleContributor, Contribution, SavedClip
from hindsight.clock import NS_PER_S, now_ns
from hindsight.errors import HindsightError
from hindsight.recorder.allocator import trim
from hindsight.recorder.audio.capture import AudioCapture
from hindsight.recorder.errors import ExportError, SaveTimeout
from hindsight.recorder.export.bundle_writer import ClipSound, write_bundle
from hindsight.recorder.export.mux import AudioStream
from hindsight.recorder.packet import grid_start_ns
from hindsight.recorder.ring import PacketRing
from hindsight.signals import Signal

__all__ = ["SaveRequest", "ClipSaver"]

log = logging.getLogger(__name__)

# How long a save waits for the sound of its last frame once the frame is there: the
# audio encoder runs behind by its queue and an AAC frame (~50 ms), a lost device by more.
_AUDIO_WAIT_S = 0.5


class SaveRequest:
    """A save in flight; :meth:`wait` returns the :class:`SavedClip` or raises why it failed."""

    def __init__(self, t_req_ns: int, seconds: int) -> None:
        self.t_req_ns = t_req_ns
        self.seconds = seconds
        self.merged = 0
        self.covered_t_ns: int | None = None  # the frame of the request was in the ring
        self.sound_wait_ns = 0  # how long the write stood still for the sound of its end
        self.done_t_ns: int | None = None
        self._done = threading.Event()
        self._result: SavedClip | None = None
        self._error: BaseException | None = None

    @property
    def done(self) -> bool:
        return self._done.is_set()

    def wait(self, timeout_s: float | None = None) -> SavedClip:
        if not self._done.wait(timeout_s):
            raise SaveTimeout(f"the clip was not written within {timeout_s:g} s")
        if self._error is not None:
            raise self._error
        assert self._result is not None
        return self._result

    def _finish(self, result: SavedClip | None, error: BaseException | None) -> None:
        self._result, self._error = result, error
        self.done_t_ns = now_ns()
        self._done.set()


class ClipSaver:
    """Turns save requests into clip bundles, one at a time, merging presses in flight."""

    def __init__(
        self,
        ring: PacketRing,
        clips_dir: Path,
        *,
        wait_timeout_ms: int = 10_000,
        contributors: Sequence[BundleContributor] = (),
        extra_manifest: Callable[[], Contribution | None] = lambda: None,
        audio: AudioCapture | None = None,
        clip_write: str,
    ) -> None:
        self.ring = ring
        self.audio = audio
        self.clips_dir = clips_dir
        # How clip files go to disk (export.disk.choose_clip_write): direct or buffered.
        self.clip_write = clip_write
        self.clip_saved = Signal("clip_saved")
        self.save_failed = Signal("save_failed")
        # A new save began (a press merged into one in flight is not a new save).
        self.save_started = Signal("save_started")
        self.saves = 0
        self.failures = 0
        self.merged = 0
        self.last_clip: SavedClip | None = None
        self.last_save_ms: float | None = None
        # The last save's time, split: waiting for its frame, for its sound, and writing.
        self.last_save_split_ms: dict[str, float] | None = None
        self.last_error: str | None = None
        # The recorder run the ring's packets belong to (see RecordingSession.start/resume).
        self.session_id: str | None = None
        self._wait_timeout_s = wait_timeout_ms / 1000
        self._contributors = list(contributors)
        self._extra_manifest = extra_manifest
        self._lock = threading.Lock()
        self._in_flight: SaveRequest | None = None
        self._queue: queue.Queue[SaveRequest | None] = queue.Queue()
        self._thread = threading.Thread(target=self._run, name="hindsight-saver", daemon=True)
        self._thread.start()

    def request(self, seconds: int, t_req_ns: int | None = None) -> SaveRequest:
        """Ask for the last ``seconds`` before ``t_req_ns`` (now if None); returns at once."""
        t_req_ns = now_ns() if t_req_ns is None else t_req_ns
        with self._lock:
            if self._in_flight is not None and not self._in_flight.done:
                self._in_flight.merged += 1
                self.merged += 1
                return self._in_flight
            req = SaveRequest(t_req_ns, seconds)
            self._in_flight = req
        self.save_started.emit(req)  # before the worker can finish it: heard in order
        self._queue.put(req)
        return req

    @property
    def in_flight(self) -> bool:
        """A save is being written now."""
        with self._lock:
            return self._in_flight is not None and not self._in_flight.done

    def wait_idle(self, timeout_s: float) -> bool:
        """Wait for the save in flight (if any) to finish; True if none is left."""
        with self._lock:
            req = self._in_flight
        if req is None or req.done:
            return True
        req._done.wait(timeout_s)
        return req.done

    def close(self, timeout_s: float = 30.0) -> None:
        """Finish the save in flight (if any), then stop the worker."""
        self._queue.put(None)
        self._thread.join(timeout_s)

    def _run(self) -> None:
        while True:
            req = self._queue.get()
            if req is None:
                return
            try:
                clip = self._serve(req)
            except HindsightError as err:
                self.failures += 1
                self.last_error = str(err)
                log.warning("save failed: %s", err)
                req._finish(None, err)
                self.save_failed.emit(req, err)
                continue
            except Exception as err:  # a bug: keep the recorder alive, report it to the requester
                self.failures += 1
                self.last_error = f"internal error: {type(err).__name__}: {err}"
                log.exception("save failed")
                req._finish(None, ExportError(self.last_error))
                self.save_failed.emit(req, err)
                continue
            self.saves += 1
            self.last_clip = clip
            self.last_error = None
            req._finish(clip, None)
            # _finish stamped done_t_ns; the frame of the request was covered before the write.
            done_t_ns = req.done_t_ns or now_ns()
            covered_t_ns = req.covered_t_ns or req.t_req_ns
            self.last_save_ms = round((done_t_ns - req.t_req_ns) / 1e6, 1)
            self.last_save_split_ms = {
                "frame": round((covered_t_ns - req.t_req_ns) / 1e6, 1),
                "sound": round(req.sound_wait_ns / 1e6, 1),
                "write": round((done_t_ns - covered_t_ns - req.sound_wait_ns) / 1e6, 1),
            }
            log.info(
                "clip saved %.0f ms after the request (%.0f ms waiting for the frame of the "
                "request, %.0f ms for its sound, %.0f ms writing)",
                self.last_save_ms,
                *self.last_save_split_ms.values(),
            )
            self.clip_saved.emit(clip)
            # The clip's transient buffers go back to the system once everyone has heard of it.
            trim()

    def _serve(self, req: SaveRequest) -> SavedClip:
        if not self.ring.wait_covered(req.t_req_ns, self._wait_timeout_s):
            raise SaveTimeout(
                f"no frame was captured within {self._wait_timeout_s:g} s of the save request; is "
                "capture stalled?"
            )
        req.covered_t_ns = now_ns()
        packets = self.ring.snapshot(req.t_req_ns - req.seconds * NS_PER_S, req.t_req_ns)
        if not packets:
            raise ExportError("nothing to save: the buffer is empty")
        sound: ClipSound | None = None
        if self.audio is not None:
            # Sound is cut on the picture's clock span: from the first frame's place on
            # the frame grid to the end of the last frame's slot.
            start_ns = grid_start_ns(packets)
            end_ns = start_ns + len(packets) * NS_PER_S // packets[-1].params.fps
            sound = _ClipSound(self.audio, start_ns, end_ns, req)
        return write_bundle(
            self.clips_dir,
            packets,
            contributors=self._contributors,
            extra_manifest=self._extra_manifest(),
            sound=sound,
            session_id=self.session_id,
            clip_write=self.clip_write,
        )


class _ClipSound:
    """The sound of one clip, taken in two steps so the write never waits for what is there.

    The sound of the clip's last moments is still on its way when the picture is
    (the device's latency, the encoder's look-ahead: about 100 ms). The writer lays
    out the picture first (the muxer: writes everything up to the sound encoded so
    far) and asks for the rest only then.
    """

    def __init__(self, audio: AudioCapture, start_ns: int, end_ns: int, req: SaveRequest) -> None:
        self._audio, self._start_ns, self._end_ns, self._req = audio, start_ns, end_ns, req
        self._early = audio.cut(start_ns, end_ns)

    def now(self) -> tuple[list[AudioStream], AudioFacts] | None:
        """Every track's packets encoded so far (None: a track has none yet)."""
        if self._early is None:
            return None
        return [AudioStream(t.title, p) for t, p in self._early.tracks], self._early.facts

    def rest(self) -> tuple[list[AudioStream], AudioFacts] | None:
        """Every track's packets up to the clip's end, waiting for them up to a limit."""
        t0 = now_ns()
        if not self._audio.wait_covered(self._end_ns, _AUDIO_WAIT_S):
            log.info("the sound of the clip's last moment is late; its end is cut short")
        self._req.sound_wait_ns = now_ns() - t0
        cut = self._audio.cut(self._start_ns, self._end_ns) or self._early
        if cut is None:
            return None
        return [AudioStream(t.title, p) for t, p in cut.tracks], cut.facts
