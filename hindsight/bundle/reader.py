"""Opening a clip bundle and checking it against its manifest.

:func:`open_bundle` parses the manifest and names the path of each file;
:meth:`Bundle.verify` lists every way the folder differs from what the manifest
says (empty: the clip is whole). Nothing is modified.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from hindsight.bundle.layout import MANIFEST_FILE
from hindsight.bundle.manifest import BundleError, Manifest

__all__ = ["Bundle", "open_bundle", "read_manifest", "file_sha256"]

_CHUNK = 1 << 20


def read_manifest(folder: Path) -> Manifest:
    """The manifest of the bundle in ``folder``; a :class:`BundleError` says why it is no clip."""
    path = Path(folder) / MANIFEST_FILE
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise BundleError(f"{folder} is not a Hindsight clip (no {MANIFEST_FILE})") from None
    except OSError as err:
        raise BundleError(f"{path}: cannot be read ({err.strerror or err})") from None
    try:
        return Manifest.from_json(data)
    except BundleError as err:
        raise BundleError(f"{path}: cannot be read as a clip manifest: {err}") from None


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


@dataclass(frozen=True)
class Bundle:
    """A clip folder and its parsed manifest."""

    path: Path
    manifest: Manifest

    @property
    def manifest_path(self) -> Path:
        return self.path / MANIFEST_FILE

    @property
    def video_path(self) -> Path:
        return self.path / self.manifest.video.file

    @property
    def actions_path(self) -> Path | None:
        """The per-frame action track, if the clip has one."""
        return self.path / self.manifest.track.file if self.manifest.track else None

    @property
    def events_path(self) -> Path | None:
        track = self.manifest.track
        return (
            self.path / track.events_file
            if track and track.events_file in self.manifest.files
            else None
        )

    @property
    def action_map_path(self) -> Path | None:
        pin = self.manifest.action_map
        return self.path / pin.file if pin else None

    def file_path(self, name: str) -> Path:
        return self.path / name

    def verify(self, *, uploaded: bool = False) -> list[str]:
        """Every problem found, one line each: files, sizes, hashes, the map pin, rows == frames.

        ``uploaded``: the clip is as an upload carries it, so a file that stays on the
        player's machine (the events file, unless sharing it was opted in) may be absent.
        """
        problems: list[str] = []
        m = self.manifest
        for name, facts in sorted(m.files.items()):
            if Path(name).name != name or name in ("", ".", "..", MANIFEST_FILE):
                problems.append(f"{name!r}: not a file name a bundle may list")
                continue
            path = self.path / name
            if not path.is_file():
                if not (uploaded and self._stays_local(name)):
                    problems.append(f"{name}: missing")
                continue
            size = path.stat().st_size
            if size != facts.bytes:
                problems.append(f"{name}: {size} bytes, the manifest says {facts.bytes}")
            elif file_sha256(path) != facts.sha256:
                problems.append(f"{name}: sha256 differs from the manifest")
        listed = [(m.video.file, "video")]
        if m.track:
            listed.append((m.track.file, "action track"))
        if m.action_map:
            listed.append((m.action_map.file, "action map"))
        problems += [
            f"{name}: the {role} is not listed in files"
            for name, role in listed
            if name not in m.files
        ]
        if m.action_map and (self.path / m.action_map.file).is_file():
            if file_sha256(self.path / m.action_map.file) != m.action_map.sha256:
                problems.append(
                    f"{m.action_map.file}: does not hash to the pinned map {m.action_map.ref}"
                )
        if m.track and (self.path / m.track.file).is_file():
            problems.extend(self._check_rows(self.path / m.track.file))
        return problems

    def _stays_local(self, name: str) -> bool:
        """The events file stays on the player's machine unless they opted in to share it."""
        track = self.manifest.track
        return track is not None and name == track.events_file and not track.events_shared

    def _check_rows(self, path: Path) -> list[str]:
        import pyarrow.parquet as pq  # only a bundle with a track needs it

        try:
            rows = pq.read_metadata(path).num_rows
        except Exception as err:  # pyarrow raises several types for a damaged file
            return [f"{path.name}: cannot be read as Parquet ({str(err).splitlines()[0]})"]
        m = self.manifest
        problems = []
        if rows != m.video.frames:
            problems.append(f"{path.name}: {rows} rows, the video has {m.video.frames} frames")
        if m.track and rows != m.track.rows:
            problems.append(f"{path.name}: {rows} rows, the manifest says {m.track.rows}")
        return problems


def open_bundle(path: Path | str) -> Bundle:
    """The bundle in ``path``, its manifest parsed; a :class:`BundleError` if it is not a clip."""
    folder = Path(path)
    return Bundle(path=folder, manifest=read_manifest(folder))
