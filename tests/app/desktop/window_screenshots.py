"""Screenshots of the settings window and the consent dialog for ``docs/app/``.

``python3 -m tests.app.desktop.window_screenshots [OUT_DIR]`` (default ``docs/app``). Runs
offscreen with a fresh settings file (the one ``hindsight record`` documents), in
temp folders, so it never reads or changes the user's own settings or library.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path


def main(out: Path) -> None:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    home = Path(tempfile.mkdtemp(prefix="hindsight-shots-"))
    for env, sub in (
        ("HINDSIGHT_CONFIG_DIR", "config"),
        ("HINDSIGHT_DATA_DIR", "data"),
        ("XDG_CONFIG_HOME", "xdg"),
    ):
        os.environ[env] = str(home / sub)
    # The clips folder's default is shown as a player would see it (nothing is created there).
    os.environ["HOME"] = "/home/player"
    os.environ.pop("HINDSIGHT_CLIPS_DIR", None)
    from PyQt6.QtWidgets import QApplication

    from hindsight.app.desktop.consent_dialog import ConsentDialog
    from hindsight.app.desktop.settings_window import SettingsWindow
    from hindsight.recorder.settings import DEFAULT_SETTINGS_TEXT

    app = QApplication(sys.argv[:1])
    settings = home / "config" / "settings.toml"
    settings.parent.mkdir(parents=True)
    settings.write_text(DEFAULT_SETTINGS_TEXT.replace('hotkey = "F8"', 'hotkey = "ctrl+shift+s"'))
    out.mkdir(parents=True, exist_ok=True)

    window = SettingsWindow(settings_path=settings)
    window.resize(860, 640)
    window.show()
    app.processEvents()
    window.grab().save(str(out / "settings.png"))

    # The Sound page, its device lists filled from a real (private) PulseAudio server.
    window.nav.setCurrentRow(list(_page_titles(window)).index("Sound"))
    mic = window.fields["audio.mic_device"].editor
    deadline = time.monotonic() + 10
    while mic.count() < 2 and time.monotonic() < deadline:
        app.processEvents()
        time.sleep(0.05)
    mic.setCurrentIndex(mic.count() - 1)
    window.validate()  # as the pause after an edit does: Save lights up
    app.processEvents()
    window.grab().save(str(out / "settings-sound.png"))

    dialog = ConsentDialog(settings_path=settings)
    dialog.resize(720, 760)
    dialog.show()
    dialog.boxes["clips"].setChecked(True)
    app.processEvents()
    dialog.grab().save(str(out / "consent.png"))
    print(f"wrote settings.png, settings-sound.png and consent.png in {out}")


def _page_titles(window) -> list[str]:  # noqa: ANN001
    return [window.nav.item(i).text() for i in range(window.nav.count())]


if __name__ == "__main__":
    from tests.audio_server import PulseServer

    server = PulseServer()
    server.start()
    os.environ.update(server.env)
    try:
        main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("docs/app"))
    finally:
        server.stop()
