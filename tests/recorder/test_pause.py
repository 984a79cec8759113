"""Pausing a running recorder through the CLI: a paused recorder records nothing and keeps nothing.

A real ``hindsight record`` on Xvfb with sound from the session's PulseAudio server;
``hindsight pause`` / ``resume`` / ``status`` / ``clip`` as a player types them.
"""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import pytest

from hindsight.bundle import read_manifest
from hindsight.recorder.control import create_client
from tests.recorder.cli_proc import RecorderProcess, run_cli
from tests.x11 import moving_scene, xvfb  # noqa: F401

pytestmark = [pytest.mark.x11, pytest.mark.slow]


@pytest.fixture
def recorder(xvfb, moving_scene, isolated_user_dirs):  # noqa: F811
    rec = RecorderProcess(
        "--display", xvfb.name, "--fps", "30", "--buffer-seconds", "10", "--clip-seconds", "2",
        "--bitrate", "4M", "--overlay-port", "0",
    )  # fmt: skip
    try:
        rec.wait_line("recording ")
        yield rec
    finally:
        rec.kill()


def _status() -> dict:
    return create_client().request({"cmd": "status"}, timeout_s=10)


def _events() -> list[dict]:
    return create_client().request({"cmd": "events", "after": 0}, timeout_s=10)["events"]


def test_pause_records_nothing_and_resume_records_again(recorder, xvfb) -> None:  # noqa: F811
    time.sleep(1.5)
    before = run_cli("clip", "--seconds", "1")
    assert before.returncode == 0, before.stderr
    result = run_cli("pause")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "paused: nothing is recorded until `hindsight resume`"
    assert run_cli("pause").stdout.strip() == "already paused"

    status = _status()
    assert status["state"] == "paused"
    assert status["buffer"]["seconds"] == 0 and status["buffer"]["bytes"] == 0
    assert status["audio"] is None  # the sound devices are closed
    frames = status["capture"]["frames"]
    translated = status["actions"]["inputs"]["translated"]
    # Input while paused reaches no translator; the screen is not grabbed.
    subprocess.run(["xdotool", "key", "w", "space"], env={**os.environ, "DISPLAY": xvfb.name})
    time.sleep(1.0)
    status = _status()
    assert status["capture"]["frames"] == frames
    assert status["actions"]["inputs"]["translated"] == translated
    assert status["buffer"]["bytes"] == 0

    human = run_cli("status")
    assert human.returncode == 0 and human.stdout.splitlines()[0] == "state      paused"

    refused = run_cli("clip")
    assert refused.returncode != 0
    assert refused.stderr.strip().splitlines() == [
        "hindsight: error: recording is paused, so there is nothing to save; resume it first"
    ]
    # F8 while paused saves nothing and says why, once, as an event the tray turns into a notice.
    subprocess.run(["xdotool", "key", "F8"], env={**os.environ, "DISPLAY": xvfb.name}, check=True)
    deadline = time.monotonic() + 5
    while not any(e["kind"] == "save_failed" for e in _events()) and time.monotonic() < deadline:
        time.sleep(0.1)
    failed = [e for e in _events() if e["kind"] == "save_failed"]
    assert [e["reason"] for e in failed] == [
        "recording is paused, so there is nothing to save; resume it first"
    ]

    result = run_cli("resume")
    assert result.returncode == 0 and result.stdout.strip() == "recording"
    time.sleep(1.5)
    status = _status()
    assert status["state"] == "recording"
    assert status["capture"]["frames"] > frames and status["buffer"]["seconds"] > 0.5
    assert status["audio"] is not None
    clip = run_cli("clip", "--seconds", "1")
    assert clip.returncode == 0, clip.stderr
    # Frame 0 of the new timeline is the first after resume, so it is a new session.
    old, new = (read_manifest(Path(r.stdout.strip())).session for r in (before, clip))
    assert old is not None and new is not None and old.session_id != new.session_id
    assert old.first_frame >= 0 and 0 <= new.first_frame <= 30 * 1.5
    states = [e["state"] for e in _events() if e["kind"] == "state_changed"]
    assert states == ["recording", "paused", "recording"]


def test_pause_without_a_recorder_is_one_line(isolated_user_dirs) -> None:
    result = run_cli("pause")
    assert result.returncode != 0
    assert len(result.stderr.strip().splitlines()) == 1
    assert result.stderr.startswith("hindsight: error: ")
