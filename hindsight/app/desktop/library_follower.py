"""Following the clip library and the clips folder, so a clip saved while the window is open
appears in it within a second.

The recorder registers each clip it saves in the library, and a recorder started without
one only renames the finished bundle into the clips folder (atomically: a folder with a
manifest appears whole). So both are watched: a :class:`QFileSystemWatcher` on the
folder, and a one-second poll of the library that also notices a folder changed behind
the watcher's back. Each refresh runs on a worker; at most one runs at a time, and a
request made meanwhile is served right after it.
"""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from PyQt6.QtCore import QFileSystemWatcher, QObject, QTimer, pyqtSignal

from hindsight.bundle import MANIFEST_FILE
from hindsight.errors import HindsightError
from hindsight.uploader.errors import UploaderError
from hindsight.uploader.library import ClipLibrary, ClipRecord

__all__ = ["POLL_MS", "LibraryFollower"]

log = logging.getLogger(__name__)

POLL_MS = 1000  # a clip registered by the recorder shows within this


class LibraryFollower(QObject):
    """Emits ``listed`` with the library's clips whenever they may have changed."""

    # list[ClipRecord] and the ids of those whose folder is gone, on the UI thread
    listed = pyqtSignal(object, object)

    def __init__(self, library: ClipLibrary, clips_dir: Path, parent: QObject | None = None):
        super().__init__(parent)
        self.library = library
        self.clips_dir = clips_dir
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="hindsight-list")
        self._running = False
        self._paused = False
        self._again: bool | None = None  # asked for while one ran (and whether it scans)
        self._scanned_mtime_ns = -1
        self._watcher = QFileSystemWatcher(self)
        self._watcher.directoryChanged.connect(lambda _: self.refresh(scan=True))
        self._poll = QTimer(self)
        self._poll.setInterval(POLL_MS)
        self._poll.timeout.connect(self._tick)
        self._done = _Relay(self)
        self._done.listed.connect(self._listed)

    def start(self) -> None:
        self._watch()
        self._poll.start()
        self.refresh(scan=True)

    def pause(self) -> None:
        """Stop looking (the window is closed); :meth:`resume` looks again at once."""
        self._poll.stop()
        self._paused = True

    def resume(self) -> None:
        if self._paused:
            self._paused = False
            self._poll.start()
            self.refresh(scan=True)

    def stop(self) -> None:
        self._poll.stop()
        self._pool.shutdown(wait=False, cancel_futures=True)

    def refresh(self, *, scan: bool = False) -> None:
        """List the library again (after registering unknown folders, with ``scan``)."""
        if self._paused:
            return  # nobody is looking; resume() lists with a scan
        if self._running:
            self._again = bool(self._again) or scan
            return
        self._running = True
        if scan:
            self._scanned_mtime_ns = self._folder_mtime_ns()
        self._pool.submit(self._list, scan)

    def _list(self, scan: bool) -> None:
        clips: list[ClipRecord] | None = None
        missing: frozenset[str] = frozenset()
        try:
            if scan:
                self._register_new_folders()
            clips = self.library.clips(include_deleted=False)
            # Checked here, not while painting: a stat per card per paint stalls the UI thread.
            missing = frozenset(c.id for c in clips if not c.path.is_dir())
        except HindsightError as err:  # a damaged database: the grid keeps what it shows
            log.warning("the clip library cannot be listed: %s", err)
        except Exception:
            log.exception("listing the clip library failed")
        self._done.listed.emit(clips, missing)

    def _register_new_folders(self) -> None:
        """Register bundles the library does not know (saved while no library was attached).

        Only folders whose path the library lacks are read, so a folder of 500 known
        clips costs 500 directory entries, not 500 manifests.
        """
        if not self.clips_dir.is_dir():
            return
        known = {c.path for c in self.library.clips()}
        for entry in self.clips_dir.iterdir():
            if entry.name.startswith(".") or entry in known:
                continue  # hidden: a save still being written
            if (entry / MANIFEST_FILE).is_file():
                try:
                    self.library.register(entry)
                except UploaderError as err:
                    log.info("%s is not a clip the library can hold: %s", entry.name, err)

    def _listed(self, clips: list[ClipRecord] | None, missing: frozenset[str]) -> None:
        self._running = False
        if clips is not None:
            self.listed.emit(clips, missing)
        if self._again is not None:
            scan, self._again = self._again, None
            self.refresh(scan=scan)

    def _folder_mtime_ns(self) -> int:
        try:
            return self.clips_dir.stat().st_mtime_ns
        except OSError:
            return -1

    def _watch(self) -> None:
        if self.clips_dir.is_dir() and str(self.clips_dir) not in self._watcher.directories():
            self._watcher.addPath(str(self.clips_dir))

    def _tick(self) -> None:
        self._watch()  # the recorder makes the folder on its first save
        self.refresh(scan=self._folder_mtime_ns() != self._scanned_mtime_ns)


class _Relay(QObject):
    """Carries a worker's result to the UI thread (a signal emitted off it is queued)."""

    listed = pyqtSignal(object, object)
