"""The tray icon and its menu: the state at a glance, and every action one click away.

The icon's look follows the recorder's state (see :mod:`.icons`), the tooltip says how
much the buffer holds and which game has focus, and the menu saves, pauses, opens the
library, the overlay and the settings, and quits. A left click opens the library. The
tray only shows and asks; :class:`~hindsight.app.desktop.app.DesktopApp` decides.
"""

from __future__ import annotations

from collections.abc import Callable

from PyQt6.QtGui import QAction
from PyQt6.QtWidgets import QMenu, QSystemTrayIcon

from hindsight.app.desktop.icons import state_icon
from hindsight.app.desktop.supervisor import RecorderView

__all__ = ["TrayMenu", "TrayActions", "tooltip_text", "STATE_WORDS", "STYLE"]

# Dark, like the games it sits beside; the accent is the recording dot's red.
STYLE = """
QMenu { background: #1b1d24; color: #e9ecf2; border: 1px solid #343844; padding: 6px 0; }
QMenu::item { padding: 7px 30px 7px 30px; }
QMenu::item:selected { background: #2c303b; border-left: 3px solid #ff3b45; padding-left: 27px; }
QMenu::item:disabled { color: #6f7482; }
QMenu::separator { height: 1px; background: #343844; margin: 5px 12px; }
QMenu::indicator { width: 12px; height: 12px; left: 10px; border: 1px solid #6f7482;
    border-radius: 3px; }
QMenu::indicator:checked { background: #2fd27a; border-color: #2fd27a; }
QToolTip { background: #1b1d24; color: #e9ecf2; border: 1px solid #343844; padding: 5px; }
"""

STATE_WORDS = {
    "starting": "Starting the recorder",
    "recording": "Recording",
    "paused": "Paused: nothing is recorded",
    "saving": "Saving a clip",
    "error": "Not recording",
}


class TrayActions:
    """What the menu's entries do (callbacks of the app)."""

    def __init__(
        self,
        save: Callable[[int | None], object],
        toggle_pause: Callable[[], object],
        restart: Callable[[], object],
        show_library: Callable[[], object],
        toggle_overlay: Callable[[bool], object],
        show_settings: Callable[[], object],
        quit: Callable[[], object],
    ) -> None:
        self.save = save
        self.toggle_pause = toggle_pause
        self.restart = restart
        self.show_library = show_library
        self.toggle_overlay = toggle_overlay
        self.show_settings = show_settings
        self.quit = quit


def tooltip_text(view: RecorderView, hotkey: str) -> str:
    """``Hindsight: Recording, 30 s of 30 s in the buffer`` and the game, or the error."""
    words = STATE_WORDS.get(view.state, view.state)
    if view.state == "error":
        return f"Hindsight: {words}: {view.error or 'the recorder stopped'}"
    lines = [f"Hindsight: {words}"]
    if view.state in ("recording", "saving"):
        lines.append(
            f"{view.buffer_s:.0f} s of {view.buffer_max_s} s in the buffer; {hotkey} saves"
        )
    if view.game:
        lines.append(f"Game: {view.game}")
    return "\n".join(lines)


def header_text(view: RecorderView) -> str:
    """The menu's first line: the state, and the game when one has focus."""
    words = STATE_WORDS.get(view.state, view.state)
    if view.state == "error":
        words = "Not recording: the recorder stopped"
    return f"{words}  ·  {view.game}" if view.game else words


class TrayMenu:
    """The QSystemTrayIcon and its QMenu; :meth:`show_view` keeps them in step with the recorder."""

    def __init__(self, actions: TrayActions, hotkey: str, clip_seconds: int) -> None:
        self._hotkey = hotkey
        self.icon = QSystemTrayIcon(state_icon("starting"))
        self.menu = QMenu()
        self.menu.setStyleSheet(STYLE)
        self.menu.setToolTipsVisible(True)
        self.header = self._entry("Hindsight: starting")
        self.header.setEnabled(False)
        self.menu.addSeparator()
        self.save_clip = self._add(f"Save clip ({hotkey})", lambda: actions.save(None))
        self.save_clip.setToolTip(f"Saves the last {clip_seconds} s, like {hotkey} does")
        self.save_10 = self._add("Save last 10 s", lambda: actions.save(10))
        self.save_60 = self._add("Save last 60 s", lambda: actions.save(60))
        self.menu.addSeparator()
        self.pause = self._add("Pause recording", actions.toggle_pause)
        self.restart = self._add("Restart recorder", actions.restart)
        self.restart.setVisible(False)
        self.menu.addSeparator()
        self.library = self._add("Open clip library", actions.show_library)
        self.overlay = self._entry("Input overlay window")
        self.overlay.setCheckable(True)
        self.overlay.toggled.connect(actions.toggle_overlay)
        self.settings = self._add("Settings…", actions.show_settings)
        self.menu.addSeparator()
        self.quit = self._add("Quit (stops recording)", actions.quit)
        self.icon.setContextMenu(self.menu)
        self.icon.activated.connect(self._on_activated)
        self._show_library = actions.show_library
        self.state = "starting"
        self.icon.setToolTip("Hindsight: starting the recorder")

    def _entry(self, text: str) -> QAction:
        action = self.menu.addAction(text)
        assert action is not None
        return action

    def _add(self, text: str, slot: Callable[[], object]) -> QAction:
        action = self._entry(text)
        action.triggered.connect(lambda _checked=False: slot())
        return action

    def _on_activated(self, reason: QSystemTrayIcon.ActivationReason) -> None:
        if reason == QSystemTrayIcon.ActivationReason.Trigger:  # a left click
            self._show_library()

    def show(self) -> None:
        self.icon.show()

    def hide(self) -> None:
        self.icon.hide()

    def show_view(self, view: RecorderView) -> None:
        if view.state != self.state:
            self.state = view.state
            self.icon.setIcon(state_icon(view.state))
        self.icon.setToolTip(tooltip_text(view, self._hotkey))
        self.header.setText(header_text(view))
        live = view.state in ("recording", "saving")
        for action in (self.save_clip, self.save_10):
            action.setEnabled(live)
        self.save_60.setEnabled(live and view.buffer_max_s >= 60)
        self.save_60.setToolTip(
            ""
            if view.buffer_max_s >= 60
            else f"The buffer keeps {view.buffer_max_s} s; raise it in Settings"
        )
        self.pause.setText("Resume recording" if view.state == "paused" else "Pause recording")
        self.pause.setEnabled(view.state in ("recording", "saving", "paused"))
        self.restart.setVisible(view.state == "error")
