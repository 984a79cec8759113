"""The clip library window with real clips: the grid and its thumbnails, sort and filter, and each
clip action as a player uses it (trim, render overlay, upload now, delete), plus a clip saved
while the window is open."""

from __future__ import annotations

import hashlib
import os
import shutil
import time
from pathlib import Path

import av
import pytest
from PyQt6.QtCore import QTimer
from PyQt6.QtWidgets import QApplication, QDialogButtonBox, QMessageBox

from hindsight.app.desktop.library_model import ClipSort
from hindsight.app.desktop.library_window import LibraryWindow
from hindsight.bundle import SavedClip, open_bundle
from hindsight.uploader.library import ClipLibrary, ClipRecord
from hindsight.uploader.states import ClipState
from hindsight.uploader.transport import forget_memory_buckets, memory_bucket

WAIT_MS = 30_000


def open_window(qtbot, library: ClipLibrary, clips_dir: Path, count: int = 3) -> LibraryWindow:
    window = LibraryWindow(library=library, clips_dir=clips_dir)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(lambda: window.model.rowCount() == count, timeout=WAIT_MS)
    qtbot.waitUntil(
        lambda: all(window.model.has_thumbnail(c.id) for c in window.model.clips()),
        timeout=WAIT_MS,
    )
    return window


def clip_of(window: LibraryWindow, clip_id: str) -> ClipRecord:
    return window.model.clip_at(window.model.row_of(clip_id))


