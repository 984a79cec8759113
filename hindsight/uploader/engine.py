"""Uploading one clip: its files in order, the video as a resumable multipart upload, the manifest
last.

Parts are read from a memory map (no copies), hashed once for their own checksum and
once into the whole-file hash, and sent by a small thread pool under one shared
bandwidth cap. Each confirmed part is written to the library at once; a resumed
upload asks the server which parts it holds and sends only the rest. The whole
file must still hash to the manifest's value before the upload is completed, so a
file changed after saving is never published under the clip's name.
"""

from __future__ import annotations

import hashlib
import logging
import mmap
import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path

from hindsight.bundle import EVENTS_FILE, MANIFEST_FILE, Manifest
from hindsight.uploader.config import UploadConfig, UploadTarget
from hindsight.uploader.errors import TransportError, UploaderError, UploadGone
from hindsight.uploader.library import ClipLibrary, ClipRecord, RemotePlace, read_manifest
from hindsight.uploader.progress import FileProgress, FileSpec, PartDone, UploadProgress
from hindsight.uploader.ratelimit import RateLimiter
from hindsight.uploader.transport import CompletedPart, Transport, sha256_b64

__all__ = [
    "CONTENT_TYPES",
    "ClipFolderMissing",
    "ClipChanged",
    "UploadStopped",
    "FileReport",
    "ClipReport",
    "ClipUploader",
    "clip_files",
]

log = logging.getLogger(__name__)

CONTENT_TYPES = {
    ".mp4": "video/mp4",
    ".parquet": "application/vnd.apache.parquet",
    ".toml": "application/toml",
    ".json": "application/json",
}


class ClipFolderMissing(UploaderError):
    """The clip's folder (or one of its files) is gone; retrying will not help."""


class ClipChanged(UploaderError):
    """A file no longer matches the manifest's size or hash; it is not uploaded."""


class UploadStopped(UploaderError):
    """The upload was stopped on purpose (consent withdrawn, clip deleted, lease lost)."""


@dataclass
class FileReport:
    name: str
    bytes: int
    skipped: bool = False  # already complete on the server
    parts_sent: list[int] = field(default_factory=list)
    parts_reused: list[int] = field(default_factory=list)


@dataclass
class ClipReport:
    clip_id: str
    key_prefix: str
    files: list[FileReport] = field(default_factory=list)
    bytes_sent: int = 0
    seconds: float = 0.0


def clip_files(
    folder: Path, manifest: Manifest, target: UploadTarget, game_id: str, *, include_events: bool
) -> list[FileSpec]:
    """What goes up, in order: the manifest's files (events only on opt-in), then manifest.json."""
    specs = []
    video = manifest.video.file
    for name, facts in sorted(manifest.files.items(), key=lambda kv: (kv[0] != video, kv[0])):
        # The events file holds action edges with sub-frame times: shared only on its own opt-in.
        if name == EVENTS_FILE and not include_events:
            continue
        if "/" in name or name.startswith("."):
            raise ClipChanged(f"{folder}: manifest lists an unexpected file name {name!r}")
        path = folder / name
        try:
            size = path.stat().st_size
        except FileNotFoundError:
            raise ClipFolderMissing(f"{path} is gone; the clip cannot be uploaded") from None
        if size != facts.bytes:
            raise ClipChanged(
                f"{path} has changed since the clip was saved ({size} bytes, manifest says "
                f"{facts.bytes}); it is not uploaded"
            )
        specs.append(
            FileSpec(
                name,
                target.key(game_id, manifest.clip_id, name),
                size,
                facts.sha256,
                _content_type(name),
            )
        )
    data = (folder / MANIFEST_FILE).read_bytes()
    specs.append(
        FileSpec(
            MANIFEST_FILE,
            target.key(game_id, manifest.clip_id, MANIFEST_FILE),
            len(data),
            hashlib.sha256(data).hexdigest(),
            CONTENT_TYPES[".json"],
        )
    )
    return specs


def _content_type(name: str) -> str:
    return CONTENT_TYPES.get(Path(name).suffix, "application/octet-stream")


