"""The live overlay window: frameless, translucent, click-through, always on top, fed by the
recorder.

It draws the same templates as burn-in, from a :class:`LiveActionState` that the
recorder's event stream (:class:`LiveFeed`) updates; a 60 Hz timer applies what
arrived and repaints. The window never takes focus or input, so the game keeps both.
"""

from __future__ import annotations

import signal
import time
from typing import TextIO

from hindsight.overlay.errors import LiveChannelError
from hindsight.overlay.model.layout import OverlayLayout
from hindsight.overlay.model.state import LiveActionState
from hindsight.overlay.model.theme import OverlayStyle
from hindsight.overlay.web.client import LiveFeed, find_live_url

__all__ = ["run_live_window"]

_TICK_MS = 16


def _now_ms() -> int:
    return time.monotonic_ns() // 1_000_000


def run_live_window(
    *,
    style: OverlayStyle,
    template: str | None,
    display: str | None,
    seconds: float | None,
    out: TextIO,
) -> int:
    url = find_live_url()
    from PyQt6.QtCore import QRect, Qt, QTimer
    from PyQt6.QtGui import QPainter
    from PyQt6.QtWidgets import QApplication, QWidget

    from hindsight.overlay.qt.template import Template, create_template

    # Qt's own -display option: this process's DISPLAY is never changed
    app = QApplication.instance() or QApplication(
        ["hindsight-overlay", *(["-display", display] if display else [])]
    )
    screen = app.primaryScreen()
    if screen is None:
        raise LiveChannelError("no screen to show the overlay on (is $DISPLAY set?)")
    area: QRect = screen.geometry()
    feed = LiveFeed(url)
    try:
        first_layout = feed.fetch_layout()
    except OSError as err:
        raise LiveChannelError(f"cannot reach the recorder's overlay server: {err}") from None

    class OverlayWindow(QWidget):
        def __init__(self, layout: OverlayLayout) -> None:
            super().__init__(
                None,
                Qt.WindowType.FramelessWindowHint
                | Qt.WindowType.WindowStaysOnTopHint
                | Qt.WindowType.Tool
                | Qt.WindowType.WindowTransparentForInput
                | Qt.WindowType.WindowDoesNotAcceptFocus,
            )
            self.setAttribute(Qt.WidgetAttribute.WA_TranslucentBackground)
            self.setAttribute(Qt.WidgetAttribute.WA_ShowWithoutActivating)
            self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
            self.setWindowTitle("Hindsight overlay")
            self.state = LiveActionState(layout.actions)
            self.template: Template | None = None
            self.set_layout(layout)

        def set_layout(self, layout: OverlayLayout) -> None:
            self.state.reset(layout.actions)
            self.template = create_template(
                template or layout.template, layout, style, area.height()
            )
            w, h = self.template.size()
            x, y = style.place((w, h), (area.width(), area.height()))
            self.setGeometry(area.x() + x, area.y() + y, w, h)

        def tick(self) -> None:
            now = _now_ms()
            for name, data in feed.poll():
                if name == "layout":
                    self.set_layout(data)
                elif name == "state":
                    self.state.apply_state(data, now)
                else:
                    self.state.apply(name, data, now)
            self.update()

        def paintEvent(self, event) -> None:  # noqa: N802
            p = QPainter(self)
            p.setCompositionMode(QPainter.CompositionMode.CompositionMode_Source)
            p.fillRect(self.rect(), Qt.GlobalColor.transparent)
            p.setCompositionMode(QPainter.CompositionMode.CompositionMode_SourceOver)
            p.setRenderHint(QPainter.RenderHint.Antialiasing)
            p.setRenderHint(QPainter.RenderHint.TextAntialiasing)
            p.setOpacity(style.opacity)
            if self.template is not None:
                self.template.paint(p, self.state.frame(_now_ms()))
            p.end()

    window = OverlayWindow(first_layout)
    feed.start()
    timer = QTimer()
    timer.timeout.connect(window.tick)
    timer.start(_TICK_MS)
    window.show()
    geo = window.geometry()
    name = template or first_layout.template
    out.write(
        f"overlay window {geo.width()}x{geo.height()} at {geo.x()},{geo.y()} ({name}); Ctrl+C "
        "closes\n"
    )
    out.flush()
    if seconds is not None:
        QTimer.singleShot(int(seconds * 1000), app.quit)
    # Qt's loop does not run Python signal handlers by itself: a timer gives them a turn.
    signal.signal(signal.SIGINT, lambda *_: app.quit())
    signal.signal(signal.SIGTERM, lambda *_: app.quit())
    wake = QTimer()
    wake.timeout.connect(lambda: None)
    wake.start(200)
    try:
        app.exec()
    finally:
        feed.stop()
    return 0