def digests(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def answer_next_box(button: QMessageBox.StandardButton) -> list[str]:
    """Click ``button`` on the next message box that opens; returns its text once it did."""
    seen: list[str] = []

    def click() -> None:
        box = QApplication.activeModalWidget()
        if not isinstance(box, QMessageBox):
            QTimer.singleShot(20, click)
            return
        seen.append(box.text())
        box.button(button).click()

    QTimer.singleShot(20, click)
    return seen


def test_the_grid_shows_every_clip_with_a_thumbnail_made_once_then_cached(
    qtbot, library: ClipLibrary, clips_dir: Path, recorded: list[SavedClip], tmp_path: Path
) -> None:
    window = open_window(qtbot, library, clips_dir)  # the clips were only in the folder
    ids = {c.clip_id for c in recorded}
    assert {c.id for c in window.model.clips()} == ids
    assert window.thumbnails.made == 3 and window.thumbnails.read == 0
    cached = {p.stem for p in window.thumbnails.folder.glob("*.jpg")}
    assert cached == ids  # keyed by clip id, in the cache folder
    assert window.thumbnails.folder.is_relative_to(Path(os.environ["HINDSIGHT_CACHE_DIR"]))
    newest = window.model.clips()[0]
    assert newest.id == recorded[-1].clip_id  # newest first
    assert window.model.data(window.index_of(newest.id)).startswith("Valorant, ")
    assert window.top.count.text() == "3 clips"
    image = window.grab().toImage()
    assert image.width() >= 1000 and not image.isNull()
    window.close()

    again = open_window(qtbot, library, clips_dir)
    assert again.thumbnails.made == 0 and again.thumbnails.read == 3  # from the cache


def test_sort_and_filter_by_game(qtbot, library: ClipLibrary, clips_dir: Path) -> None:
    window = open_window(qtbot, library, clips_dir)
    by_length = sorted(window.model.clips(), key=lambda c: c.duration_ms, reverse=True)
    window.top.sort.setCurrentIndex(window.top.sort.findData(ClipSort.LENGTH))
    assert [c.id for c in window.model.clips()] == [c.id for c in by_length]
    window.top.sort.setCurrentIndex(window.top.sort.findData(ClipSort.SIZE))
    sizes = [c.bytes for c in window.model.clips()]
    assert sizes == sorted(sizes, reverse=True)
    games = [window.top.game.itemText(i) for i in range(window.top.game.count())]
    assert games == ["All games", "Counter-Strike 2", "Valorant"]
    window.top.game.setCurrentIndex(window.top.game.findData("Counter-Strike 2"))
    assert {c.game_title for c in window.model.clips()} == {"Counter-Strike 2"}
    assert window.model.rowCount() == 2 and window.top.count.text() == "2 clips of Counter-Strike 2"
    window.top.game.setCurrentIndex(0)
    assert window.model.rowCount() == 3


def test_trim_saves_a_new_playable_clip_beside_the_untouched_original(
    qtbot, library: ClipLibrary, clips_dir: Path, recorded: list[SavedClip]
) -> None:
    window = open_window(qtbot, library, clips_dir)
    source = clip_of(window, recorded[0].clip_id)  # 3 s at 30 fps, keyframes every second
    before = digests(source.path)
    window.trim(source, 1500, 2500)
    qtbot.waitUntil(lambda: window.model.rowCount() == 4, timeout=WAIT_MS)
    qtbot.waitUntil(lambda: window.selected_clip() is not None, timeout=WAIT_MS)
    trimmed = window.selected_clip()  # the new clip is selected
    assert trimmed.id != source.id and trimmed.path.parent == source.path.parent
    assert "Trimmed copy saved" in window.actions_bar.status.text()
    assert digests(source.path) == before
    assert library.get(trimmed.id).path == trimmed.path  # registered
    bundle = open_bundle(trimmed.path)
    assert bundle.verify() == []
    fps = bundle.manifest.video.fps
    frames = 75 - 30  # from the keyframe at 1 s to 2.5 s
    assert bundle.manifest.video.frames == frames and trimmed.duration_ms == 1500
    with av.open(str(bundle.video_path)) as container:
        packets = [p for p in container.demux(video=0) if p.pts is not None]
    assert packets[0].is_keyframe and len(packets) == frames
    import pyarrow.parquet as pq

    rows = pq.read_table(bundle.actions_path).num_rows
    assert rows == frames and bundle.manifest.video.duration_s == frames / fps


def test_render_overlay_reports_progress_and_writes_the_copy(
    qtbot, library: ClipLibrary, clips_dir: Path, recorded: list[SavedClip]
) -> None:
    window = open_window(qtbot, library, clips_dir)
    clip = clip_of(window, recorded[1].clip_id)
    before = digests(clip.path)
    reports: list[tuple[int, int]] = []
    window.jobs.progress.connect(lambda job, done, total: reports.append((done, total)))
    with qtbot.waitSignal(window.jobs.finished, timeout=120_000) as finished:
        window.render_overlay(clip)
    result = finished.args[1]
    assert result.path.parent == clip.path and result.path.is_file()
    frames = recorded[1].manifest.video.frames
    assert result.frames == frames
    assert reports and reports[-1] == (frames, frames)
    assert [d for d, _ in reports] == sorted(d for d, _ in reports)
    assert window.actions_bar.progress.isHidden()
    assert result.path.name in window.actions_bar.status.text()
    with av.open(str(result.path)) as container:
        assert sum(1 for _ in container.decode(video=0)) == frames
    assert {k: v for k, v in digests(clip.path).items() if k in before} == before


def test_a_job_goes_on_while_the_window_is_closed_and_it_opens_again_working(
    qtbot, library: ClipLibrary, clips_dir: Path, recorded: list[SavedClip]
) -> None:
    window = open_window(qtbot, library, clips_dir)
    clip = clip_of(window, recorded[0].clip_id)
    with qtbot.waitSignal(window.jobs.finished, timeout=120_000) as finished:
        window.render_overlay(clip)
        window.close()  # at once: the render is still running
        assert not window.isVisible()
    assert finished.args[1].path.is_file()
    # A clip saved while it was closed is listed when it opens again, and actions still run.
    copy = clips_dir / "Copied clip"
    shutil.copytree(recorded[2].path, copy)
    (copy / "manifest.json").write_text(
        (copy / "manifest.json")
        .read_text()
        .replace(recorded[2].clip_id, "c0ffee00-0000-4000-8000-000000000000")
    )
    window.show()
    qtbot.waitUntil(lambda: window.model.rowCount() == 4, timeout=WAIT_MS)
    with qtbot.waitSignal(window.jobs.finished, timeout=120_000) as again:
        window.render_overlay(clip_of(window, recorded[1].clip_id))
    assert again.args[1].path.is_file()


def test_upload_now_queues_and_uploads_it(
    qtbot, library: ClipLibrary, clips_dir: Path, recorded: list[SavedClip], monkeypatch
) -> None:
    told: list[str] = []
    window = open_window(qtbot, library, clips_dir)
    monkeypatch.setattr(QMessageBox, "warning", lambda parent, title, text: told.append(text))
    clip = clip_of(window, recorded[0].clip_id)
    assert window.upload_now(clip) is None  # no bucket set yet
    assert told == ["No upload target is set: choose a bucket in Settings ([upload] bucket)."]
    _settings_with_bucket(monkeypatch)
    assert window.upload_now(clip) is None  # no consent yet
    assert len(told) == 2 and "consent" in told[1]
    assert library.get(clip.id).state == ClipState.LOCAL  # nothing queued without it
    library.record_consent("clips", True)
    future = window.upload_now(clip)
    assert library.get(clip.id).state in (ClipState.QUEUED, ClipState.UPLOADING)
    future.result(timeout=60)
    qtbot.waitUntil(lambda: clip_of(window, clip.id).state == ClipState.UPLOADED, timeout=WAIT_MS)
    keys = memory_bucket("team-clips").list_keys("")
    assert any(k.endswith(f"/{clip.id}/manifest.json") for k in keys)
    assert window.actions_bar.status.text() == "Uploaded."
    assert not window.actions_bar.upload.isEnabled()  # uploaded: nothing more to send
    assert len(told) == 2


def test_delete_asks_first_then_deletes_here_and_in_the_bucket(
    qtbot, library: ClipLibrary, clips_dir: Path, recorded: list[SavedClip], monkeypatch
) -> None:
    _settings_with_bucket(monkeypatch)
    library.record_consent("clips", True)
    window = open_window(qtbot, library, clips_dir)
    clip = clip_of(window, recorded[2].clip_id)
    window.upload_now(clip).result(timeout=60)
    qtbot.waitUntil(lambda: clip_of(window, clip.id).state == ClipState.UPLOADED, timeout=WAIT_MS)
    clip = clip_of(window, clip.id)
    bucket = memory_bucket("team-clips")
    assert bucket.list_keys("")
    thumb = window.thumbnails.path_for(clip.id)
    assert thumb.is_file()

    asked = answer_next_box(QMessageBox.StandardButton.Cancel)
    assert window.delete(clip) is None
    assert asked == ["Delete this clip from this computer and from the bucket it was uploaded to?"]
    assert clip.path.is_dir() and bucket.list_keys("")  # cancelled: nothing happened

    answer_next_box(QMessageBox.StandardButton.Yes)
    window.delete(clip).result(timeout=60)
    qtbot.waitUntil(lambda: window.model.rowCount() == 2, timeout=WAIT_MS)
    assert not clip.path.exists() and bucket.list_keys("") == []
    assert library.get(clip.id).state == ClipState.DELETED
    assert not thumb.exists()
    assert window.actions_bar.status.text() == "Deleted."


def test_a_clip_renamed_into_the_folder_shows_within_a_second(
    qtbot, library: ClipLibrary, clips_dir: Path, recorded: list[SavedClip], tmp_path: Path
) -> None:
    window = open_window(qtbot, library, clips_dir)
    new = recorded[0]
    partial = clips_dir / ".new-clip.partial"
    shutil.copytree(new.path, partial)
    # Another clip id: a copy under a new id, as a new save would be.
    manifest = open_bundle(partial).manifest
    from dataclasses import replace

    from hindsight.bundle import MANIFEST_FILE

    fresh = replace(manifest, clip_id="0c8f5a6e-2b7d-4e55-9d0b-52a4b1c3d9e1")
    (partial / MANIFEST_FILE).write_text(fresh.to_json())
    t0 = time.monotonic()
    os.rename(partial, clips_dir / "Counter-Strike 2 2026-12-07 00-00-00")  # as the recorder does
    qtbot.waitUntil(lambda: window.model.row_of(fresh.clip_id) >= 0, timeout=5000)
    assert time.monotonic() - t0 < 1.0
    qtbot.waitUntil(lambda: window.model.has_thumbnail(fresh.clip_id), timeout=WAIT_MS)


def test_a_user_error_is_one_sentence_in_a_message_box(
    qtbot, library: ClipLibrary, clips_dir: Path, recorded: list[SavedClip]
) -> None:
    window = open_window(qtbot, library, clips_dir)
    clip = clip_of(window, recorded[0].clip_id)
    shutil.rmtree(clip.path)
    seen = answer_next_box(QMessageBox.StandardButton.Ok)
    window.play(clip)
    assert len(seen) == 1 and seen[0].startswith("The clip is no longer on this computer")
    assert seen[0].count(". ") == 0 and seen[0].endswith(".")


def _settings_with_bucket(monkeypatch: pytest.MonkeyPatch) -> None:
    """An upload target in the user's settings, served by the in-memory transport."""
    from hindsight.paths import settings_path

    monkeypatch.setenv("HINDSIGHT_TRANSPORT", "memory")
    forget_memory_buckets()
    path = settings_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text('[upload]\nbucket = "team-clips"\nprefix = "alice"\n')


def test_a_clip_the_recorder_registered_elsewhere_shows_within_a_second(
    qtbot, library: ClipLibrary, clips_dir: Path, recorded: list[SavedClip], tmp_path: Path
) -> None:
    window = open_window(qtbot, library, clips_dir)
    elsewhere = tmp_path / "other-clips"  # a recorder with its own --clips-dir: no folder event
    copy = Path(shutil.copytree(recorded[1].path, elsewhere / "Counter-Strike 2 copy"))
    from dataclasses import replace

    from hindsight.bundle import MANIFEST_FILE

    fresh = replace(open_bundle(copy).manifest, clip_id="5d1c7e0a-8f64-4c1b-a7a2-1f0e9b3c6d42")
    (copy / MANIFEST_FILE).write_text(fresh.to_json())
    t0 = time.monotonic()
    ClipLibrary.open(library.url).register(copy)  # as the recorder's library output does
    qtbot.waitUntil(lambda: window.model.row_of(fresh.clip_id) >= 0, timeout=5000)
    assert time.monotonic() - t0 < 1.2  # one poll period, plus the listing


def test_the_trim_dialog_asks_for_the_span(
    qtbot, library: ClipLibrary, clips_dir: Path, recorded: list[SavedClip], monkeypatch
) -> None:
    from hindsight.app.desktop.trim_dialog import TrimDialog

    told: list[str] = []  # a failure must fail the test, not wait on a message box
    monkeypatch.setattr(QMessageBox, "warning", lambda parent, title, text: told.append(text))
    window = open_window(qtbot, library, clips_dir)
    source = clip_of(window, recorded[2].clip_id)  # 4 s

    def answer() -> None:
        dialog = QApplication.activeModalWidget()
        if not isinstance(dialog, TrimDialog):
            QTimer.singleShot(20, answer)
            return
        assert dialog.end.value() == pytest.approx(source.duration_ms / 1000, abs=0.05)
        dialog.end.setValue(1.0)
        dialog.start.setValue(2.0)  # an empty span cannot be saved
        assert not dialog.buttons.button(QDialogButtonBox.StandardButton.Ok).isEnabled()
        dialog.start.setValue(0.5)
        dialog.end.setValue(3.0)
        dialog.accept()

    QTimer.singleShot(20, answer)
    with qtbot.waitSignals([window.jobs.finished], raising=False, timeout=WAIT_MS) as finished:
        window.jobs.failed.connect(lambda job, text: told.append(text))
        window.ask_trim(source)
    assert told == []
    trimmed = finished.all_signals_and_args[0].args[1]
    assert trimmed.duration_ms == 3000  # from the keyframe at 0 s to 3 s
    assert open_bundle(trimmed.path).verify() == []