class ClipUploader:
    """Uploads clips of a library to one target; ``keep_going()`` is asked between parts."""

    def __init__(
        self,
        library: ClipLibrary,
        transport: Transport,
        config: UploadConfig,
        *,
        limiter: RateLimiter | None = None,
        metadata: dict[str, str] | None = None,
        on_bytes: Callable[[int], None] = lambda n: None,
    ) -> None:
        if config.target is None:
            raise UploaderError("no upload target is set")
        self.library = library
        self.progress = UploadProgress(library)
        self.transport = transport
        self.config = config
        self.target = config.target
        self.limiter = limiter
        self.metadata = dict(metadata or {})
        self.on_bytes = on_bytes

    def upload(self, clip: ClipRecord, keep_going: Callable[[], bool] = lambda: True) -> ClipReport:
        started = time.monotonic()
        if not clip.path.is_dir():
            raise ClipFolderMissing(
                f"the clip folder {clip.path} is gone (deleted outside Hindsight?)"
            )
        manifest = read_manifest(clip.path)
        specs = clip_files(
            clip.path,
            manifest,
            self.target,
            clip.game_id,
            include_events=self.config.include_events,
        )
        key_prefix = specs[-1].key.rsplit("/", 1)[0]
        self.library.set_remote(
            clip.id, RemotePlace(self.target.endpoint_url, self.target.bucket, key_prefix)
        )
        files, stale = self.progress.prepare(clip.id, specs)
        report = ClipReport(clip_id=clip.id, key_prefix=key_prefix)
        if not any(f.done or f.upload_id for f in files) and self._already_there(files[-1].spec):
            # The manifest goes last, so its presence means the whole clip is there: uploaded
            # before, but this library never heard (a rebuilt library, a kill after the last
            # request).
            for progress in files:
                self.progress.finish_file(progress.id)
                report.files.append(
                    FileReport(progress.spec.name, progress.spec.size, skipped=True)
                )
            report.seconds = time.monotonic() - started
            return report
        if clip.remote is not None:
            # An earlier attempt may have died between creating a multipart upload and
            # recording its id; such uploads would linger as hidden partial data.
            ours = {f.upload_id for f in files if f.upload_id}
            for key, upload_id in self.transport.list_multipart_uploads(key_prefix + "/"):
                if upload_id not in ours:
                    stale.append((key, upload_id))
        for key, upload_id in stale:
            self.transport.abort_multipart(key, upload_id)
        for progress in files:
            if not keep_going():
                raise UploadStopped("upload stopped")
            report.files.append(self._upload_file(clip, progress, keep_going, report))
        report.seconds = time.monotonic() - started
        return report

    # ---- one file ------------------------------------------------------------------------

    def _object_metadata(self, spec: FileSpec, clip: ClipRecord) -> dict[str, str]:
        return {"sha256": spec.sha256, "clip-id": clip.id, "game-id": clip.game_id, **self.metadata}

    def _already_there(self, spec: FileSpec) -> bool:
        remote = self.transport.head_object(spec.key)
        return (
            remote is not None
            and remote.size == spec.size
            and remote.metadata.get("sha256") == spec.sha256
        )

    def _upload_file(
        self,
        clip: ClipRecord,
        progress: FileProgress,
        keep_going: Callable[[], bool],
        report: ClipReport,
    ) -> FileReport:
        spec = progress.spec
        out = FileReport(spec.name, spec.size)
        if progress.done:
            out.skipped = True
            return out
        path = clip.path / spec.name
        if spec.size <= self.config.part_size_bytes and progress.upload_id is None:
            data = _read(path)
            if hashlib.sha256(data).hexdigest() != spec.sha256:
                raise ClipChanged(
                    f"{path} has changed since the clip was saved; it is not uploaded"
                )
            self.transport.put_object(
                spec.key,
                data,
                content_type=spec.content_type,
                metadata=self._object_metadata(spec, clip),
                sha256_b64=sha256_b64(data),
                limiter=self.limiter,
            )
            self.on_bytes(len(data))
            report.bytes_sent += len(data)
            self.progress.finish_file(progress.id)
            return out
        self._multipart(clip, progress, path, keep_going, out, report)
        return out

    def _resume_state(
        self, progress: FileProgress, mapped: memoryview
    ) -> tuple[str | None, dict[int, PartDone]]:
        """The open upload id and the parts the server holds that match the local bytes."""
        if progress.upload_id is None:
            return None, {}
        try:
            listed = self.transport.list_parts(progress.spec.key, progress.upload_id)
        except UploadGone:
            self.progress.reset_file(progress.id)
            return None, {}
        # A part number sent twice may be listed twice (SeaweedFS keeps both): match each copy.
        remote: dict[int, list] = {}
        for part in listed:
            remote.setdefault(part.part_number, []).append(part)
        part_size = progress.part_size or self.config.part_size_bytes
        done: dict[int, PartDone] = {}
        for number, copies in remote.items():
            known = progress.parts.get(number)
            if known is not None and any(
                c.etag == known.etag and c.size == known.size for c in copies
            ):
                done[number] = known
                continue
            # The server confirmed it but we were killed before recording it: keep it
            # if it is byte-for-byte ours (S3's part ETag is the part's MD5).
            start = (number - 1) * part_size
            chunk = mapped[start : start + part_size]
            md5 = hashlib.md5(chunk).hexdigest()
            match = next(
                (c for c in copies if len(chunk) == c.size and c.etag.strip('"') == md5), None
            )
            if match is not None:
                done[number] = PartDone(number, match.etag, sha256_b64(chunk), match.size)
                self.progress.add_part(progress.id, done[number])
        return progress.upload_id, done

    def _multipart(
        self,
        clip: ClipRecord,
        progress: FileProgress,
        path: Path,
        keep_going: Callable[[], bool],
        out: FileReport,
        report: ClipReport,
    ) -> None:
        spec = progress.spec
        try:
            fh = open(path, "rb")
        except FileNotFoundError:
            raise ClipFolderMissing(f"{path} is gone; the clip cannot be uploaded") from None
        with fh:
            mm = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)
            mapped = memoryview(mm)
            try:
                upload_id, done = self._resume_state(progress, mapped)
                if (
                    progress.upload_id is not None
                    and upload_id is None
                    and self._already_there(spec)
                ):
                    # The upload was completed but we were killed before recording it.
                    self.progress.finish_file(progress.id)
                    out.skipped = True
                    return
                part_size = (
                    progress.part_size if upload_id else None
                ) or self.config.part_size_bytes
                if upload_id is None:
                    upload_id = self.transport.create_multipart(
                        spec.key,
                        content_type=spec.content_type,
                        metadata=self._object_metadata(spec, clip),
                    )
                    self.progress.start_multipart(progress.id, upload_id, part_size)
                parts = self._send_parts(
                    progress.id, spec, mapped, part_size, upload_id, done, keep_going, out, report
                )
            finally:
                del mapped
                try:
                    mm.close()
                except BufferError:
                    pass  # a traceback still holds a slice of it; the collector closes it later
        if not keep_going():
            raise UploadStopped("upload stopped")
        try:
            self.transport.complete_multipart(
                spec.key,
                upload_id,
                [
                    CompletedPart(p.part_number, p.etag, p.sha256_b64)
                    for p in sorted(parts.values(), key=lambda p: p.part_number)
                ],
            )
        except UploadGone:
            if not self._already_there(spec):
                self.progress.reset_file(progress.id)
                raise
        self.progress.finish_file(progress.id)

    def _send_part(
        self, key: str, upload_id: str, number: int, chunk: memoryview
    ) -> tuple[str, str]:
        digest = sha256_b64(chunk)
        etag = self.transport.upload_part(
            key, upload_id, number, chunk, sha256_b64=digest, limiter=self.limiter
        )
        return etag, digest

    def _send_parts(
        self,
        file_id: int,
        spec: FileSpec,
        mapped: memoryview,
        part_size: int,
        upload_id: str,
        done: dict[int, PartDone],
        keep_going: Callable[[], bool],
        out: FileReport,
        report: ClipReport,
    ) -> dict[int, PartDone]:
        whole = hashlib.sha256()
        parts = dict(done)
        out.parts_reused = sorted(done)
        pending: dict[Future[tuple[str, str]], PartDone] = {}
        count = max(1, -(-spec.size // part_size))

        def settle(futures: set[Future[tuple[str, str]]]) -> None:
            for future in futures:
                part = pending.pop(future)
                etag, digest = future.result()
                part = PartDone(part.part_number, etag, digest, part.size)
                self.progress.add_part(file_id, part)
                parts[part.part_number] = part
                out.parts_sent.append(part.part_number)
                report.bytes_sent += part.size
                self.on_bytes(part.size)

        with ThreadPoolExecutor(
            self.config.parts_in_flight, thread_name_prefix="hindsight-upload"
        ) as pool:
            try:
                for number in range(1, count + 1):
                    chunk = mapped[(number - 1) * part_size : number * part_size]
                    if number in done:
                        whole.update(chunk)
                        continue
                    while len(pending) >= self.config.parts_in_flight:
                        finished, _ = wait(pending, timeout=0.5, return_when=FIRST_COMPLETED)
                        settle(finished)
                        if not finished and not keep_going():
                            raise UploadStopped("upload stopped")
                    if not keep_going():
                        raise UploadStopped("upload stopped")
                    # The part's own checksum is computed on the sending thread, in parallel
                    # with this one hashing the whole file (hashlib releases the GIL); the part
                    # goes first so its thread never waits for this hash.
                    future = pool.submit(self._send_part, spec.key, upload_id, number, chunk)
                    pending[future] = PartDone(number, "", "", len(chunk))
                    whole.update(chunk)
                while pending:
                    finished, _ = wait(pending, timeout=0.5, return_when=FIRST_COMPLETED)
                    settle(finished)
                    if not keep_going():
                        raise UploadStopped("upload stopped")
            except BaseException:
                # Let the parts in flight end, recording those that made it, before giving up.
                for future in list(pending):
                    try:
                        future.result()
                    except Exception:
                        pending.pop(future)
                try:
                    settle(set(pending))
                except TransportError:
                    pass
                raise
        if whole.hexdigest() != spec.sha256:
            self.transport.abort_multipart(spec.key, upload_id)
            self.progress.reset_file(file_id)
            raise ClipChanged(
                f"{spec.name} of clip {spec.key.rsplit('/', 2)[-2]} has changed since it was "
                "saved; "
                "it is not uploaded"
            )
        return parts


def _read(path: Path) -> bytes:
    try:
        with open(path, "rb") as fh:
            return fh.read()
    except FileNotFoundError:
        raise ClipFolderMissing(f"{path} is gone; the clip cannot be uploaded") from None
