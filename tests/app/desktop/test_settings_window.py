"""The settings window, used as a player would: type into fields, press keys, save, and the real
command line agrees with what the window said."""

from __future__ import annotations

import os
import tomllib
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PyQt6.QtCore import Qt  # noqa: E402
from PyQt6.QtTest import QTest  # noqa: E402

from hindsight.app.desktop.settings_window import SettingsWindow  # noqa: E402
from hindsight.app.settings_check import apply_changes  # noqa: E402
from hindsight.recorder.input.hotkey import parse_hotkey  # noqa: E402
from hindsight.recorder.settings import build_recorder_config, load_settings  # noqa: E402
from tests.recorder.cli_proc import run_cli  # noqa: E402

USER_FILE = """\
# My Hindsight settings: I keep the buffer short.
[record]
fps = 60            # my monitor does 60
buffer_seconds = 30 # how far back a save can reach
# I never change this one
bitrate = "12M"
hotkey = "F8"

# sharing: later
[upload]
policy = "manual"   # until I trust it
"""


@pytest.fixture
def settings_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    path = tmp_path / "settings.toml"
    path.write_text(USER_FILE)
    return path


def _window(qtbot, path: Path) -> SettingsWindow:
    window = SettingsWindow(settings_path=path)
    qtbot.addWidget(window)
    window.show()
    # Shortcuts (Ctrl+S) reach the active window only; on a real display (the session's
    # application may be on the desktop tests' X server) showing is not activating.
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    return window


def _type(qtbot, window: SettingsWindow, name: str, text: str) -> None:
    editor = window.fields[name].editor
    editor.clear()
    QTest.keyClicks(editor, text)
    qtbot.waitUntil(lambda: not window._timer.isActive())


def _comments(text: str) -> list[str]:
    return [line.split("#", 1)[1] for line in text.splitlines() if "#" in line]


def test_a_change_lands_in_the_file_with_the_users_comments_and_order(qtbot, settings_file):
    window = _window(qtbot, settings_file)
    restarts = []
    window.restart_needed.connect(restarts.append)
    _type(qtbot, window, "record.fps", "30")
    _type(qtbot, window, "record.clip_seconds", "20")
    window.fields["overlay.position"].editor.setCurrentIndex(
        window.fields["overlay.position"].editor.findData("top-right")
    )
    assert window.save_button.isEnabled()
    window.save_button.click()

    text = settings_file.read_text()
    data = tomllib.loads(text)
    assert data["record"]["fps"] == 30
    assert data["record"]["clip_seconds"] == 20
    assert data["overlay"]["position"] == "top-right"
    assert _comments(text) == _comments(USER_FILE)
    assert list(data["record"]) == ["fps", "buffer_seconds", "bitrate", "hotkey", "clip_seconds"]
    assert text.startswith(USER_FILE.replace("fps = 60 ", "fps = 30 ").split("hotkey")[0])
    # The recorder reads [record] at start; the overlay reads its table each time it opens.
    assert restarts == [["record.clip_seconds", "record.fps"]]  # in the window's order
    assert "restarts to apply: Clip length (seconds), Frames per second" in window.status.text()
    assert build_recorder_config({}, load_settings(settings_file)).capture.fps == 30


