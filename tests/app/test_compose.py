"""The composition root: a settings file becomes a recorder with the right outputs, and
clips reach them.
"""

from __future__ import annotations

import dataclasses
import json
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from hindsight.app.compose import OVERLAY_DEFAULT_PORT, RecorderPlan, compose_recorder
from hindsight.bundle import BundleContributor, SavedClip
from hindsight.cli.status import status_lines
from hindsight.recorder.clip_reply import ClipReply
from hindsight.recorder.config import RecorderConfig
from hindsight.recorder.control import create_client
from hindsight.recorder.outputs import RunningRecorder
from hindsight.recorder.service import RecorderService
from hindsight.recorder.status import RecorderStatus
from hindsight.uploader.library import ClipLibrary
from tests.recorder.helpers import fake_config

# A recorder that needs no screen: the fake capture source, no input hook.
FAKE_RECORD = (
    '[record]\ncapture_source = "fake"\nregion = "0,0,320,240"\nfps = 30\nbuffer_seconds = 6\n'
    'clip_seconds = 2\nbitrate = "2M"\ninput = false\n'
)


def wait_for(predicate, timeout_s: float = 15.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not predicate():
        assert time.monotonic() < deadline, "condition not reached in time"
        time.sleep(0.05)


def write_settings(folder: Path, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "settings.toml"
    path.write_text(text)
    return path


def no_input(config: RecorderConfig) -> RecorderConfig:
    return dataclasses.replace(config, input_enabled=False)


def names(service: RecorderService) -> list[str]:
    return [output.name for output in service.outputs]


def test_a_settings_file_becomes_a_recorder_with_its_outputs(tmp_path: Path) -> None:
    settings = write_settings(
        tmp_path,
        '[record]\nfps = 24\nbitrate = "6M"\nbuffer_seconds = 20\nhotkey = "F9"\n'
        f'clips_dir = "{tmp_path / "mine"}"\n',
    )
    service = compose_recorder(
        RecorderPlan(settings_file=settings, overrides={"fps": 50, "bitrate": None})
    )
    config = service.config
    assert config.capture.fps == 50  # the flag wins
    assert config.encoder.bitrate_bps == 6_000_000 and config.ring.buffer_seconds == 20
    assert config.hotkey == "F9" and config.clips_dir == tmp_path / "mine"
    assert names(service) == ["library", "overlay"]
    assert service.outputs[1].port == OVERLAY_DEFAULT_PORT  # type: ignore[attr-defined]

    assert names(
        compose_recorder(RecorderPlan(settings_file=settings, library=False, overlay_port=0))
    ) == ["overlay"]
    assert names(compose_recorder(RecorderPlan(settings_file=settings, overlay_port=None))) == [
        "library"
    ]
    # No input actions, nothing for an overlay to draw: no overlay server.
    assert names(
        compose_recorder(RecorderPlan(settings_file=settings, overrides={"input": False}))
    ) == ["library"]
    # The demo's way: the [record] table is not read, the built-in defaults are.
    demo = compose_recorder(
        RecorderPlan(settings_file=settings, record_settings=False, overlay_port=None)
    )
    assert demo.config.capture.fps == 60 and demo.config.hotkey == "F8"


def test_a_bad_setting_is_refused_before_anything_starts(tmp_path: Path) -> None:
    from hindsight.recorder.errors import ConfigError

    settings = write_settings(tmp_path, "[record]\nfsp = 30\n")
    with pytest.raises(ConfigError, match=r"record\.fsp: unknown setting"):
        compose_recorder(RecorderPlan(settings_file=settings))


def test_the_library_receives_a_saved_clip_through_the_recorder(
    tmp_path: Path, isolated_user_dirs
) -> None:
    settings = write_settings(isolated_user_dirs["config"], FAKE_RECORD)
    service = compose_recorder(RecorderPlan(settings_file=settings, hotkey=False))
    assert names(service) == ["library"]
    service.start()
    try:
        wait_for(lambda: service.status().buffer.seconds >= 2.5)
        # Through the control channel, as `hindsight clip` and `hindsight status` ask.
        client = create_client()
        clip = ClipReply.from_json(client.request({"cmd": "clip", "seconds": 2}, timeout_s=60))
        wait_for(lambda: "1 local" in service.status().outputs["library"].summary)
        reply = client.request({"cmd": "status"}, timeout_s=10)
    finally:
        service.stop()
    status = RecorderStatus.from_json(reply)
    assert status.saves.saved == 1 and status.saves.last_clip == clip.path
    assert status.outputs["library"].details["registered"] == 1
    assert status.actions is None and status.capture.source and status.encoder.name == "libx264"
    library = ClipLibrary.open()
    try:
        [record] = library.clips()
    finally:
        library.close()
    assert record.id == clip.clip_id and record.path == Path(clip.path)


class Recording:
    """An output that keeps what it was told, in order."""

    name = "recording"

    def __init__(self) -> None:
        self.calls: list[str] = []
        self.clips: list[SavedClip] = []
        self.focused: Any = "unset"

    def contributors(self) -> Sequence[BundleContributor]:
        return ()

    def start(self, recorder: RunningRecorder) -> None:
        self.calls.append("start")
        self.focused = recorder.focused_game()

    def clip_saved(self, clip: SavedClip) -> None:
        self.clips.append(clip)

    def stop(self) -> None:
        self.calls.append("stop")

    def summary(self) -> str:
        return f"{len(self.clips)} clips"

    def status(self) -> dict[str, Any]:
        return {"clips": len(self.clips)}


class Broken(Recording):
    """An output that fails at everything after it started."""

    name = "broken"

    def clip_saved(self, clip: SavedClip) -> None:
        raise RuntimeError("simulated output bug")

    def status(self) -> dict[str, Any]:
        raise RuntimeError("simulated status bug")

    def stop(self) -> None:
        raise RuntimeError("simulated stop bug")


def test_a_failing_output_never_stops_recording_or_the_others(tmp_path: Path, caplog) -> None:
    broken, recording = Broken(), Recording()
    config = no_input(fake_config(tmp_path / "clips", buffer_seconds=6, clip_seconds=2))
    service = RecorderService(config, outputs=[broken, recording], hotkey=False, control=False)
    service.start()
    try:
        wait_for(lambda: service.status().buffer.seconds >= 2.5)
        first = service.save(2).wait(30)
        second = service.save(1).wait(30)
        wait_for(lambda: len(recording.clips) == 2)
        status = service.status()
    finally:
        service.stop()
    assert [c.path for c in recording.clips] == [first.path, second.path]
    assert (
        recording.calls == ["start", "stop"] and recording.focused is None
    )  # input is off: no game
    assert status.state == "recording" and status.saves.saved == 2
    assert status.outputs["recording"].summary == "2 clips"
    assert "simulated status bug" in status.outputs["broken"].summary
    lines = status_lines(status)  # `hindsight status`: one line per output, with its summary
    assert "recording  2 clips" in lines and "inputs     off (video only)" in lines
    assert sum("simulated output bug" in (r.exc_text or "") for r in caplog.records) == 2
    # The status after the stop, when every output had heard of every clip.
    assert service.last_status is not None and service.last_status.outputs["recording"].details == {
        "clips": 2
    }


def test_status_json_round_trips(tmp_path: Path) -> None:
    recording = Recording()
    service = RecorderService(
        no_input(fake_config(tmp_path / "clips")), outputs=[recording], hotkey=False, control=False
    )
    service.start()
    try:
        wait_for(lambda: service.status().capture.frames > 5)
        status = service.status()
    finally:
        service.stop()
    wire = json.loads(json.dumps(status.to_json()))
    assert wire["outputs"] == {"recording": {"clips": 0, "summary": "0 clips"}}
    assert RecorderStatus.from_json({**wire, "ok": True}) == status


def test_an_unreadable_status_is_one_line() -> None:
    from hindsight.recorder.errors import ControlError

    with pytest.raises(ControlError, match="another version"):
        RecorderStatus.from_json({"state": "recording", "pid": 1})
