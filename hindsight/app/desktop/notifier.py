"""Desktop notifications: "Clip saved" with Open and Show in folder, and one-sentence problems.

Sent to the freedesktop notification server (``org.freedesktop.Notifications``) over
the session D-Bus with Qt's D-Bus module, asynchronously, so the GUI thread never
waits for it. Actions come back as the server's ``ActionInvoked`` signal. Without a
notification server (Windows, a bare X session) the tray icon's own balloon is used.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

from PyQt6.QtCore import QMetaType, QObject, pyqtSlot
from PyQt6.QtDBus import (
    QDBusArgument,
    QDBusConnection,
    QDBusInterface,
    QDBusMessage,
    QDBusPendingCallWatcher,
    QDBusPendingReply,
)
from PyQt6.QtWidgets import QSystemTrayIcon

__all__ = ["Notifier", "APP_NAME"]

log = logging.getLogger(__name__)

APP_NAME = "Hindsight"
_SERVICE = "org.freedesktop.Notifications"
_PATH = "/org/freedesktop/Notifications"
_TIMEOUT_MS = 6000

# action key -> label; "default" is what clicking the notification itself does
_CLIP_ACTIONS = ("default", "Open", "open", "Open", "folder", "Show in folder")


class Notifier(QObject):
    """Shows notifications; ``on_open(path)`` / ``on_show_folder(path)`` run on the GUI thread."""

    def __init__(
        self,
        on_open: Callable[[Path], None],
        on_show_folder: Callable[[Path], None],
        tray: QSystemTrayIcon | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._on_open = on_open
        self._on_show_folder = on_show_folder
        self._tray = tray
        self._bus = QDBusConnection.sessionBus()
        self._clips: dict[int, Path] = {}  # notification id -> the clip it announced
        self._watchers: set[QDBusPendingCallWatcher] = set()
        self.enabled = True
        self.available = self._bus.isConnected() and self._server_running()
        if self.available:
            self._bus.connect(_SERVICE, _PATH, _SERVICE, "ActionInvoked", self._on_action_invoked)
        else:
            log.info("no desktop notification server; using the tray's balloons")

    def _server_running(self) -> bool:
        iface = self._bus.interface()
        if iface is None:
            return False
        reply = iface.isServiceRegistered(_SERVICE)
        # A server started on demand (D-Bus activation) is not registered yet but can be.
        activatable = iface.activatableServiceNames()
        return bool(reply.value()) or _SERVICE in (activatable.value() or [])

    def clip_saved(self, path: Path, duration_s: float | None) -> None:
        length = f" ({duration_s:.0f} s)" if duration_s else ""
        self._send("Clip saved", f"{path.name}{length}", "media-record", _CLIP_ACTIONS, path)

    def problem(self, sentence: str, summary: str = "Hindsight") -> None:
        """One plain sentence about something that went wrong."""
        self._send(summary, sentence, "dialog-warning", (), None, urgency=2)

    def info(self, sentence: str) -> None:
        self._send("Hindsight", sentence, "dialog-information", (), None)

    def _send(
        self,
        summary: str,
        body: str,
        icon: str,
        actions: tuple[str, ...],
        clip: Path | None,
        urgency: int = 1,
    ) -> None:
        if not self.enabled:
            return
        log.info("notification: %s: %s", summary, body)
        if not self.available:
            if self._tray is not None and self._tray.isVisible():
                kind = (
                    QSystemTrayIcon.MessageIcon.Warning
                    if urgency == 2
                    else (QSystemTrayIcon.MessageIcon.Information)
                )
                self._tray.showMessage(summary, body, kind, _TIMEOUT_MS)
            return
        iface = QDBusInterface(_SERVICE, _PATH, _SERVICE, self._bus)
        hints = {
            "urgency": QDBusArgument(urgency, QMetaType.fromName(b"uchar").id()),
            "category": "transfer.complete" if clip else "device.error",
        }
        call = iface.asyncCall(
            "Notify",
            APP_NAME,
            QDBusArgument(0, QMetaType.fromName(b"uint").id()),
            icon,
            summary,
            body,
            QDBusArgument(list(actions), QMetaType.fromName(b"QStringList").id()),
            hints,
            _TIMEOUT_MS,
        )
        watcher = QDBusPendingCallWatcher(call, self)
        self._watchers.add(watcher)

        def finished(w: QDBusPendingCallWatcher) -> None:
            self._watchers.discard(w)
            reply = QDBusPendingReply(w)
            if reply.isError():
                log.warning(
                    "the notification server refused a notification: %s", reply.error().message()
                )
            elif clip is not None:
                self._clips[int(reply.argumentAt(0))] = clip
                while len(self._clips) > 32:  # old notifications' actions are long gone
                    self._clips.pop(next(iter(self._clips)))
            w.deleteLater()

        watcher.finished.connect(finished)

    @pyqtSlot(QDBusMessage)
    def _on_action_invoked(self, message: QDBusMessage) -> None:
        args = message.arguments()
        if len(args) < 2:
            return
        clip = self._clips.get(int(args[0]))
        if clip is None:
            return  # another program's notification, or one we no longer know
        key = str(args[1])
        if key in ("default", "open"):
            self._on_open(clip)
        elif key == "folder":
            self._on_show_folder(clip)
