"""Desktop window tests: Qt offscreen (pytest-qt's ``qtbot``), real recorded clips, a library per
test."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from hindsight.bundle import SavedClip
from hindsight.uploader.library import ClipLibrary
from tests.app.desktop.clips import record_clips

# Before pytest-qt makes the application: no display is needed for these windows.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


@pytest.fixture(scope="session")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> list[SavedClip]:
    """Three real clips: two of Counter-Strike 2 (3 s and 2 s), one of Valorant (4 s)."""
    folder = tmp_path_factory.mktemp("recorded")
    clips = record_clips(folder, 1, seconds=3)
    clips += record_clips(folder, 1, seconds=2)
    clips += record_clips(folder, 1, seconds=4, game_map="riot.valorant")
    return clips


@pytest.fixture
def clips_dir(recorded: list[SavedClip], isolated_user_dirs: dict[str, Path]) -> Path:
    """This test's clips folder, holding a copy of the recorded clips."""
    folder = isolated_user_dirs["clips"]
    folder.mkdir(parents=True, exist_ok=True)
    for clip in recorded:
        shutil.copytree(clip.path, folder / clip.path.name)
    return folder


@pytest.fixture
def library() -> Iterator[ClipLibrary]:
    """The user's (this test's) library, empty: the window registers the folder's clips."""
    lib = ClipLibrary.open()
    try:
        yield lib
    finally:
        lib.close()