@pytest.mark.parametrize(
    ("field", "text", "command"),
    [
        ("record.fps", "500", ["record"]),
        ("record.fps", "sixty", ["record"]),
        ("record.bitrate", "12 megabits", ["record"]),
        ("record.clip_seconds", "45", ["record"]),
        ("audio.volume", "9", ["record"]),
        ("audio.bitrate", "1k", ["record"]),
        ("upload.max_rate", "fast", ["upload", "--all"]),
        ("upload.bucket", "My_Bucket", ["upload", "--all"]),
        ("overlay.opacity", "7", ["overlay", "render", "no-such-clip"]),
        ("overlay.accent", "green", ["overlay", "render", "no-such-clip"]),
    ],
)
def test_an_invalid_value_is_refused_with_the_command_lines_message(
    qtbot, settings_file, field, text, command
):
    window = _window(qtbot, settings_file)
    _type(qtbot, window, field, text)
    message = window.fields[field].error.text()
    assert message and not window.fields[field].error.isHidden()
    assert not window.save_button.isEnabled()
    assert window.save() is False
    assert settings_file.read_text() == USER_FILE
    assert window.nav.currentItem().text() == window.page_title(field)  # shows the field

    # The same value, written into the file by hand, and the real command line reading it.
    table, key = field.split(".")
    value = window.fields[field].value()
    bad = settings_file.with_name("bad.toml")
    bad.write_text(apply_changes(USER_FILE, {(table, key): value}))
    result = run_cli(*command, "--settings", str(bad))
    assert result.returncode != 0
    expected = message.replace(str(settings_file), str(bad))
    assert result.stderr.strip() == f"hindsight: error: {expected}"


