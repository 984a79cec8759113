"""Placing a source's audio blocks on the clip's sample timeline, counting every fix.

Every audio track of a recorder run shares one grid: sample ``s`` is heard at
``origin_t_ns + s / rate`` on the one clock. Encoders number samples only by that
grid, so a packet's clock time is exact and a save cuts audio and video on the same
span with no per-stream rebasing. This state machine makes each source's blocks
fit the grid. It is pure (no threads, no clock reads, no PCM): it is told a block's
stamp and length and answers how many samples of silence to put before it and how
many of its first samples to drop. The caller applies that to the PCM.

Why not simply trust each stamp: stamps jitter by a few milliseconds (thread
wake-ups, the server's latency estimate), and following them block by block would
chop the sound. The sample counter keeps the sound continuous; stamps are only
*measured* against it, as the median error over the last blocks:

* while the first ``settle_ns`` of a source pass, the median error is collected and
  then removed once, so the anchor rests on many stamps, not on the first;
* afterwards an error past ``correct_ns`` (drift between the device's sample clock
  and ours, or a latency change) is removed by inserting silence or dropping
  samples, and counted. The median of 32 blocks moves by well under a millisecond
  with jitter alone, so a few milliseconds is already a real change: a sink's
  latency that steps by 10 ms (it left idle) must not stay in the clip as an offset.
  A busy machine can still bunch late wake-ups into one window, so an error is only
  removed once a second, separate window shows it too;
* a jump past ``gap_ns`` (a device that stalled or came back) is filled with silence
  at once and counted as a gap;
* when no block comes at all, :meth:`AudioTimeline.fill_until` writes silence up to a
  time, so the track keeps pace with the video through a lost device.

After a gap or a fill the source settles again: a device that comes back (or a new
one) has its own latency, and its first stamp is as jittery as any.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from statistics import median_low

from hindsight.clock import NS_PER_S
from hindsight.recorder.audio.source import SAMPLE_RATE

__all__ = ["TimelineConfig", "Placement", "AudioTimeline"]


@dataclass(frozen=True)
class TimelineConfig:
    rate: int = SAMPLE_RATE
    settle_ns: int = 500_000_000  # the first half second measures the anchor
    correct_ns: int = 5_000_000  # drift and latency changes are corrected past this
    gap_ns: int = 100_000_000  # a jump past this is a gap, filled at once
    window_blocks: int = 32  # the median error is taken over this many blocks

    def __post_init__(self) -> None:
        if self.rate <= 0:
            raise ValueError(f"rate {self.rate}: must be > 0")
        if not 0 < self.correct_ns < self.gap_ns:
            raise ValueError("timeline: need 0 < correct_ns < gap_ns")
        if self.window_blocks < 1 or self.settle_ns < 0:
            raise ValueError("timeline: window_blocks >= 1 and settle_ns >= 0")


@dataclass(frozen=True, slots=True)
class Placement:
    """Put ``silence`` samples of silence on the track, then the block from sample ``skip``."""

    silence: int
    skip: int


class AudioTimeline:
    """One source's position on the shared sample grid, with counters for every fix."""

    def __init__(self, origin_t_ns: int, config: TimelineConfig | None = None) -> None:
        self.config = config or TimelineConfig()
        self.origin_t_ns = origin_t_ns
        #: the next grid sample this source writes
        self.position = 0
        self.blocks = 0
        #: silence before the source's first block (it started after the grid did)
        self.lead_samples = 0
        #: silence for gaps: the device stalled, went away, or sent nothing
        self.gap_samples = 0
        self.gaps = 0
        #: drift and latency resyncs: silence inserted, samples dropped, how often
        self.inserted_samples = 0
        self.dropped_samples = 0
        self.resyncs = 0
        self._rate = self.config.rate
        self._errors: deque[int] = deque(maxlen=self.config.window_blocks)
        self._first_t_ns: int | None = None
        self._settled = False
        self._owed_drop = 0  # samples still to drop, a correction larger than the block
        self._suspect: int | None = None  # a window's median past the threshold, to confirm
        # For drift: position, gap, inserted and dropped samples when the source settled.
        self._base: tuple[int, int, int, int] | None = None
        # inserted and dropped samples when settling began: what settling fixes is not drift
        self._anchor_counts = (0, 0)

    # ---- the grid ----------------------------------------------------------------------

    def sample_at(self, t_ns: int) -> int:
        """The grid sample heard at ``t_ns`` (rounded down)."""
        return (t_ns - self.origin_t_ns) * self._rate // NS_PER_S

    def t_ns_of(self, sample: int) -> int:
        """The clock time of grid sample ``sample``."""
        return self.origin_t_ns + sample * NS_PER_S // self._rate

    def _samples(self, ns: int) -> int:
        return ns * self._rate // NS_PER_S

    # ---- placing -----------------------------------------------------------------------

    def place(self, t_ns: int, frames: int) -> Placement:
        """Where a block of ``frames`` samples stamped ``t_ns`` goes; advances the position."""
        if frames < 0:
            raise ValueError(f"a block has frames >= 0, got {frames}")
        self.blocks += 1
        # Samples still owed to a drop are cut from this block's front, so its first kept
        # sample belongs that much later.
        ideal = self.sample_at(t_ns) + self._owed_drop
        if self._first_t_ns is None:
            self._first_t_ns = t_ns
            if ideal >= self.position:
                if self.blocks == 1:
                    self.lead_samples += ideal - self.position
                else:  # a source back after a fill: the rest of its silence
                    self.gap_samples += ideal - self.position
                return self._emit(ideal - self.position, 0, frames)
            # Stamped before the grid's present (the grid started earlier or was filled
            # with silence meanwhile): the overlap is already on the track.
            return self._drop(self.position - ideal, frames)
        error = ideal - self.position
        if error > self._samples(self.config.gap_ns):
            self.gaps += 1
            self.gap_samples += error
            self._resettle(t_ns)
            return self._emit(error, 0, frames)
        if error < -self._samples(self.config.gap_ns):
            # The stamps jumped back for good (the server's latency shrank): follow them.
            self._errors.clear()
            self.resyncs += 1
            return self._drop(-error, frames)
        self._errors.append(error)
        if not self._settled:
            if t_ns - self._first_t_ns < self.config.settle_ns:
                return self._emit(0, 0, frames)
            inserted, dropped = self._anchor_counts
            placement = self._correct(median_low(self._errors), frames)
            # Drift is measured from the first settling on; what any settling fixed was
            # the anchor, not drift.
            if self._base is None:
                self._base = (
                    self.position,
                    self.gap_samples,
                    self.inserted_samples,
                    self.dropped_samples,
                )
            else:
                position, gaps, base_inserted, base_dropped = self._base
                self._base = (
                    position,
                    gaps,
                    base_inserted + self.inserted_samples - inserted,
                    base_dropped + self.dropped_samples - dropped,
                )
            self._settled = True
            return placement
        if len(self._errors) == self._errors.maxlen:
            median = median_low(self._errors)
            if abs(median) <= self._samples(self.config.correct_ns):
                self._suspect = None
            elif self._suspect is not None and (self._suspect > 0) == (median > 0):
                # A second, separate window agrees: the offset is real. Remove what both
                # windows saw, never more.
                return self._correct(min(self._suspect, median, key=abs), frames)
            else:
                # One window past the threshold may be a busy moment (late wake-ups
                # bunch up); a fresh window must confirm it before a sample moves.
                self._suspect = median
                self._errors.clear()
        return self._emit(0, 0, frames)

    def _correct(self, error: int, frames: int) -> Placement:
        self._errors.clear()
        self._suspect = None
        if error == 0:
            return self._emit(0, 0, frames)
        self.resyncs += 1
        if error > 0:
            self.inserted_samples += error
            return self._emit(error, 0, frames)
        return self._drop(-error, frames)

    def fill_until(self, t_ns: int) -> int:
        """Silence samples that bring the position up to ``t_ns`` (none if already there)."""
        target = self.sample_at(t_ns)
        if target <= self.position:
            return 0
        count = target - self.position
        self.position = target
        self.gap_samples += count
        self.gaps += 1
        self._resettle(None)
        return count

    def _resettle(self, first_t_ns: int | None) -> None:
        # None: the next block is placed like a source's first one (overlap dropped).
        self._errors.clear()
        self._suspect = None
        self._first_t_ns = first_t_ns
        self._settled = False
        self._anchor_counts = (self.inserted_samples, self.dropped_samples)

    def _drop(self, count: int, frames: int) -> Placement:
        self.dropped_samples += count
        self._owed_drop += count
        return self._emit(0, 0, frames)

    def _emit(self, silence: int, skip: int, frames: int) -> Placement:
        if self._owed_drop:
            extra = min(self._owed_drop, frames - skip)
            skip += extra
            self._owed_drop -= extra
        self.position += silence + frames - skip
        return Placement(silence, skip)

    # ---- reporting ---------------------------------------------------------------------

    @property
    def error_ns(self) -> int:
        """How far the latest stamps are from the grid (median; positive: stamps later)."""
        if not self._errors:
            return 0
        return median_low(self._errors) * NS_PER_S // self._rate

    @property
    def drift_ppm(self) -> float:
        """How much faster than the clock the device delivers samples, in parts per million.

        Measured since the source settled: samples inserted mean it delivered too few,
        samples dropped too many, and the error still left counts as well. Gaps are not
        drift and are left out.
        """
        if self._base is None:
            return 0.0
        position, gaps, inserted, dropped = self._base
        elapsed = (self.position - position) - (self.gap_samples - gaps)
        if elapsed <= 0:
            return 0.0
        remaining = median_low(self._errors) if self._errors else 0
        surplus = (self.dropped_samples - dropped) - (self.inserted_samples - inserted) - remaining
        return round(surplus / elapsed * 1e6, 1)
