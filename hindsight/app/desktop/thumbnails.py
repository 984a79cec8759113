"""Clip thumbnails: one frame per clip, made once with PyAV and cached on disk by clip id.

Making and reading thumbnails runs on worker threads and never on the UI thread: a
clip's frame is decoded from the keyframe nearest a third of the way in (one GOP at
most, no full decode), scaled, and saved as a JPEG in the cache folder under the
clip's id. Later opens read the JPEG. Results come back as a Qt signal carrying a
``QImage`` (safe to make off the UI thread; the view turns it into a pixmap).
"""

from __future__ import annotations

import logging
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import av
from PyQt6.QtCore import QObject, pyqtSignal
from PyQt6.QtGui import QImage

from hindsight.paths import cache_dir

__all__ = ["THUMB_WIDTH_PX", "ThumbnailLoader", "default_thumbnail_dir", "make_thumbnail"]

log = logging.getLogger(__name__)

THUMB_WIDTH_PX = 384  # twice a card's width on a 1x screen would be wasteful; crisp at 1.5x
_JPEG_QUALITY = 85
# Where in the clip the picture is taken: the start is often a menu or a fade, a third in
# is usually the action the player saved it for.
_POSITION = 1 / 3


def default_thumbnail_dir() -> Path:
    return cache_dir() / "thumbnails"


def make_thumbnail(video: Path, out: Path, width_px: int = THUMB_WIDTH_PX) -> QImage:
    """Decode one frame of ``video``, scale it to ``width_px`` wide, save it as JPEG at ``out``."""
    with av.open(str(video)) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        duration_s = float(container.duration or 0) / av.time_base
        if duration_s > 0:
            # Seeks to the keyframe at or before the point: decoding stops at the first frame.
            container.seek(int(duration_s * _POSITION * av.time_base), backward=True)
        frame = next(container.decode(stream), None)
        if frame is None:
            raise ValueError(f"{video} holds no video frame")
        height_px = max(2, round(frame.height * width_px / max(1, frame.width)) // 2 * 2)
        rgb = frame.reformat(width=width_px, height=height_px, format="rgb24").to_ndarray()
    image = QImage(rgb.data, width_px, height_px, rgb.strides[0], QImage.Format.Format_RGB888)
    image = image.copy()  # own the pixels: the numpy buffer goes away with this frame
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    # Written aside and renamed: a window closed mid-write never leaves half a JPEG in the cache.
    if image.save(str(tmp), "JPG", _JPEG_QUALITY):
        os.replace(tmp, out)
    return image


class ThumbnailLoader(QObject):
    """Hands out each clip's thumbnail from the cache, making it first when it is missing."""

    ready = pyqtSignal(str, QImage)  # clip id, picture
    failed = pyqtSignal(str)  # clip id: no picture (the card keeps its placeholder)

    def __init__(
        self, folder: Path | None = None, *, workers: int = 2, parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self.folder = folder if folder is not None else default_thumbnail_dir()
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="hindsight-thumb")
        self._pending: set[str] = set()
        self._lock = threading.Lock()
        self.made = 0  # made from the video (the rest came from the cache)
        self.read = 0

    def path_for(self, clip_id: str) -> Path:
        return self.folder / f"{clip_id}.jpg"

    def request(self, clip_id: str, video: Path) -> None:
        """Ask for a clip's picture; ``ready`` or ``failed`` follows once, from a worker."""
        with self._lock:
            if clip_id in self._pending:
                return
            self._pending.add(clip_id)
        self._pool.submit(self._load, clip_id, video)

    def forget(self, clip_id: str) -> None:
        """Drop a deleted clip's cached picture."""
        self.path_for(clip_id).unlink(missing_ok=True)

    def shutdown(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)

    def _load(self, clip_id: str, video: Path) -> None:
        path = self.path_for(clip_id)
        image = QImage(str(path)) if path.is_file() else QImage()
        try:
            made = image.isNull()
            if made:
                image = make_thumbnail(video, path)
            with self._lock:  # two workers count
                self.made += made
                self.read += not made
        except (av.error.FFmpegError, OSError, ValueError, StopIteration) as err:
            log.info("no thumbnail for clip %s: %s", clip_id[:8], err)
            self.failed.emit(clip_id)
            return
        finally:
            with self._lock:
                self._pending.discard(clip_id)
        self.ready.emit(clip_id, image)
