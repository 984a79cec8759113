"""Takes the desktop app's screenshots for ``docs/app/`` on a virtual desktop.

    python -m tests.app.desktop.screenshots docs/app

Xvfb with trayer and dunst, the demo game filling the screen, the real app and its
recorder: the tray's tooltip, the open tray menu, the "Clip saved" notification, the
paused and error looks in the tray, and a sheet of every state's icon.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tests.app.desktop.desktop_env import (
    RECORD_ARGS,
    REPO,
    AppProcess,
    DesktopSession,
    screenshot,
    wait_for,
)
from tests.audio_server import PulseServer

W, H = 1280, 720


def main(out: Path) -> None:
    root = Path(tempfile.mkdtemp(prefix="hs-shots-"))
    pulse = PulseServer()
    pulse.start()
    os.environ.update(pulse.env)
    desk = DesktopSession(root, (W, H), wm="openbox").start()
    sock = Path(tempfile.mkdtemp(prefix="hs-", dir="/tmp"))
    os.chmod(sock, 0o700)
    env = {
        **desk.env,
        **{f"HINDSIGHT_{k}_DIR": str(root / k.lower()) for k in ("CONFIG", "DATA", "LOG", "CLIPS")},
        "HINDSIGHT_CONTROL": str(sock / "control.sock"),
        "HINDSIGHT_RECORD_ARGS": RECORD_ARGS,
        "PYTHONPATH": str(REPO),
    }
    os.environ.update(env)
    game = subprocess.Popen(
        [sys.executable, "-m", "hindsight.demo.game", "--display", desk.display.name,
         "--size", f"{W}x{H - 32}"],
        env={**os.environ}, stdout=subprocess.PIPE,
    )  # fmt: skip
    assert game.stdout is not None
    ready = game.stdout.readline().decode().split()
    assert ready[:1] == ["ready"], ready
    desk.run("xdotool", "windowmove", ready[1], "0", "32")
    desk.run("xdotool", "windowactivate", ready[1], check=False)  # the game has focus
    app = AppProcess(env, root / "app.log")
    try:
        assert app.wait_line("state: recording", 60), app.output()
        icon = wait_for(desk.tray_icons, 10)
        assert icon
        _, x, y, w, h = icon[0]  # type: ignore[index]
        time.sleep(2)
        corner = (W - 420, 0, 420, 300)

        desk.run("xdotool", "mousemove", str(x + w // 2), str(y + h // 2))
        time.sleep(2.5)
        screenshot(env, out / "tray-tooltip.png", *corner)

        desk.run("xdotool", "click", "3")
        time.sleep(1.0)
        screenshot(env, out / "tray-menu.png", W - 420, 0, 420, 420)
        desk.run("xdotool", "key", "Escape")
        desk.run("xdotool", "mousemove", "400", "400")
        time.sleep(0.5)

        desk.run("xdotool", "key", "F8")
        assert wait_for(lambda: desk.displayed() > 0, 15)
        time.sleep(0.6)
        screenshot(env, out / "notification.png", W - 420, 0, 420, 160)
        desk.dunstctl("close-all")

        subprocess.run([sys.executable, "-m", "hindsight", "pause"], env=env, check=True)
        assert app.wait_line("state: paused", 10)
        time.sleep(0.5)
        screenshot(env, out / "tray-paused.png", W - 160, 0, 160, 32)
        subprocess.run([sys.executable, "-m", "hindsight", "resume"], env=env, check=True)
        assert app.wait_line("state: recording", 10, after=len(app.output()) - 200)
        time.sleep(0.5)
        screenshot(env, out / "tray-recording.png", W - 160, 0, 160, 32)
        pid = int(
            subprocess.run(
                [sys.executable, "-m", "hindsight", "status", "--json"],
                env=env, capture_output=True, text=True, check=True,
            ).stdout.split('"pid": ')[1].split(",")[0]
        )  # fmt: skip
        os.kill(pid, signal.SIGKILL)
        assert app.wait_line("state: error", 10)
        time.sleep(1.0)
        screenshot(env, out / "error-notification.png", W - 420, 0, 420, 160)
        desk.dunstctl("close-all")
        time.sleep(0.3)
        screenshot(env, out / "tray-error.png", W - 160, 0, 160, 32)
        _icon_sheet(out / "tray-states.png")
    finally:
        app.stop()
        game.terminate()
        game.wait(5)
        desk.stop()
        pulse.stop()


def _icon_sheet(path: Path) -> None:
    from PyQt6.QtCore import QRectF, Qt
    from PyQt6.QtGui import QColor, QFont, QPainter, QPixmap
    from PyQt6.QtWidgets import QApplication

    from hindsight.app.desktop.icons import STATES, state_pixmap
    from hindsight.app.desktop.tray import STATE_WORDS

    app = QApplication.instance() or QApplication(["screenshots", "-platform", "offscreen"])
    cell = 170
    sheet = QPixmap(cell * len(STATES), 190)
    sheet.fill(QColor("#2a2d36"))
    p = QPainter(sheet)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    font = QFont("DejaVu Sans", 10)
    p.setFont(font)
    p.setPen(QColor("#e9ecf2"))
    for i, state in enumerate(STATES):
        p.drawPixmap(i * cell + 21, 14, state_pixmap(state, 128))
        label = STATE_WORDS[state].split(":")[0]
        p.drawText(QRectF(i * cell, 150, cell, 30), Qt.AlignmentFlag.AlignCenter, label)
    p.end()
    sheet.save(str(path))
    del app


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("docs/app"))
