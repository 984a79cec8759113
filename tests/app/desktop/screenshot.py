"""The library window's screenshot for the README: real clips of game-like scenes, recorded by the
real recorder, in a library with some clips uploaded.

    python -m tests.app.desktop.screenshot docs/app/library.png

Runs in temp folders (never the user's), with Qt offscreen and the in-memory bucket.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PyQt6.QtWidgets import QApplication  # noqa: E402

from tests.app.desktop.clips import record_clips  # noqa: E402
from tests.app.desktop.scenes import PALETTES, SceneSource  # noqa: E402
from tests.bench.common import isolated_user_dirs  # noqa: E402

SIZE = (1280, 720)
# Lengths a player saves: mostly the hotkey's 30 s, here short so the script stays quick.
SECONDS = (4, 3, 5, 3, 4, 6, 3, 5)


def main(out: Path) -> None:
    app = QApplication(["hindsight"])
    with isolated_user_dirs() as dirs:
        os.environ["HINDSIGHT_TRANSPORT"] = "memory"
        clips_dir = dirs["HINDSIGHT_CLIPS_DIR"]
        for seed, (map_id, palette) in enumerate(PALETTES.items()):
            record_clips(
                clips_dir,
                1,
                seconds=SECONDS[seed % len(SECONDS)],
                size=SIZE,
                game_map=map_id,
                source=lambda config, p=palette, s=seed: SceneSource(config, p, seed=s),
            )
        Path(dirs["HINDSIGHT_CONFIG_DIR"], "settings.toml").write_text(
            '[upload]\nbucket = "team-clips"\nprefix = "alice"\n'
        )
        from hindsight.app.desktop.library_window import LibraryWindow
        from hindsight.uploader import policy

        library = policy.open_library()
        policy.sync_library(library)
        library.record_consent("clips", True)
        clips = library.clips()
        choice = policy.choose_upload(library, [c.id for c in clips[2:4]])
        policy.run_upload(library, policy.upload_config(), choice)
        library.queue(clips[1].id)
        window = LibraryWindow(library=library)
        window.show()
        deadline = time.monotonic() + 60
        while not all(window.model.has_thumbnail(c.id) for c in window.model.clips()):
            assert time.monotonic() < deadline, "thumbnails were not made"
            app.processEvents()
            time.sleep(0.02)
        window.select(clips[2].id)
        app.processEvents()
        out.parent.mkdir(parents=True, exist_ok=True)
        window.grab().save(str(out))
        window.close()
        library.close()
    print(out)


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "docs/app/library.png"))
