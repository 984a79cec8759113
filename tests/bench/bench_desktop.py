"""The desktop app as a player meets it: start to recording, F8 to notification, memory idle.

    python -m tests.bench.bench_desktop [--saves 5] [--gap 3] [--size 1920x1080] [--idle 10]

A virtual desktop (Xvfb with the moving reference scene, trayer as the tray host, dunst
as the notification server on a private D-Bus bus, a private PulseAudio server) and
``hindsight`` started as a player starts it, with the user's defaults (60 fps, 30 s
buffer), the overlay server on any free port.

- start to recording: from starting ``hindsight`` to the recorder answering
  ``recording`` with frames in its buffer, and to the tray showing it (the app's log),
  beside ``hindsight record`` started alone to the same point (the peer);
- F8 to notification: from just before ``xdotool key F8`` to dunst counting the
  "Clip saved" notification as displayed (polled with ``dunstctl``), beside the
  recorder's own request -> renamed time for the same save (the part no app can avoid);
- memory idle: the app process's RSS and PSS after ``--idle`` seconds, beside a bare
  PyQt6 tray icon's process (the least a Qt tray app costs) in the same run.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time

import psutil

from hindsight.demo.display import MovingScene
from hindsight.recorder.control import create_client
from hindsight.recorder.errors import ControlError
from tests.app.desktop.desktop_env import REPO, AppProcess, DesktopSession, wait_for
from tests.audio_server import PulseServer
from tests.bench.common import isolated_user_dirs, median, print_json, smaps_rollup

BARE_TRAY = """
import sys, time
from PyQt6.QtGui import QIcon, QPixmap
from PyQt6.QtWidgets import QApplication, QMenu, QSystemTrayIcon
app = QApplication(sys.argv[:1]); app.setQuitOnLastWindowClosed(False)
pixmap = QPixmap(22, 22); pixmap.fill()
icon = QSystemTrayIcon(QIcon(pixmap)); menu = QMenu(); menu.addAction("Quit")
icon.setContextMenu(menu); icon.show(); print("ready", flush=True); app.exec()
"""


def _status() -> dict | None:
    try:
        return create_client().request({"cmd": "status"}, timeout_s=2)
    except ControlError:
        return None


def _biggest_mappings(pid: int, count: int = 10) -> dict[str, float]:
    """Resident MB by what is mapped (a library's file name, or [anon]), the largest first:
    where an app's memory is, before anyone guesses."""
    by_name: dict[str, int] = {}
    name = "[anon]"
    with open(f"/proc/{pid}/smaps") as smaps:
        for line in smaps:
            head = line.split(maxsplit=5)
            if len(head) >= 5 and "-" in head[0] and not head[0].endswith(":"):
                name = os.path.basename(head[5].strip()) if len(head) == 6 else "[anon]"
            elif head and head[0] == "Rss:":
                by_name[name] = by_name.get(name, 0) + int(head[1]) * 1024
    biggest = sorted(by_name.items(), key=lambda kv: -kv[1])[:count]
    return {n: round(b / 2**20, 1) for n, b in biggest}


def _memory_mb(pid: int) -> dict[str, float]:
    rollup = smaps_rollup(pid)
    return {
        "rss_mb": round(psutil.Process(pid).memory_info().rss / 2**20, 1),
        "pss_mb": round(rollup.get("Pss", 0) / 2**20, 1),
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--saves", type=int, default=5)
    ap.add_argument("--gap", type=float, default=3.0)
    ap.add_argument("--size", default="1920x1080")
    ap.add_argument("--idle", type=float, default=10.0)
    args = ap.parse_args()
    width, height = map(int, args.size.split("x"))
    with isolated_user_dirs() as dirs:
        pulse = PulseServer()
        pulse.start()
        os.environ.update(pulse.env)
        desk = DesktopSession(dirs["HOME"], (width, height)).start()
        scene = MovingScene(desk.display.name, rate=30).start()
        env = {
            **desk.env,
            "HINDSIGHT_RECORD_ARGS": "--overlay-port 0",
            "PYTHONPATH": str(REPO),
        }
        app: AppProcess | None = None
        bare: subprocess.Popen[bytes] | None = None
        try:
            t0 = time.monotonic()
            app = AppProcess(env, dirs["HOME"] / "app.log")
            assert wait_for(
                lambda: (
                    (s := _status()) is not None
                    and s["state"] == "recording"
                    and s["buffer"]["seconds"] > 0
                ),
                90,
                0.01,
            ), app.output()
            recording_s = time.monotonic() - t0
            assert app.wait_line("state: recording", 30), app.output()
            tray_s = time.monotonic() - t0
            time.sleep(5)  # some buffer, and the start-up settled

            notify_ms: list[float] = []
            save_ms: list[float] = []
            for _ in range(args.saves):
                before = (_status() or {})["saves"]["saved"]
                t_press = time.monotonic()
                desk.run("xdotool", "key", "F8")
                assert wait_for(lambda: desk.displayed() > 0, 20, 0.002), app.output()
                notify_ms.append((time.monotonic() - t_press) * 1000)
                status = _status() or {}
                assert status["saves"]["saved"] == before + 1
                save_ms.append(status["saves"]["last_save_ms"])
                desk.dunstctl("close-all")
                time.sleep(args.gap)

            time.sleep(args.idle)
            app_memory = _memory_mb(app.proc.pid)
            app_mappings = _biggest_mappings(app.proc.pid)
            bare = subprocess.Popen(
                [sys.executable, "-c", BARE_TRAY],
                env={**os.environ, **desk.env},
                stdout=subprocess.PIPE,
            )
            assert bare.stdout is not None and bare.stdout.readline().startswith(b"ready")
            time.sleep(2)
            bare_memory = _memory_mb(bare.pid)
            bare.terminate()
            bare.wait(10)
            bare = None
            app.stop()
            create_client().request({"cmd": "stop"}, timeout_s=10)
            assert wait_for(lambda: _status() is None, 30)
            # The peer: `hindsight record` started alone, the same way, to the same point.
            t0 = time.monotonic()
            alone = subprocess.Popen(
                [sys.executable, "-m", "hindsight", "record", "--overlay-port", "0"],
                env={**os.environ, **env},
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            try:
                assert wait_for(
                    lambda: (
                        (s := _status()) is not None
                        and s["state"] == "recording"
                        and s["buffer"]["seconds"] > 0
                    ),
                    90,
                    0.01,
                )
                alone_s = time.monotonic() - t0
            finally:
                alone.terminate()
                alone.wait(30)
        finally:
            if bare is not None:
                bare.terminate()
                bare.wait(10)
            if app is not None:
                app.stop()
            try:
                create_client().request({"cmd": "stop"}, timeout_s=10)
            except ControlError:
                pass
            time.sleep(2)
            scene.stop()
            desk.stop()
            pulse.stop()
    print_json(
        {
            "benchmark": "desktop",
            "size": args.size,
            "start_to_recording_s": round(recording_s, 2),
            "start_to_tray_recording_s": round(tray_s, 2),
            "hindsight_record_alone_start_to_recording_s": round(alone_s, 2),
            "f8_to_notification_ms": {
                "median": round(median(notify_ms), 1),
                "max": round(max(notify_ms), 1),
                "runs": [round(v, 1) for v in notify_ms],
            },
            "recorder_save_ms_same_presses": {"median": round(median(save_ms), 1)},
            "app_memory_idle": app_memory,
            "app_memory_biggest_mappings_mb": app_mappings,
            "bare_pyqt_tray_memory": bare_memory,
        }
    )


if __name__ == "__main__":
    main()
