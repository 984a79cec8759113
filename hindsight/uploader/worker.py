"""The upload queue runner: claims due clips, uploads them, retries with backoff, respects consent.

One runner per process. ``run_until_idle`` serves ``hindsight upload`` in a terminal;
``start`` runs the same loop on a background thread in the recorder, woken when a
clip is queued. A clip that fails is marked ``failed`` with its reason and the time
of its next try (exponential backoff with jitter), and the queue goes on with the
rest. A problem of the target itself (credentials, bucket) ends the pass, since
every clip would fail the same way.
"""

from __future__ import annotations

import logging
import os
import random
import socket
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import psutil

from hindsight.bundle import CLIPS_PURPOSE, DATASET_PURPOSE
from hindsight.uploader.config import UploadConfig
from hindsight.uploader.deletion import PlaceTransports, delete_remote, finish_pending_deletes
from hindsight.uploader.engine import (
    ClipChanged,
    ClipFolderMissing,
    ClipReport,
    ClipUploader,
    UploadStopped,
)
from hindsight.uploader.errors import (
    BucketMissing,
    ConsentRequired,
    CredentialsRejected,
    TransportError,
    UploaderError,
)
from hindsight.uploader.library import ClipLibrary, ClipRecord, now_ms
from hindsight.uploader.progress import UploadProgress
from hindsight.uploader.ratelimit import RateLimiter
from hindsight.uploader.states import WITHDRAWN_REASON, ClipState
from hindsight.uploader.transport import Transport, create_transport

__all__ = [
    "Outcome",
    "UploadRunner",
    "backoff_delay_s",
    "make_owner",
    "owner_dead",
    "process_alive",
    "require_consent",
    "upload_metadata",
]

log = logging.getLogger(__name__)

_POLL_S = 5.0
_HEARTBEAT_S = 0.5
_SWEEP_S = 60.0


def backoff_delay_s(
    attempts: int, base_s: float, max_s: float, rng: random.Random | None = None
) -> float:
    """Exponential backoff with jitter: uniform in [cap/2, cap], cap = min(max, base *
    2**attempts)."""
    cap = min(max_s, base_s * 2 ** min(attempts, 30))
    return (rng or random).uniform(cap / 2, cap)


def process_alive(pid: int, started_ms: int | None) -> bool:
    """Whether process ``pid`` still runs (and is the same process, when its start time is
    known)."""
    try:
        proc = psutil.Process(pid)
        if started_ms is not None and abs(proc.create_time() * 1000 - started_ms) > 1000:
            return False  # the pid was reused by another program
        return proc.status() != psutil.STATUS_ZOMBIE
    except (psutil.NoSuchProcess, psutil.AccessDenied, ValueError):
        return False


def upload_metadata(library: ClipLibrary) -> dict[str, str]:
    """Object metadata saying who (pseudonym) and under which consent a clip was shared."""
    dataset = library.consent(DATASET_PURPOSE)
    meta = {
        "consent-clips": library.consent(CLIPS_PURPOSE).version or "none",
        "consent-dataset": (dataset.version or "none") if dataset.current else "none",
    }
    if dataset.current:
        # The pseudonym links one install's contributions; without dataset consent nothing needs it.
        meta["contributor"] = library.contributor_id()
    return meta


_HOST = socket.gethostname()


def make_owner() -> str:
    """A lease owner naming this process: ``host:pid:start_ms:random``."""
    started_ms = int(psutil.Process().create_time() * 1000)
    return f"{_HOST}:{os.getpid()}:{started_ms}:{uuid.uuid4().hex[:8]}"


def owner_dead(owner: str) -> bool:
    """Whether a lease owner is a process of this machine that no longer runs (others: unknown,
    False)."""
    host, _, rest = owner.partition(":")
    pid, _, rest = rest.partition(":")
    started, _, _ = rest.partition(":")
    if host != _HOST or not pid.isdigit() or not started.isdigit():
        return False
    return not process_alive(int(pid), int(started))


def require_consent(library: ClipLibrary) -> None:
    """Raise :class:`ConsentRequired` unless sharing clips is consented to, for the current text."""
    if not library.consent(CLIPS_PURPOSE).current:
        raise ConsentRequired(
            "nothing was uploaded: sharing clips needs your consent; read it with "
            "`hindsight consent show clips` and agree with `hindsight consent grant clips`"
        )


@dataclass(frozen=True)
class Outcome:
    clip: ClipRecord
    ok: bool
    error: str | None = None
    report: ClipReport | None = None


