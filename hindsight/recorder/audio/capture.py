"""The sound of a recorder run: sources -> timelines -> mix -> AAC encoders -> one ring per track.

Each source has a reader thread that only reads blocks, places them on the shared
sample grid (:class:`~hindsight.recorder.audio.timeline.AudioTimeline`) and queues the
PCM; one encode thread takes the span every source has reached, mixes system and
microphone in PCM on that grid, encodes each track and appends the packets to the
track's :class:`~hindsight.recorder.ring.PacketRing`. Video capture and the input
path never wait for any of this.

A missing or lost device never stops recording: its reader writes silence up to
the present (counted), tries the device again every few seconds, and says so once
in the log when it goes and once when it is back. With a single source the mix *is*
that source, so it is encoded once and both tracks share the ring.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from hindsight.bundle import (
    AUDIO_TRACK_TITLES,
    MIC_TRACK,
    MIX_TRACK,
    SYSTEM_TRACK,
    AudioFacts,
    AudioSourceFacts,
    AudioTrackFacts,
)
from hindsight.clock import NS_PER_S, now_ns
from hindsight.recorder.audio.encoder import AAC_FRAME, AudioEncoder
from hindsight.recorder.audio.source import (
    CHANNELS,
    SAMPLE_RATE,
    AudioBackend,
    AudioDeviceLost,
    AudioError,
    AudioKind,
    AudioSource,
)
from hindsight.recorder.audio.timeline import AudioTimeline
from hindsight.recorder.config import AudioConfig
from hindsight.recorder.packet import EncodedPacket
from hindsight.recorder.ring import PacketRing
from hindsight.recorder.status import AudioSourceStatus, AudioStatus

__all__ = ["AudioCapture", "AudioTrack", "AudioCut", "PREROLL_SAMPLES"]

log = logging.getLogger(__name__)

_READ_TIMEOUT_S = 0.05
# With no block for this long, the reader writes silence up to now minus this much: a
# microphone's blocks arrive up to its latency after they were spoken, so the margin
# keeps silence from being written over sound still on its way.
_SILENCE_AFTER_NS = 250_000_000
_RETRY_NS = 3 * NS_PER_S
_ENCODE_EVERY_S = 0.02
_LEVEL_WINDOW_NS = NS_PER_S // 2
#: audio decoded before the first video frame so the first sound of a clip is whole
#: (an AAC frame needs the one before it; the edit list hides these samples)
PREROLL_SAMPLES = 2 * AAC_FRAME


@dataclass(frozen=True)
class AudioTrack:
    """One audio stream of a clip, in file order; tracks may share a ring (one source)."""

    name: str  # MIX_TRACK, SYSTEM_TRACK, MIC_TRACK
    sources: tuple[AudioKind, ...]
    ring: PacketRing

    @property
    def title(self) -> str:
        return AUDIO_TRACK_TITLES[self.name]


@dataclass(frozen=True)
class AudioCut:
    """What a save takes of the sound: each track's packets and the manifest facts."""

    tracks: tuple[tuple[AudioTrack, list[EncodedPacket]], ...]
    facts: AudioFacts


class _Feed:
    """One source on the grid: its reader thread's state and the PCM it has queued."""

    def __init__(self, kind: AudioKind, device: str | None, timeline: AudioTimeline) -> None:
        self.kind = kind
        self.device = device
        self.timeline = timeline
        self.source: AudioSource | None = None
        self.error: str | None = None
        self.lock = threading.Lock()
        self.chunks: deque[npt.NDArray[np.float32]] = deque()
        self.end = 0  # grid sample after the last queued one
        self.taken = 0  # grid sample the encode thread has taken up to
        self.peak = 0.0
        self.peak_t_ns = 0
        self.dropped_blocks = 0  # of sources closed before; the open one counts its own
        # Grid spans of silence put in, kept as long as the ring can need them.
        self.silence: deque[tuple[int, int]] = deque()
        self.resyncs: deque[int] = deque()  # grid positions of resyncs

    def push(self, pcm: npt.NDArray[np.float32]) -> None:
        with self.lock:
            self.chunks.append(pcm)
            self.end += len(pcm)

    def push_silence(self, count: int) -> None:
        if count <= 0:
            return
        with self.lock:
            start = self.end
            if self.silence and self.silence[-1][1] == start:
                start = self.silence.pop()[0]
            self.silence.append((start, self.end + count))
            self.chunks.append(np.zeros((count, CHANNELS), dtype=np.float32))
            self.end += count

    def take(self, count: int) -> npt.NDArray[np.float32]:
        """The next ``count`` queued samples (the caller checked they are there)."""
        with self.lock:
            parts, need = [], count
            while need:
                chunk = self.chunks[0]
                if len(chunk) <= need:
                    parts.append(self.chunks.popleft())
                    need -= len(chunk)
                else:
                    parts.append(chunk[:need])
                    self.chunks[0] = chunk[need:]
                    need = 0
            self.taken += count
        return parts[0] if len(parts) == 1 else np.concatenate(parts)

    def forget_before(self, sample: int) -> None:
        with self.lock:
            while self.silence and self.silence[0][1] <= sample:
                self.silence.popleft()
            while self.resyncs and self.resyncs[0] < sample:
                self.resyncs.popleft()

    def silence_between(self, start: int, end: int) -> int:
        with self.lock:
            return sum(max(0, min(e, end) - max(s, start)) for s, e in self.silence)

    def resyncs_between(self, start: int, end: int) -> int:
        with self.lock:
            return sum(start <= c < end for c in self.resyncs)


