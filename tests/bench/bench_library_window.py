"""The clip library window opened on 500 clips: how long until the player sees the grid with its
thumbnails; vs ``hindsight clips list`` listing the same 500 rows.

    python -m tests.bench.bench_library_window [--clips 500] [--rounds 5]

Four real clips of game-like scenes (1280x720, recorded by the real recorder) are
hard-linked into 500 bundles, each with its own clip id and date (its own manifest),
and registered in the library. Then, in this process with Qt offscreen:

- ``cold``: the first open, when every visible card's thumbnail is made from its video;
- ``warm``: later opens (thumbnails cached on disk), ``--rounds`` times.

An open is timed from the window's constructor to the first paint with every visible
card's thumbnail on it; the constructor alone is reported too. The peer does the same
listing work as a command: ``hindsight clips list`` of the same library, timed as a
whole process; so is a process that opens the window warm and exits (``--child``), which
pays its own imports as the command does.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from hindsight.bundle import MANIFEST_FILE, SavedClip  # noqa: E402
from tests.bench.common import HINDSIGHT, isolated_user_dirs, print_json  # noqa: E402

GAMES = ("valve.counter-strike-2", "riot.valorant", "epic.fortnite", "respawn.apex-legends")


def make_library(clips_dir: Path, count: int) -> None:
    """``count`` bundles from four recorded clips (files hard-linked, manifests their own)."""
    from tests.app.desktop.clips import record_clips
    from tests.app.desktop.scenes import PALETTES, SceneSource

    sources: list[SavedClip] = []
    for seed, game in enumerate(GAMES):
        sources += record_clips(
            clips_dir / ".sources",
            1,
            seconds=4,
            size=(1280, 720),
            game_map=game,
            source=lambda config, p=PALETTES[game], s=seed: SceneSource(config, p, seed=s),
        )
    start = datetime(2026, 11, 1, 18, 0, tzinfo=UTC)
    for i in range(count):
        source = sources[i % len(sources)]
        created = start + timedelta(minutes=37 * i)
        folder = clips_dir / f"{source.manifest.title} {created:%Y-%m-%d %H-%M-%S}"
        folder.mkdir()
        for name in source.manifest.files:
            os.link(source.path / name, folder / name)
        manifest = replace(
            source.manifest,
            clip_id=str(uuid.uuid4()),
            created_utc=created.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        )
        (folder / MANIFEST_FILE).write_text(manifest.to_json())
    from hindsight.uploader import policy

    library = policy.open_library()
    try:
        policy.sync_library(library)
        assert len(library.clips()) == count
    finally:
        library.close()


def open_window(app) -> dict[str, float | int]:
    """Open the library window, wait for every visible card's thumbnail, close it."""
    from hindsight.app.desktop.library_window import LibraryWindow

    t0 = time.perf_counter()
    window = LibraryWindow()
    constructed_ms = (time.perf_counter() - t0) * 1000
    window.show()
    grid, model = window.grid, window.model

    def visible_ids() -> list[str]:
        area = grid.viewport().rect()
        return [
            c.id
            for row, c in enumerate(model.clips())
            if grid.visualRect(model.index(row)).intersects(area)
        ]

    deadline = time.monotonic() + 120
    shown: list[str] = []
    while True:
        app.processEvents()
        shown = shown or visible_ids()  # once laid out; the check itself must stay cheap
        if shown and all(model.has_thumbnail(i) for i in shown):
            break
        if time.monotonic() > deadline:
            raise RuntimeError("the visible thumbnails never arrived")
        time.sleep(0.001)
    grid.viewport().repaint()  # the paint that shows them
    open_ms = (time.perf_counter() - t0) * 1000
    result = {
        "open_ms": round(open_ms, 1),
        "constructor_ms": round(constructed_ms, 1),
        "cards": model.rowCount(),
        "visible_cards": len(shown),
        "thumbnails_made": window.thumbnails.made,
        "thumbnails_read": window.thumbnails.read,
    }
    window.close()
    app.processEvents()
    return result


def timed_process(cmd: list[str]) -> float:
    t0 = time.perf_counter()
    done = subprocess.run(cmd, capture_output=True, text=True, env=os.environ.copy())
    elapsed_ms = (time.perf_counter() - t0) * 1000
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd[:5])} exited {done.returncode}: {done.stderr}")
    return elapsed_ms


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clips", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    from PyQt6.QtWidgets import QApplication

    if args.child:  # one warm open as a whole process, in the parent's isolated folders
        app = QApplication(["hindsight"])
        open_window(app)
        return
    app = QApplication(["hindsight"])  # the scenes are painted with Qt too
    with isolated_user_dirs():
        t0 = time.perf_counter()
        make_library(Path(os.environ["HINDSIGHT_CLIPS_DIR"]), args.clips)
        setup_s = time.perf_counter() - t0
        cold = open_window(app)
        warm = [open_window(app) for _ in range(args.rounds)]
        child = [sys.executable, "-m", "tests.bench.bench_library_window", "--child"]
        window_process = [timed_process(child) for _ in range(args.rounds)]
        peer_process = [timed_process([*HINDSIGHT, "clips", "list"]) for _ in range(args.rounds)]
    warm_open = [w["open_ms"] for w in warm]
    print_json(
        {
            "clips": args.clips,
            # Other work on the machine slows every figure below; the load says how much there was.
            "load_average_1min_at_end": round(os.getloadavg()[0], 1),
            "setup_s": round(setup_s, 1),
            "cold_open": cold,
            "warm_open_ms": {
                "median": round(statistics.median(warm_open), 1),
                "runs": warm_open,
            },
            "warm_constructor_ms_median": round(
                statistics.median(w["constructor_ms"] for w in warm), 1
            ),
            "warm_thumbnails_made": sum(w["thumbnails_made"] for w in warm),
            "visible_cards": warm[0]["visible_cards"],
            "process_open_warm_ms": {
                "median": round(statistics.median(window_process), 1),
                "runs": [round(v, 1) for v in window_process],
            },
            "peer_clips_list_process_ms": {
                "median": round(statistics.median(peer_process), 1),
                "runs": [round(v, 1) for v in peer_process],
            },
            "process_ratio_window_over_clips_list": round(
                statistics.median(window_process) / statistics.median(peer_process), 2
            ),
        }
    )


if __name__ == "__main__":
    main()