def test_ctrl_s_saves_except_in_the_hotkey_field_where_it_is_the_combination(qtbot, settings_file):
    window = _window(qtbot, settings_file)
    hotkey = window.fields["record.hotkey"].editor
    hotkey.setFocus()
    QTest.keyClick(hotkey, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: not window._timer.isActive())
    assert hotkey.text() == "ctrl+s" and settings_file.read_text() == USER_FILE
    fps = window.fields["record.fps"].editor
    fps.setFocus()
    QTest.keyClick(fps, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    assert tomllib.loads(settings_file.read_text())["record"]["hotkey"] == "ctrl+s"


def test_clearing_a_field_removes_the_key_so_the_default_applies(qtbot, settings_file):
    window = _window(qtbot, settings_file)
    _type(qtbot, window, "record.bitrate", "")
    assert window.save()
    data = tomllib.loads(settings_file.read_text())
    assert "bitrate" not in data["record"]
    assert "# I never change this one" in settings_file.read_text()


@pytest.mark.parametrize(
    ("key", "modifiers", "expected"),
    [
        (
            Qt.Key.Key_S,
            Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier,
            "ctrl+shift+s",
        ),
        (Qt.Key.Key_F9, Qt.KeyboardModifier.NoModifier, "F9"),
        (
            Qt.Key.Key_Exclam,
            Qt.KeyboardModifier.AltModifier | Qt.KeyboardModifier.ShiftModifier,
            "shift+alt+1",
        ),
        (Qt.Key.Key_PageDown, Qt.KeyboardModifier.ControlModifier, "ctrl+page_down"),
    ],
)
def test_the_hotkey_field_captures_a_combination_the_recorder_parses(
    qtbot, settings_file, key, modifiers, expected
):
    window = _window(qtbot, settings_file)
    editor = window.fields["record.hotkey"].editor
    editor.setFocus()
    QTest.keyClick(editor, key, modifiers)
    qtbot.waitUntil(lambda: not window._timer.isActive())
    assert editor.text() == expected
    assert window.save()
    config = build_recorder_config({}, load_settings(settings_file))
    assert config.hotkey == expected
    parse_hotkey(config.hotkey)  # what the recorder runs when it installs the hotkey


def test_a_key_the_recorder_cannot_use_is_refused_with_its_message(qtbot, settings_file):
    window = _window(qtbot, settings_file)
    editor = window.fields["record.hotkey"].editor
    editor.setFocus()
    QTest.keyClick(editor, Qt.Key.Key_Slash, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: not window._timer.isActive())
    assert "'/' is not a key name here" in window.fields["record.hotkey"].error.text()
    assert not window.save()


def test_the_autostart_toggle_writes_and_removes_the_entry(qtbot, settings_file, tmp_path):
    window = _window(qtbot, settings_file)
    entry = tmp_path / "xdg" / "autostart" / "hindsight.desktop"
    window.autostart_box.setChecked(True)
    assert entry.exists()
    window.autostart_box.setChecked(False)
    assert not entry.exists()


@pytest.mark.parametrize(
    ("text", "command"),
    [("[record\nfps = 60\n", ["record"]), ("[record]\nfsp = 60\n", ["record"])],
)
def test_a_broken_file_is_named_in_one_line_and_nothing_is_saved(
    qtbot, settings_file, text, command
):
    settings_file.write_text(text)
    window = _window(qtbot, settings_file)
    assert not window.banner.isHidden()
    cli = run_cli(*command, "--settings", str(settings_file)).stderr.strip()
    assert cli == f"hindsight: error: {window.banner.text()}"
    _type(qtbot, window, "record.fps", "30")
    assert not window.save() and settings_file.read_text() == text


def test_sound_devices_are_offered_as_the_command_line_lists_them(qtbot, settings_file):
    import json

    listed = json.loads(run_cli("audio", "devices", "--json").stdout)["devices"]
    wanted = {kind: [d["name"] for d in listed if d["kind"] == kind] for kind in ("system", "mic")}
    assert wanted["system"] and wanted["mic"]  # the session's PulseAudio: a null sink and a mic
    window = _window(qtbot, settings_file)
    combos = {n: window.fields[n].editor for n in ("audio.device", "audio.mic_device")}

    def names(combo) -> list:
        return [combo.itemData(i) for i in range(combo.count())]

    qtbot.waitUntil(lambda: len(names(combos["audio.device"])) > 1, timeout=10_000)
    assert names(combos["audio.device"]) == [None, *wanted["system"]]
    assert names(combos["audio.mic_device"]) == [None, *wanted["mic"]]
    assert not window.changes()  # listing is not an edit
    combo = combos["audio.mic_device"]
    combo.setCurrentIndex(combo.findData(wanted["mic"][0]))
    qtbot.waitUntil(lambda: window.save_button.isEnabled())
    assert window.save()
    saved = tomllib.loads(settings_file.read_text())
    assert saved["audio"]["mic_device"] == wanted["mic"][0]
    config = build_recorder_config({}, load_settings(settings_file))
    assert config.audio.mic_device == wanted["mic"][0]


def _answer(qtbot, button) -> None:
    """Press ``button`` in the question the window is about to ask."""
    from PyQt6.QtCore import QTimer
    from PyQt6.QtWidgets import QApplication, QMessageBox

    def press() -> None:
        ask = QApplication.activeModalWidget()
        if not isinstance(ask, QMessageBox):
            QTimer.singleShot(20, press)
            return
        ask.button(button).click()

    QTimer.singleShot(0, press)


def test_closing_with_unsaved_changes_asks_first(qtbot, settings_file):
    from PyQt6.QtWidgets import QMessageBox

    before = settings_file.read_text()
    window = _window(qtbot, settings_file)
    window.close()  # nothing changed: closes without a question
    assert not window.isVisible()

    window.show()
    _type(qtbot, window, "record.fps", "30")
    _answer(qtbot, QMessageBox.StandardButton.Cancel)
    window.close()
    assert window.isVisible() and window.changes()  # stayed, the edit kept
    assert settings_file.read_text() == before

    _answer(qtbot, QMessageBox.StandardButton.Discard)
    window.close()
    assert not window.isVisible() and not window.changes()
    assert settings_file.read_text() == before
    window.show()
    assert window.fields["record.fps"].editor.text() == "60"  # opened again: the file's value

    _type(qtbot, window, "record.fps", "30")
    _answer(qtbot, QMessageBox.StandardButton.Save)
    window.close()
    assert not window.isVisible()
    assert tomllib.loads(settings_file.read_text())["record"]["fps"] == 30
    assert "# my monitor does 60" in settings_file.read_text()

    window.show()
    _type(qtbot, window, "record.fps", "7000")  # refused: Save keeps the window open
    _answer(qtbot, QMessageBox.StandardButton.Save)
    window.close()
    assert window.isVisible() and not window.fields["record.fps"].error.isHidden()
    _answer(qtbot, QMessageBox.StandardButton.Discard)
    window.close()
