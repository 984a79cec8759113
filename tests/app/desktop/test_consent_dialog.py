"""The first-run consent dialog records a choice exactly as `hindsight consent` does: the real
command then reports it."""

from __future__ import annotations

import os
import tomllib
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from hindsight.app.desktop.consent_dialog import ConsentDialog, consent_asked  # noqa: E402
from hindsight.uploader.consent import PURPOSES, consent_text  # noqa: E402
from tests.recorder.cli_proc import run_cli  # noqa: E402

USER_FILE = '# mine\n[upload]\nbucket = "team-clips"  # the team\'s\n'


@pytest.fixture
def settings_file(tmp_path: Path) -> Path:
    path = tmp_path / "config" / "settings.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(USER_FILE)
    return path


def _dialog(qtbot, path: Path) -> ConsentDialog:
    dialog = ConsentDialog(settings_path=path)
    qtbot.addWidget(dialog)
    dialog.show()
    return dialog


def _show(path: Path) -> str:
    result = run_cli("consent", "show", "--settings", str(path))
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_it_shows_each_text_with_its_version_and_nothing_is_ticked(qtbot, settings_file):
    dialog = _dialog(qtbot, settings_file)
    for purpose in PURPOSES:
        text = consent_text(purpose)
        assert not dialog.boxes[purpose].isChecked()
        shown = " ".join(label.text() for label in dialog.findChildren(type(dialog.error)))
        assert f"text version {text.version}" in shown
    assert not dialog.boxes["dataset"].isEnabled()  # training data needs sharing first
    assert not consent_asked(settings_file)


def test_choosing_nothing_records_nothing_and_uploads_nothing(qtbot, settings_file):
    dialog = _dialog(qtbot, settings_file)
    dialog.decline()
    assert _show(settings_file) == "clips: not granted\ndataset: not granted\n"
    assert settings_file.read_text() == USER_FILE
    assert consent_asked(settings_file)


def test_a_grant_is_what_hindsight_consent_then_reports(qtbot, settings_file):
    dialog = _dialog(qtbot, settings_file)
    dialog.boxes["clips"].setChecked(True)
    dialog.boxes["dataset"].setChecked(True)
    dialog.policy.setCurrentIndex(dialog.policy.findData("instant"))
    assert dialog.record()

    shown = _show(settings_file).splitlines()
    assert shown[0].startswith(f"clips: granted ({consent_text('clips').version}, ")
    assert shown[1].startswith(f"dataset: granted ({consent_text('dataset').version}, ")
    text = settings_file.read_text()
    assert tomllib.loads(text)["upload"] == {"bucket": "team-clips", "policy": "instant"}
    assert "# the team's" in text and text.startswith("# mine\n")

    # Reopened, the dialog shows the choice; unticking sharing withdraws both, as the CLI would.
    again = _dialog(qtbot, settings_file)
    assert again.boxes["clips"].isChecked() and again.boxes["dataset"].isChecked()
    again.boxes["clips"].setChecked(False)
    assert again.record()
    shown = _show(settings_file).splitlines()
    assert shown[0].startswith("clips: withdrawn (")
    assert shown[1].startswith("dataset: withdrawn (")
