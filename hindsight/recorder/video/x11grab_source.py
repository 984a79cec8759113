"""Native X11 capture through FFmpeg's ``x11grab`` demuxer, opened with PyAV.

This is the same grabber the benchmark peer (``ffmpeg -f x11grab``) uses, with
XShm and XFixes cursor drawing done in C, so a 1080p frame costs well under a
millisecond of Python. Frames are ``bgr0``.

x11grab paces itself to its ``framerate`` option; it is set to 1000 on purpose so
that it never sleeps and the session alone decides when a frame is taken.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import TYPE_CHECKING

import av
from av.video.codeccontext import VideoCodecContext

from hindsight.recorder import x11
from hindsight.recorder.errors import CaptureError
from hindsight.recorder.video import x11_windows
from hindsight.recorder.video.mss_source import list_monitors
from hindsight.recorder.video.source import CaptureSource, resolve_geometry

if TYPE_CHECKING:
    from hindsight.recorder.config import CaptureConfig

__all__ = ["X11GrabSource", "x11grab_available"]

# High enough that x11grab's own frame timer is always already due.
_UNPACED_FRAMERATE = "1000"
# Probe as little as possible: every probed packet is a frame grabbed during open()
# that would otherwise be handed out later as if it were current.
_PROBE_OPTIONS = {"probesize": "32", "analyzeduration": "0", "fpsprobesize": "0"}


def x11grab_available() -> bool:
    """Whether the FFmpeg inside PyAV was built with the x11grab (xcbgrab) device."""
    return "x11grab" in av.formats_available


class X11GrabSource(CaptureSource):
    """Grab a monitor, region or window of an X display with FFmpeg's x11grab.

    Frames reference x11grab's small pool of shared-memory segments: convert and
    drop them promptly. Holding many makes x11grab allocate new segments, which
    costs milliseconds per frame.
    """

    name = "x11grab"

    def __init__(self, config: CaptureConfig) -> None:
        super().__init__(config)
        self._container: av.container.InputContainer | None = None
        self._packets: Iterator[av.Packet] | None = None
        self._decoder: VideoCodecContext | None = None
        self._opened_wall_s: float | None = None

    def open(self) -> None:
        if self._container is not None:
            return
        if not x11grab_available():
            raise CaptureError("x11grab: this PyAV build has no x11grab device; use --capture mss")
        display = x11.require_display(self.config.display)
        # Connect once up front: x11grab's own error for a missing server is a bare EIO.
        x11.connect(display).close()
        rect = resolve_geometry(
            self.config,
            list_monitors(display),
            lambda title: x11_windows.find_window(display, title),
        )
        options = {
            "framerate": _UNPACED_FRAMERATE,
            "video_size": f"{rect.width}x{rect.height}",
            "grab_x": str(rect.x),
            "grab_y": str(rect.y),
            "draw_mouse": "1" if self.config.draw_cursor else "0",
            **_PROBE_OPTIONS,
        }
        try:
            container = av.open(display, format="x11grab", options=options)
        except av.FFmpegError as exc:
            raise CaptureError(f"x11grab could not open {display} {rect}: {exc}") from None
        self._opened_wall_s = time.time()
        stream = container.streams.video[0]
        self._container = container
        self._packets = container.demux(stream)
        self._decoder = stream.codec_context
        self._where = display
        self._geometry = rect

    def grab(self) -> av.VideoFrame:
        packets, decoder = self._packets, self._decoder
        if packets is None or decoder is None:
            raise CaptureError("x11grab capture source is not open")
        try:
            for _ in range(8):
                packet = next(packets)
                if self._opened_wall_s is not None:
                    if self._is_stale(packet):
                        continue
                    self._opened_wall_s = None
                # A rawvideo packet decodes to exactly one frame that borrows its buffer.
                frames = decoder.decode(packet)
                if frames:
                    frame = frames[0]
                    frame.pts = None  # the session stamps frames; x11grab's wall time is noise
                    return frame
        except StopIteration:
            pass
        except av.FFmpegError as exc:
            raise CaptureError(f"x11grab lost the display {self._where}: {exc}") from None
        raise CaptureError(f"x11grab stopped delivering frames from {self._where}")

    def _is_stale(self, packet: av.Packet) -> bool:
        """Whether ``packet`` was grabbed while opening (probing), i.e. is not "now"."""
        opened_s = self._opened_wall_s
        if packet.pts is None or packet.time_base is None or opened_s is None:
            return False
        # x11grab stamps packets with wall-clock microseconds; a stamp far from the
        # open time means another clock, and then nothing is treated as stale.
        grabbed_s = float(packet.pts * packet.time_base)
        return opened_s - 10.0 < grabbed_s < opened_s

    def close(self) -> None:
        container, self._container = self._container, None
        self._packets = self._decoder = None
        if container is not None:
            container.close()
        super().close()
