"""The manifest's one reader and writer: byte-compatible with saved clips, strict on types."""

from __future__ import annotations

import json

import pytest

from hindsight.bundle import (
    ACTIONS_FILE,
    FORMAT_NAME,
    FORMAT_VERSION,
    BundleError,
    Consent,
    Manifest,
    Redaction,
)
from hindsight.bundle import schema as col
from hindsight.bundle.clip import Contribution
from hindsight.errors import HindsightError

# A manifest exactly as the recorder wrote it before the format had an owner (a clip with an
# action track, saved by a recorder with the library attached): it must read and write back
# byte for byte, so clips already on disk and in buckets stay valid.
SAVED = """{
  "format": "hindsight.clip",
  "version": 1,
  "clip_id": "6f1c1a52-3f0e-4c55-9b0e-1d1f3e0a9c11",
  "created_utc": "2026-11-21T10:00:00.123456Z",
  "recorder": {
    "name": "hindsight",
    "version": "0.4.0"
  },
  "game": {
    "id": "valve.counter-strike-2",
    "title": "Counter-Strike 2"
  },
  "action_map": {
    "id": "valve.counter-strike-2",
    "version": "1.2.0",
    "sha256": "9b7c4f2d0d7a3f0e3d7f1f1b8c9e2a4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d9e0f",
    "file": "actionmap.toml",
    "local_override": false
  },
  "video": {
    "frames": 150,
    "dup_frames": 2,
    "fps": 30,
    "width": 1280,
    "height": 720,
    "codec": "h264",
    "encoder": "libx264",
    "duration_s": 5.0,
    "keyframes": 5,
    "transcoded": false,
    "cfr": true,
    "time_base": "1/30",
    "starts_on_keyframe": true,
    "file": "video.mp4"
  },
  "audio": null,
  "track": {
    "file": "actions.parquet",
    "rows": 150,
    "valid_rows": 120,
    "alignment": "row t holds what the player did while frame t was the latest frame, i.e. during [pts_t, pts_t+1)",
    "clock": "monotonic",
    "latency_bias_frames": 1,
    "columns": [
      "frame_index",
      "timestamp",
      "pts_us",
      "context",
      "valid",
      "dup_frame",
      "act.jump",
      "act.jump.n"
    ],
    "events_file": "events.parquet",
    "events": 12,
    "events_shared": false
  },
  "clock": {
    "source": "monotonic",
    "first_frame_t_ns": 1000000000,
    "last_frame_t_ns": 5966666666
  },
  "privacy": {
    "raw_inputs_stored": false,
    "redacted_frames": 30,
    "contexts_redacted": [
      "chat"
    ],
    "contributor": "c-4f1d",
    "consent_version": {
      "clips": "clips-1",
      "dataset": "dataset-1"
    }
  },
  "capture": {
    "source": "x11grab :99 1280x720+0+0"
  },
  "files": {
    "actionmap.toml": {
      "sha256": "9b7c4f2d0d7a3f0e3d7f1f1b8c9e2a4b5c6d7e8f9a0b1c2d3e4f5a6b7c8d9e0f",
      "bytes": 1834
    },
    "actions.parquet": {
      "sha256": "0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9",
      "bytes": 5120
    },
    "events.parquet": {
      "sha256": "1a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9",
      "bytes": 2048
    },
    "video.mp4": {
      "sha256": "2a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9",
      "bytes": 3145728
    }
  }
}
"""  # noqa: E501 - the exact bytes a saved clip holds, compared byte for byte


def test_a_saved_manifest_reads_into_typed_sections_and_writes_back_byte_for_byte() -> None:
    m = Manifest.from_json(SAVED)
    assert (m.format, m.version) == (FORMAT_NAME, FORMAT_VERSION)
    assert (
        m.game is not None and m.game.title == "Counter-Strike 2" and m.title == "Counter-Strike 2"
    )
    assert m.action_map is not None and m.action_map.ref == "valve.counter-strike-2@1.2.0"
    assert m.video.frames == 150 and m.video.duration_s == 5.0 and m.video.transcoded is False
    assert (
        m.track is not None
        and m.track.file == ACTIONS_FILE
        and m.track.alignment == col.ALIGNMENT_RULE
    )
    assert m.track.columns[:6] == col.FRAME_COLUMNS
    assert m.privacy.contexts_redacted == ("chat",) and m.privacy.consent_version == {
        "clips": "clips-1",
        "dataset": "dataset-1",
    }
    assert m.capture is not None and m.capture.source == "x11grab :99 1280x720+0+0"
    assert m.files["video.mp4"].bytes == 3145728 and m.total_bytes() == 1834 + 5120 + 2048 + 3145728
    assert m.to_json() == SAVED
    assert Manifest.from_json(SAVED.encode()) == m