def _last_start_ns(t_ns: int) -> int:
    """Where a packet holding the sound up to ``t_ns`` starts at the latest.

    A packet starting one AAC frame before ``t_ns`` holds the sound up to it: waiting
    for one that starts at ``t_ns`` would wait a frame (21 ms) longer for sound that a
    cut ending at ``t_ns`` does not take.
    """
    return t_ns - AAC_FRAME * NS_PER_S // SAMPLE_RATE


class AudioCapture:
    """The audio half of a recorder run; :meth:`start`, :meth:`cut`, :meth:`status`, :meth:`stop`.

    ``backend`` is None when no audio system could be found at all: the tracks are
    then recorded as counted silence and the reason is in :attr:`problem`.
    """

    def __init__(
        self,
        config: AudioConfig,
        backend: AudioBackend | None,
        *,
        buffer_seconds: int,
        max_buffer_bytes: int,
        problem: str | None = None,
        clock: Callable[[], int] = now_ns,
    ) -> None:
        if not config.enabled:
            raise ValueError("AudioCapture needs at least one source turned on")
        self.config = config
        self.backend = backend
        self.problem = problem
        self._clock = clock
        self.origin_t_ns = clock()
        pairs = ((AudioKind.SYSTEM, config.system), (AudioKind.MIC, config.mic))
        kinds = [kind for kind, on in pairs if on]
        devices = {AudioKind.SYSTEM: config.system_device, AudioKind.MIC: config.mic_device}
        self._feeds = [_Feed(k, devices[k], AudioTimeline(self.origin_t_ns)) for k in kinds]
        self._volumes = {AudioKind.SYSTEM: config.system_volume, AudioKind.MIC: config.mic_volume}
        # The ring holds a little more than the video's so a clip's pre-roll is always there.
        ring_seconds = buffer_seconds + 1
        ring_bytes = max(4 * 2**20, min(max_buffer_bytes // 8, 64 * 2**20))
        names = {AudioKind.SYSTEM: SYSTEM_TRACK, AudioKind.MIC: MIC_TRACK}
        self._encoders: list[tuple[AudioEncoder, PacketRing]] = []
        tracks: list[AudioTrack] = []
        single = len(kinds) == 1 and self._volumes[kinds[0]] == 1.0
        mix_ring = PacketRing(ring_seconds, ring_bytes, name=f"audio {MIX_TRACK}")
        tracks.append(AudioTrack(MIX_TRACK, tuple(kinds), mix_ring))
        for kind in kinds:
            ring = mix_ring if single else PacketRing(ring_seconds, ring_bytes, f"audio {kind}")
            tracks.append(AudioTrack(names[kind], (kind,), ring))
        self.tracks = tuple(tracks)
        # Encoders by the ring they fill: one per distinct ring, mix first.
        self._rings = list(dict.fromkeys(t.ring for t in tracks))
        self._stopping = threading.Event()
        self._threads: list[threading.Thread] = []
        self._encode_error: str | None = None

    # ---- lifecycle ---------------------------------------------------------------------

    def start(self) -> None:
        """Open the encoders and start the threads; a device that cannot open is retried."""
        for ring in self._rings:
            encoder = AudioEncoder(ring.name, self.origin_t_ns, self.config.bitrate_bps)
            encoder.open()
            self._encoders.append((encoder, ring))
        if self.problem:
            log.warning("audio: %s; clips get silence until it is fixed", self.problem)
        for feed in self._feeds:
            t = threading.Thread(
                target=self._read_loop,
                args=(feed,),
                name=f"hindsight-audio-{feed.kind}",
                daemon=True,
            )
            self._threads.append(t)
        self._threads.append(
            threading.Thread(target=self._encode_loop, name="hindsight-audio-encode", daemon=True)
        )
        for t in self._threads:
            t.start()

    def stop(self) -> None:
        self._stopping.set()
        for t in self._threads:
            t.join(5)
        for feed in self._feeds:
            self._close(feed)
        for _, ring in self._encoders:
            ring.close()

    # ---- reading -----------------------------------------------------------------------

    def _open(self, feed: _Feed) -> None:
        if self.backend is None:
            return
        source = self.backend.source(feed.kind, feed.device)
        try:
            source.open()
        except AudioError as err:
            # One line per outage: a lost device was already reported when it went, and
            # retries that fail again (maybe with another reason) say nothing new.
            if feed.error is None:
                log.warning("audio: %s; recording silence until it is back", err)
            else:
                log.debug("audio: %s still unavailable: %s", feed.kind, err)
            feed.error = str(err)
            return
        if feed.error is not None:
            log.warning("audio: %s is back: %s", feed.kind, source.describe())
        feed.error = None
        feed.source = source

    @staticmethod
    def _close(feed: _Feed) -> None:
        if feed.source is not None:
            feed.dropped_blocks += feed.source.dropped_blocks
            try:
                feed.source.close()
            except Exception:
                log.debug("audio: closing %s failed", feed.kind, exc_info=True)
            feed.source = None

    def _read_loop(self, feed: _Feed) -> None:
        next_try_ns = 0
        last_block_ns = self._clock()
        while not self._stopping.is_set():
            now = self._clock()
            if feed.source is None and now >= next_try_ns:
                self._open(feed)
                next_try_ns = now + _RETRY_NS
            block = None
            if feed.source is not None:
                try:
                    block = feed.source.read(_READ_TIMEOUT_S)
                except AudioDeviceLost as err:
                    log.warning("audio: %s; recording silence until it is back", err)
                    feed.error = str(err)
                    self._close(feed)
                    # At once: a default device that changed (a headset plugged in) is
                    # there already; one that is gone is retried at the usual pace.
                    next_try_ns = self._clock()
                except Exception as err:  # a backend bug: lose the device, never the recorder
                    log.exception("audio: reading %s failed", feed.kind)
                    feed.error = f"reading failed: {type(err).__name__}: {err}"
                    self._close(feed)
                    next_try_ns = self._clock() + _RETRY_NS
            else:
                self._stopping.wait(_READ_TIMEOUT_S)
            now = self._clock()
            if block is not None:
                last_block_ns = now
                self._place(feed, block.t_ns, block.pcm)
            elif now - last_block_ns > _SILENCE_AFTER_NS:
                feed.push_silence(feed.timeline.fill_until(now - _SILENCE_AFTER_NS))

    def _place(self, feed: _Feed, t_ns: int, pcm: npt.NDArray[np.float32]) -> None:
        timeline = feed.timeline
        resyncs = timeline.resyncs
        placement = timeline.place(t_ns, len(pcm))
        if timeline.resyncs != resyncs:
            with feed.lock:
                feed.resyncs.append(feed.end)
        feed.push_silence(placement.silence)
        kept = pcm[placement.skip :]
        if len(kept):
            feed.push(kept)
            peak = float(np.max(np.abs(kept)))
            now = self._clock()
            if peak >= feed.peak or now - feed.peak_t_ns > _LEVEL_WINDOW_NS:
                feed.peak, feed.peak_t_ns = peak, now

    # ---- encoding ----------------------------------------------------------------------

    def _encode_loop(self) -> None:
        position = 0
        while True:
            stopping = self._stopping.wait(_ENCODE_EVERY_S)
            ready = min(feed.end for feed in self._feeds)
            count = ready - position
            if count > 0:
                try:
                    self._encode(position, count)
                except Exception as err:  # keep the video recording; say why sound stopped
                    if self._encode_error is None:
                        log.exception("audio: encoding failed; clips are silent from here")
                    self._encode_error = f"{type(err).__name__}: {err}"
                position = ready
            if stopping:
                break
        for encoder, ring in self._encoders:
            try:
                for packet in encoder.flush():
                    ring.append(packet)
            except Exception:
                log.debug("audio: encoder flush at stop failed", exc_info=True)

    def _encode(self, position: int, count: int) -> None:
        pcm = {feed.kind: feed.take(count) for feed in self._feeds}
        if len(pcm) == 1:
            ((kind, only),) = pcm.items()
            mix = only if self._volumes[kind] == 1.0 else only * self._volumes[kind]
        else:
            mix = sum(p * self._volumes[k] for k, p in pcm.items())  # type: ignore[assignment]
        by_ring = {self.tracks[0].ring: mix}
        for track in self.tracks[1:]:
            by_ring.setdefault(track.ring, pcm[track.sources[0]])
        for encoder, ring in self._encoders:
            if self._encode_error is not None:
                return
            for packet in encoder.encode(np.asarray(by_ring[ring], dtype=np.float32)):
                ring.append(packet)
        # The rings keep buffer+1 s: silence and correction records older than that go.
        oldest = position + count - (self.tracks[0].ring.max_seconds + 1) * SAMPLE_RATE
        for feed in self._feeds:
            feed.forget_before(oldest)

    # ---- saving ------------------------------------------------------------------------

    def covers(self, t_ns: int) -> bool:
        """Every track has encoded sound up to ``t_ns``."""
        return all(t.ring.covers(_last_start_ns(t_ns)) for t in self.tracks)

    def wait_covered(self, t_ns: int, timeout_s: float) -> bool:
        """Block until every track has encoded sound up to ``t_ns`` (or the timeout)."""
        deadline = self._clock() + int(timeout_s * NS_PER_S)
        for ring in self._rings:
            left = max(0.0, (deadline - self._clock()) / NS_PER_S)
            if not ring.wait_covered(_last_start_ns(t_ns), left):
                return False
        return True

    def cut(self, start_t_ns: int, end_t_ns: int) -> AudioCut | None:
        """Each track's packets for ``[start, end)`` with :data:`PREROLL_SAMPLES` before it."""
        preroll_ns = (PREROLL_SAMPLES + AAC_FRAME) * NS_PER_S // SAMPLE_RATE
        snaps = {ring: ring.snapshot(start_t_ns - preroll_ns, end_t_ns) for ring in self._rings}
        if not all(snaps.values()):
            return None
        start = (start_t_ns - self.origin_t_ns) * SAMPLE_RATE // NS_PER_S
        end = (end_t_ns - self.origin_t_ns) * SAMPLE_RATE // NS_PER_S
        tracks = tuple(
            (track, [p for p in snaps[track.ring] if p.t_ns < end_t_ns]) for track in self.tracks
        )
        sources = tuple(
            AudioSourceFacts(
                kind=str(feed.kind),
                backend=self.backend.name if self.backend else "none",
                drift_ppm=feed.timeline.drift_ppm,
                silence_s=round(feed.silence_between(start, end) / SAMPLE_RATE, 3),
                resyncs=feed.resyncs_between(start, end),
            )
            for feed in self._feeds
        )
        facts = AudioFacts(
            codec="aac",
            sample_rate=SAMPLE_RATE,
            channels=CHANNELS,
            bit_rate=self.config.bitrate_bps,
            tracks=tuple(
                AudioTrackFacts(
                    index=i, name=t.name, title=t.title, sources=tuple(map(str, t.sources))
                )
                for i, t in enumerate(self.tracks, 1)
            ),
            sources=sources,
            preroll_samples=PREROLL_SAMPLES,
        )
        return AudioCut(tracks, facts)

    # ---- reporting ---------------------------------------------------------------------

    def status(self) -> AudioStatus:
        now = self._clock()
        sources = []
        for feed in self._feeds:
            fresh = now - feed.peak_t_ns <= _LEVEL_WINDOW_NS and feed.peak > 0
            sources.append(
                AudioSourceStatus(
                    kind=str(feed.kind),
                    device=feed.source.describe() if feed.source is not None else None,
                    state="recording" if feed.source is not None else "waiting",
                    error=feed.error or (self.problem if self.backend is None else None),
                    level_dbfs=round(20 * float(np.log10(feed.peak)), 1) if fresh else None,
                    drift_ppm=feed.timeline.drift_ppm,
                    silence_s=round(feed.timeline.gap_samples / SAMPLE_RATE, 3),
                    resyncs=feed.timeline.resyncs,
                    dropped_blocks=feed.dropped_blocks
                    + (feed.source.dropped_blocks if feed.source is not None else 0),
                )
            )
        stats = [ring.stats() for ring in self._rings]
        return AudioStatus(
            backend=self.backend.name if self.backend else "none",
            tracks=tuple(t.name for t in self.tracks),
            sources=tuple(sources),
            buffer_seconds=round(min(s.seconds for s in stats), 2),
            buffer_bytes=sum(s.bytes for s in stats),
        )
