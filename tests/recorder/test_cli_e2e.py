"""The real CLI under Xvfb: record, clip, status, the F8 hotkey via xdotool, clean stops
and kills.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import threading
import time
from pathlib import Path

import pytest

from hindsight.bundle import open_bundle
from hindsight.recorder.control import ControlError, create_client
from hindsight.recorder.export.mediainfo import read_media_facts
from hindsight.recorder.status import RecorderStatus
from tests.recorder.cli_proc import RecorderProcess, clip_folders, run_cli
from tests.recorder.helpers import check_manifest_digests
from tests.x11 import moving_scene, xvfb  # noqa: F401

pytestmark = pytest.mark.x11


@pytest.fixture
def recorder(xvfb, moving_scene, isolated_user_dirs):  # noqa: F811
    rec = RecorderProcess(
        "--display",
        xvfb.name,
        "--fps",
        "30",
        "--buffer-seconds",
        "12",
        "--clip-seconds",
        "3",
        "--bitrate",
        "4M",
    )
    try:
        rec.wait_line("recording ")
        yield rec
    finally:
        rec.kill()


def test_clip_status_hotkey_and_clean_stop(
    recorder: RecorderProcess, xvfb, isolated_user_dirs
) -> None:  # noqa: F811
    clips_dir = isolated_user_dirs["clips"]
    time.sleep(6)
    status = RecorderStatus.from_json(json.loads(run_cli("status", "--json").stdout))
    assert status.state == "recording" and status.encoder.name == "libx264"
    assert status.buffer.seconds >= 5 and status.capture.fps_target == 30
    assert status.actions is not None and status.actions.input_sources
    assert sorted(status.outputs) == ["library", "overlay"]
    human = run_cli("status")
    assert human.returncode == 0 and "buffer" in human.stdout and "libx264" in human.stdout
    overlay = status.outputs["overlay"]
    assert overlay.details["url"] in overlay.summary
    assert f"overlay    {overlay.summary}" in human.stdout
    assert f"library    {status.outputs['library'].summary}" in human.stdout

    result = run_cli("clip", "--seconds", "5")
    assert result.returncode == 0, result.stderr
    bundle = Path(result.stdout.strip())
    assert bundle.parent == clips_dir and bundle.is_dir()
    manifest = check_manifest_digests(bundle)
    facts = read_media_facts(bundle / manifest.video.file, decode=True)
    assert facts.first_is_keyframe and facts.cfr and facts.fps == 30
    assert facts.frames == manifest.video.frames
    assert abs(facts.duration_s - manifest.video.duration_s) < 1e-6
    assert 5.0 <= facts.duration_s <= 6.1
    assert (facts.width, facts.height) == (1280, 720)
    assert recorder.wait_line("saved ") == f"saved {bundle}"

    # The save hotkey, pressed the way a player would (a real X key event).
    subprocess.run(["xdotool", "key", "F8"], env={**os.environ, "DISPLAY": xvfb.name}, check=True)
    line = recorder.wait_line("saved ", timeout_s=20)
    hotkey_clip = Path(line.removeprefix("saved "))
    assert hotkey_clip != bundle and hotkey_clip.is_dir()
    assert 3.0 <= open_bundle(hotkey_clip).manifest.video.duration_s <= 4.1

    # What the desktop app hears: numbered events, asked for after the last one seen.
    client = create_client(str(isolated_user_dirs["control"]))
    page = client.request({"cmd": "events", "after": 0}, timeout_s=10)
    kinds = [
        (e["kind"], e.get("state") or e.get("path") or e.get("seconds")) for e in page["events"]
    ]
    assert kinds == [  # a save is heard when it starts (the tray shows "saving") and ends
        ("state_changed", "recording"),
        ("save_started", 5),
        ("clip_saved", str(bundle)),
        ("save_started", 3),
        ("clip_saved", str(hotkey_clip)),
    ]
    assert [e["seq"] for e in page["events"]] == [1, 2, 3, 4, 5] and page["missed"] == 0
    assert page["events"][2]["duration_s"] == open_bundle(bundle).manifest.video.duration_s
    assert json.loads(run_cli("status", "--json").stdout)["saves"]["in_flight"] is False
    later = client.request({"cmd": "events", "after": page["last_seq"]}, timeout_s=10)
    assert later["events"] == [] and later["last_seq"] == 5
    bad = run_cli_json_error(client, {"cmd": "events", "after": "x"})
    assert "events after 'x'" in bad

    assert recorder.stop(signal.SIGTERM) == 0
    assert "stopped" in "".join(recorder.stdout)
    assert not isolated_user_dirs["control"].exists()  # the control socket is cleaned up
    after = run_cli("clip")
    assert after.returncode == 1 and after.stderr.strip() == (
        "hindsight: error: no recorder is running (start one with `hindsight record`)"
    )


def run_cli_json_error(client, request: dict) -> str:
    with pytest.raises(ControlError) as err:
        client.request(request, timeout_s=10)
    assert err.value.error_type == "ConfigError"
    return str(err.value)


def test_ctrl_c_stops_cleanly(recorder: RecorderProcess) -> None:
    assert recorder.stop(signal.SIGINT) == 0


def test_second_recorder_is_refused(recorder: RecorderProcess, xvfb) -> None:  # noqa: F811
    result = run_cli("record", "--display", xvfb.name, timeout_s=60)
    assert result.returncode == 1
    assert "a recorder is already running" in result.stderr and "Traceback" not in result.stderr


def test_kill_during_export_leaves_no_half_clip(xvfb, moving_scene, isolated_user_dirs) -> None:  # noqa: F811
    clips_dir = isolated_user_dirs["clips"]
    rec = RecorderProcess(
        "--display",
        xvfb.name,
        "--fps",
        "30",
        "--buffer-seconds",
        "12",
        "--bitrate",
        "40M",
        "--no-hotkey",
    )
    try:
        rec.wait_line("recording ")
        time.sleep(11)
        first = Path(run_cli("clip", "--seconds", "2").stdout.strip())
        before = check_manifest_digests(first)
        # Ask for a long clip and kill the recorder the moment its bundle is being written.
        threading.Thread(target=run_cli, args=("clip", "--seconds", "11"), daemon=True).start()
        deadline = time.monotonic() + 20
        while not any(p.name.endswith(".partial") for p in clips_dir.iterdir()):
            assert time.monotonic() < deadline, "the export never started"
            time.sleep(0.0005)
        rec.proc.kill()
        rec.proc.wait(10)
        assert clip_folders(clips_dir) == [first]  # nothing new under a final name
        assert check_manifest_digests(first) == before  # the earlier clip is intact
    finally:
        rec.kill()
    # The next start sweeps the half-written bundle away.
    rec2 = RecorderProcess("--display", xvfb.name, "--fps", "30", "--no-hotkey")
    try:
        rec2.wait_line("recording ")
        assert not any(p.name.endswith(".partial") for p in clips_dir.iterdir())
    finally:
        rec2.kill()


def test_user_errors_are_one_line(xvfb, isolated_user_dirs, tmp_path: Path) -> None:  # noqa: F811
    def one_line_error(result: subprocess.CompletedProcess, fragment: str, code: int = 1) -> None:
        assert result.returncode == code, result
        lines = result.stderr.strip().splitlines()
        assert (
            len(lines) == 1 and lines[0].startswith("hindsight: error: ") and fragment in lines[0]
        ), result.stderr

    one_line_error(run_cli("status"), "no recorder is running")
    one_line_error(run_cli("record", "--display", xvfb.name, "--monitor", "7"), "monitor 7")
    one_line_error(
        run_cli("record", "--display", xvfb.name, "--window", "No Such Window 123"),
        "No Such Window 123",
    )
    one_line_error(run_cli("record", "--display", ":987"), ":987")
    env = {k: v for k, v in os.environ.items() if k != "DISPLAY"}
    one_line_error(run_cli("record", env=env), "DISPLAY")
    blocker = tmp_path / "file"
    blocker.write_text("x")
    one_line_error(
        run_cli("record", "--display", xvfb.name, "--clips-dir", str(blocker / "clips")),
        "clips folder",
    )
    one_line_error(
        run_cli("record", "--display", xvfb.name, "--bitrate", "fast"), "bitrate", code=2
    )
    one_line_error(
        run_cli("record", "--display", xvfb.name, "--encoder", "h264_nvenc"), "h264_nvenc"
    )
    settings = isolated_user_dirs["config"] / "settings.toml"
    settings.parent.mkdir(parents=True, exist_ok=True)
    settings.write_text("[record]\nbufer_seconds = 10\n")
    one_line_error(
        run_cli("record", "--display", xvfb.name), "record.bufer_seconds: unknown setting", code=2
    )