def test_a_video_only_clip_of_the_old_writer_round_trips_its_extra_privacy_key() -> None:
    raw = json.loads(SAVED)
    raw.update(game=None, action_map=None, track=None)
    raw["privacy"] = {"raw_inputs_stored": False, "action_track": None}
    raw["files"] = {"video.mp4": raw["files"]["video.mp4"]}
    del raw["capture"]
    m = Manifest.from_dict(raw)
    assert m.game is None and m.track is None and m.title == "Desktop" and m.game_id == "desktop"
    assert m.privacy.extra == {"action_track": None}
    assert json.loads(m.to_json())["privacy"] == {
        "raw_inputs_stored": False,
        "contributor": None,
        "consent_version": None,
        "action_track": None,
    }


def test_session_facts_round_trip_and_old_clips_have_none() -> None:
    raw = json.loads(SAVED)
    assert Manifest.from_dict(raw).session is None
    raw["session"] = {"session_id": "4f0c", "first_frame": 4711}
    m = Manifest.from_dict(raw)
    assert (m.session.session_id, m.session.first_frame) == ("4f0c", 4711)
    assert json.loads(m.to_json()) == raw
    raw["session"]["first_frame"] = "4711"
    with pytest.raises(BundleError, match="manifest.session.first_frame: expected int"):
        Manifest.from_dict(raw)


def test_keys_a_newer_recorder_adds_are_kept() -> None:
    raw = json.loads(SAVED)
    raw["provenance"] = {"pipeline": "p-1", "step": 4711}
    raw["video"]["color_space"] = "bt709"
    m = Manifest.from_dict(raw)
    assert m.extra == {"provenance": {"pipeline": "p-1", "step": 4711}}
    assert m.video.extra == {"color_space": "bt709"}
    again = json.loads(m.to_json())
    assert again == raw
    assert list(again)[-1] == "files"  # the hashes still end the file


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda r: r["video"].update(fps="30"), "manifest.video.fps: expected int, got a string"),
        (
            lambda r: r["video"].update(frames=True),
            "manifest.video.frames: expected int, got a boolean",
        ),
        (
            lambda r: r["files"]["video.mp4"].update(bytes=None),
            "manifest.files.video.mp4.bytes: expected int, got null",
        ),
        (
            lambda r: r["track"].update(columns="frame_index"),
            "manifest.track.columns: expected a list, got a string",
        ),
        (
            lambda r: r["track"]["columns"].append(7),
            "manifest.track.columns[8]: expected str, got an integer",
        ),
        (lambda r: r.update(game=["valve"]), "manifest.game: expected an object, got a list"),
        (lambda r: r.pop("clip_id"), "manifest.clip_id: missing"),
        (lambda r: r["clock"].pop("first_frame_t_ns"), "manifest.clock.first_frame_t_ns: missing"),
        (
            lambda r: r.update(format="other.clip"),
            "manifest.format: 'other.clip' is not 'hindsight.clip'",
        ),
        (
            lambda r: r.update(version=FORMAT_VERSION + 1),
            f"manifest.version: {FORMAT_VERSION + 1} is not a version",
        ),
    ],
)
def test_a_bad_value_is_one_line_naming_its_key_path(change, message: str) -> None:
    raw = json.loads(SAVED)
    change(raw)
    with pytest.raises(BundleError) as caught:
        Manifest.from_dict(raw)
    assert str(caught.value).startswith(message)
    assert "\n" not in str(caught.value) and isinstance(caught.value, HindsightError)


def test_not_json_or_not_an_object_is_one_clear_error() -> None:
    with pytest.raises(BundleError, match="cannot be read as JSON"):
        Manifest.from_json("{broken")
    with pytest.raises(BundleError, match="expected a JSON object"):
        Manifest.from_json("[]")