class UploadRunner:
    """Works the library's upload queue against one target."""

    def __init__(
        self,
        library: ClipLibrary,
        config: UploadConfig,
        *,
        transport: Transport | None = None,
        transport_factory: Callable[..., Transport] = create_transport,
        on_bytes: Callable[[int], None] = lambda n: None,
        on_outcome: Callable[[Outcome], None] = lambda o: None,
    ) -> None:
        self.library = library
        self.config = config
        self._transport = transport
        self._transport_factory = transport_factory
        self.owner = make_owner()
        self.limiter = (
            RateLimiter(config.max_rate_bytes_per_s) if config.max_rate_bytes_per_s else None
        )
        self.on_bytes = on_bytes
        self.on_outcome = on_outcome
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.last_error: str | None = None

    @property
    def transport(self) -> Transport:
        if self._transport is None:
            if self.config.target is None:
                raise UploaderError(
                    "no upload target: set [upload] bucket in settings.toml or pass --bucket"
                )
            self._transport = self._transport_factory(self.config.target)
        return self._transport

    # ---- one pass ------------------------------------------------------------------------

    def run_until_idle(
        self,
        clip_ids: Sequence[str] | None = None,
        *,
        include_failed: bool = False,
        retry_for_s: float = 0.0,
    ) -> list[Outcome]:
        """Upload due clips until none is left; transient failures are retried for
        ``retry_for_s``."""
        self._require_consent()
        self.transport.check_bucket()
        outcomes: dict[str, Outcome] = {}
        deadline = time.monotonic() + retry_for_s
        self.library.expire_dead_leases(owner_dead)
        while not self._stop.is_set():
            clip = self.library.claim(
                self.owner, self.config.lease_s, clip_ids=clip_ids, include_failed=include_failed
            )
            if clip is None:
                wait_s = self._next_retry_in_s(clip_ids)
                if wait_s is None or time.monotonic() + wait_s > deadline:
                    break
                self._stop.wait(wait_s)
                continue
            outcome = self.upload_one(clip)
            outcomes[clip.id] = outcome
            include_failed = (
                include_failed and outcome.ok
            )  # a failed clip waits for its backoff now
        return list(outcomes.values())

    def _next_retry_in_s(self, clip_ids: Sequence[str] | None) -> float | None:
        due = [
            c.next_retry_ms
            for c in self.library.clips((ClipState.FAILED,))
            if c.next_retry_ms is not None and (clip_ids is None or c.id in clip_ids)
        ]
        if not due:
            return None
        return max(0.0, (min(due) - now_ms()) / 1000)

    def _require_consent(self) -> None:
        require_consent(self.library)

    def upload_one(self, clip: ClipRecord) -> Outcome:
        """Upload a clip this runner has claimed and record the result."""
        uploader = ClipUploader(
            self.library,
            self.transport,
            self.config,
            limiter=self.limiter,
            metadata=upload_metadata(self.library),
            on_bytes=self.on_bytes,
        )
        go = threading.Event()
        go.set()
        done = threading.Event()

        def heartbeat() -> None:
            # Consent and deletion are decided in other processes; the library is where we
            # hear of them. The lease is renewed here too, so a slow file never loses it.
            while not done.wait(_HEARTBEAT_S):
                try:
                    if not (
                        self.library.consent(CLIPS_PURPOSE).current
                        and self.library.renew(clip.id, self.owner, self.config.lease_s)
                    ):
                        go.clear()
                        return
                except UploaderError as err:
                    log.warning("could not renew the upload lease: %s", err)

        beat = threading.Thread(target=heartbeat, name="hindsight-upload-lease", daemon=True)
        beat.start()

        def keep_going() -> bool:
            return go.is_set() and not self._stop.is_set()

        try:
            outcome = self._attempt(clip, uploader, keep_going)
        finally:
            done.set()
            beat.join()
        if not outcome.ok:
            self.last_error = outcome.error
            log.warning("upload of clip %s failed: %s", clip.short_id, outcome.error)
        self.on_outcome(outcome)
        return outcome

    def _attempt(
        self, clip: ClipRecord, uploader: ClipUploader, keep_going: Callable[[], bool]
    ) -> Outcome:
        try:
            report = uploader.upload(clip, keep_going)
        except UploadStopped:
            outcome = self._stopped(clip)
        except (ClipFolderMissing, ClipChanged) as err:
            self.library.mark_failed(
                clip.id, self.owner, str(err), None
            )  # no retry: it cannot get better
            outcome = Outcome(clip, False, str(err))
        except TransportError as err:
            self.library.mark_failed(clip.id, self.owner, str(err), self._retry_at_ms(clip))
            outcome = Outcome(clip, False, str(err))
            if isinstance(err, CredentialsRejected | BucketMissing):
                self.on_outcome(outcome)
                raise
        except UploaderError as err:
            self.library.mark_failed(clip.id, self.owner, str(err), self._retry_at_ms(clip))
            outcome = Outcome(clip, False, str(err))
        except OSError as err:
            reason = f"reading the clip failed: {err.strerror or err}"
            self.library.mark_failed(clip.id, self.owner, reason, self._retry_at_ms(clip))
            outcome = Outcome(clip, False, reason)
        else:
            self.library.mark_uploaded(clip.id, self.owner)
            outcome = Outcome(self.library.get(clip.id), True, report=report)
            log.info(
                "uploaded clip %s (%d bytes sent in %.1f s)",
                clip.short_id,
                report.bytes_sent,
                report.seconds,
            )
        return outcome

    def _retry_at_ms(self, clip: ClipRecord) -> int:
        delay_s = backoff_delay_s(clip.attempts, self.config.retry_base_s, self.config.retry_max_s)
        return now_ms() + int(delay_s * 1000)

    def _stopped(self, clip: ClipRecord) -> Outcome:
        current = self.library.get(clip.id)
        if current.state == ClipState.UPLOADING and current.lease_owner not in (None, self.owner):
            return Outcome(current, False, "taken over by another uploader")
        consenting = self.library.consent(CLIPS_PURPOSE).current
        if consenting and current.state == ClipState.UPLOADING:
            # Our own shutdown: the open upload stays, the next start resumes it.
            self.library.mark_failed(
                clip.id, self.owner, "uploader stopped; resumes at the next start", now_ms()
            )
            return Outcome(self.library.get(clip.id), False, "uploader stopped")
        # Consent withdrawn or the clip deleted: nothing more leaves, partial data is removed.
        for key, upload_id in UploadProgress(self.library).open_uploads(clip.id):
            try:
                self.transport.abort_multipart(key, upload_id)
            except TransportError as err:
                log.warning("could not abort the partial upload of %s: %s", key, err)
        # Files that made it before the stop are an incomplete clip (no manifest): remove them too.
        removed = current.remote is not None
        if current.remote is not None:
            try:
                delete_remote(self.transport, current.remote)
            except TransportError as err:
                removed = False  # the place stays known, so a later withdrawal removes them
                log.warning("objects of clip %s remain in the bucket: %s", clip.short_id, err)
        UploadProgress(self.library).forget(clip.id)
        if current.state == ClipState.DELETED:
            return Outcome(current, False, "clip deleted")
        if removed:
            self.library.clear_remote(clip.id)
        if current.state == ClipState.UPLOADING:
            self.library.mark_local(clip.id, WITHDRAWN_REASON)
        return Outcome(self.library.get(clip.id), False, WITHDRAWN_REASON)

    # ---- background ----------------------------------------------------------------------

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="hindsight-uploader", daemon=True)
        self._thread.start()

    def wake(self) -> None:
        self._wake.set()

    def stop(self, timeout_s: float = 10.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout_s)
            self._thread = None

    def _loop(self) -> None:
        next_sweep = 0.0
        transports = PlaceTransports(
            self.config.target, factory=self._transport_factory, current=lambda: self.transport
        )
        while not self._stop.is_set():
            try:
                self.library.release_waits(process_alive)
                self.library.expire_dead_leases(owner_dead)
                if time.monotonic() >= next_sweep:
                    # Bucket copies of deleted clips that an outage left behind.
                    next_sweep = time.monotonic() + _SWEEP_S
                    finish_pending_deletes(self.library, transports)
                if self.library.consent(CLIPS_PURPOSE).current:
                    clip = self.library.claim(self.owner, self.config.lease_s)
                    if clip is not None:
                        self.upload_one(clip)
                        continue
            except UploaderError as err:
                self.last_error = str(err)
                log.warning("uploads paused: %s", err)
            except Exception:
                log.exception("uploader loop failed (retrying)")
            self._wake.wait(self._idle_wait_s())
            self._wake.clear()

    def _idle_wait_s(self) -> float:
        try:
            due = self.library.next_due_ms()
        except UploaderError:
            return _POLL_S
        if due is None:
            return _POLL_S
        return min(_POLL_S, max(0.05, (due - now_ms()) / 1000))
