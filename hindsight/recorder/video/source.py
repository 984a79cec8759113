"""The capture seam: what every capture source promises, whatever it grabs from.

A source is opened once, then asked for one frame at a time by the session, which
owns pacing and timestamps. Frames come back in the source's native pixel format
(``bgr0``/``bgra``); the session converts them with the one converter
:func:`hindsight.recorder.video.converter.choose_converter` picked, so no source converts
twice.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar, Self

from hindsight.recorder.errors import CaptureError

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    import av

    from hindsight.recorder.config import CaptureConfig

__all__ = ["CaptureGeometry", "CaptureSource", "resolve_geometry"]


@dataclass(frozen=True)
class CaptureGeometry:
    """A rectangle in screen (root window) coordinates."""

    x: int
    y: int
    width: int
    height: int

    def __str__(self) -> str:
        return f"{self.width}x{self.height}+{self.x}+{self.y}"

    @property
    def right(self) -> int:
        return self.x + self.width

    @property
    def bottom(self) -> int:
        return self.y + self.height

    def even(self) -> CaptureGeometry:
        """Round the size down to even numbers: H.264 4:2:0 cannot encode odd sizes."""
        return CaptureGeometry(self.x, self.y, self.width & ~1, self.height & ~1)

    def contains(self, other: CaptureGeometry) -> bool:
        return (
            other.x >= self.x
            and other.y >= self.y
            and other.right <= self.right
            and other.bottom <= self.bottom
        )

    def clip(self, bounds: CaptureGeometry) -> CaptureGeometry | None:
        """The part of this rectangle inside ``bounds``, or None when they don't overlap."""
        x, y = max(self.x, bounds.x), max(self.y, bounds.y)
        right, bottom = min(self.right, bounds.right), min(self.bottom, bounds.bottom)
        if right <= x or bottom <= y:
            return None
        return CaptureGeometry(x, y, right - x, bottom - y)


def resolve_geometry(
    config: CaptureConfig,
    monitors: Sequence[CaptureGeometry],
    find_window: Callable[[str], CaptureGeometry] | None,
) -> CaptureGeometry:
    """Turn a config's monitor / region / window into one even-sized rectangle.

    ``monitors`` follows mss's numbering: index 0 is the whole screen, 1.. the
    monitors. ``find_window`` is None when the source cannot find windows.
    """
    screen = monitors[0]
    if config.window is not None:
        if find_window is None:
            raise CaptureError(
                f"window {config.window!r}: window capture is not supported by this source yet; "
                "capture a region or a monitor instead"
            )
        rect = find_window(config.window)
    elif config.region is not None:
        x, y, w, h = config.region
        rect = CaptureGeometry(x, y, w, h)
        if not screen.contains(rect):
            raise CaptureError(
                f"region {x},{y},{w},{h} is outside the screen ({screen}); "
                f"it must fit inside {screen.width}x{screen.height}"
            )
    else:
        count = len(monitors) - 1
        if config.monitor > count:
            raise CaptureError(
                f"unknown monitor {config.monitor}: this display has {count} monitor"
                f"{'' if count == 1 else 's'} (use 1..{count}, or 0 for all)"
            )
        rect = monitors[config.monitor]
    rect = rect.even()
    if rect.width < 2 or rect.height < 2:
        raise CaptureError(f"capture area {rect} is too small to encode")
    return rect


class CaptureSource(ABC):
    """One way of grabbing the screen. Open, grab repeatedly, close.

    ``grab`` captures a frame *now* and never sleeps to pace itself: the session
    decides when frames are taken and stamps them on the one clock.
    """

    #: short name used by the chooser and in logs ("x11grab", "mss", "fake")
    name: ClassVar[str] = "?"

    def __init__(self, config: CaptureConfig) -> None:
        self.config = config
        self._geometry: CaptureGeometry | None = None
        # the display actually used (config.display or $DISPLAY), for describe()
        self._where = config.display or ""

    @abstractmethod
    def open(self) -> None:
        """Find what to capture and get ready; raises :class:`CaptureError` with one line."""

    @abstractmethod
    def grab(self) -> av.VideoFrame:
        """One frame of the current screen content, ``width`` x ``height``, native format."""

    def close(self) -> None:
        """Release the display connection; safe to call more than once."""
        self._geometry = None

    @property
    def geometry(self) -> CaptureGeometry:
        if self._geometry is None:
            raise CaptureError(f"{self.name} capture source is not open")
        return self._geometry

    @property
    def width(self) -> int:
        """Frame width, always even."""
        return self.geometry.width

    @property
    def height(self) -> int:
        """Frame height, always even."""
        return self.geometry.height

    @property
    def is_open(self) -> bool:
        return self._geometry is not None

    def describe(self) -> str:
        """One line for logs and the clip manifest, e.g. ``x11grab :99 1920x1080+0+0``."""
        where = self._where
        rect = str(self._geometry) if self._geometry is not None else "(not open)"
        return " ".join(part for part in (self.name, where, rect) if part)

    def __enter__(self) -> Self:
        if not self.is_open:
            self.open()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.describe()}>"