def test_contributions_fill_their_sections_and_merge_privacy_facts() -> None:
    base = Manifest.from_json(SAVED)
    bare = Manifest.from_dict(
        {**json.loads(SAVED), "game": None, "track": None, "privacy": {"raw_inputs_stored": False}}
    )
    track = Contribution(
        game=base.game,
        track=base.track,
        action_map=base.action_map,
        redaction=Redaction(frames=30, contexts=("chat",)),
    )
    library = Contribution(
        consent=Consent(contributor="c-4f1d", versions={"clips": "clips-1", "dataset": "dataset-1"})
    )
    merged = library.applied_to(track.applied_to(bare))
    assert merged.privacy == base.privacy
    assert (merged.game, merged.track, merged.action_map) == (
        base.game,
        base.track,
        base.action_map,
    )
    assert Contribution().applied_to(merged) == merged  # an empty contribution changes nothing


def test_the_track_schema_spells_the_documented_names() -> None:
    # DESIGN section 5 names these; a reader imports them instead of typing them.
    assert col.FRAME_COLUMNS == (
        "frame_index",
        "timestamp",
        "pts_us",
        "context",
        "valid",
        "dup_frame",
    )
    assert col.button_columns("jump") == ("act.jump", "act.jump.n")
    assert col.axis_columns("move", 2) == ("act.move.x", "act.move.y")
    assert col.axis_columns("throttle", 1) == ("act.throttle.x",)
    assert col.delta_columns("look") == ("act.look.dx", "act.look.dy")
    assert col.EVENT_COLUMNS == ("t_us", "action", "edge", "x", "y")
    columns = [
        *col.FRAME_COLUMNS,
        "act.jump",
        "act.jump.n",
        "act.move.x",
        "act.look.dx",
        "act.fire",
        "act.fire.n",
    ]
    assert col.presses_by_action(columns) == {"jump": "act.jump.n", "fire": "act.fire.n"}


def test_reading_a_clip_loads_no_media_qt_database_or_cloud_library() -> None:
    import subprocess
    import sys

    heavy = ("av", "PyQt6", "sqlite3", "boto3", "pyarrow")
    code = (
        f"import sys, hindsight.bundle\nprint(','.join(m for m in {heavy!r} if m in sys.modules))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == ""


def test_the_audio_section_reads_typed_and_writes_back_byte_for_byte() -> None:
    raw = json.loads(SAVED)
    raw["audio"] = {
        "codec": "aac",
        "sample_rate": 48000,
        "channels": 2,
        "bit_rate": 160000,
        "tracks": [
            {"index": 1, "name": "mix", "title": "Mix", "sources": ["system", "mic"]},
            {"index": 2, "name": "system", "title": "System audio", "sources": ["system"]},
            {"index": 3, "name": "mic", "title": "Microphone", "sources": ["mic"]},
        ],
        "sources": [
            {
                "kind": "system",
                "backend": "pulse",
                "drift_ppm": -3.5,
                "silence_s": 0.0,
                "resyncs": 0,
            },
            {
                "kind": "mic",
                "backend": "pulse",
                "drift_ppm": 41.0,
                "silence_s": 1.25,
                "resyncs": 2,
            },
        ],
        "preroll_samples": 2048,
        "alignment": "first sample at the first video frame's clock time",
    }
    text = json.dumps(raw, indent=2) + "\n"
    manifest = Manifest.from_json(text)
    assert manifest.audio is not None
    assert [t.name for t in manifest.audio.tracks] == ["mix", "system", "mic"]
    assert manifest.audio.tracks[0].sources == ("system", "mic")
    assert manifest.audio.sources[1].silence_s == 1.25
    assert manifest.to_json() == text


def test_a_bad_audio_value_names_its_key_path() -> None:
    raw = json.loads(SAVED)
    raw["audio"] = {
        "codec": "aac",
        "sample_rate": "48k",
        "channels": 2,
        "bit_rate": 1,
        "tracks": [],
        "sources": [],
        "preroll_samples": 0,
    }
    with pytest.raises(BundleError, match=r"manifest\.audio\.sample_rate: expected int"):
        Manifest.from_json(json.dumps(raw))
