"""The raw-input check that backs ``raw_inputs_stored is False`` finds what it is meant to."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from hindsight.bundle import ACTIONS_FILE, EVENTS_FILE, VIDEO_FILE
from hindsight.bundle import schema as col
from tests.bundle.builders import write_manifest
from tests.recorder.raw_inputs import raw_input_traces

ACTIONS = {"jump", "look"}


def clip(tmp_path: Path, track: dict | None = None, events: dict | None = None) -> Path:
    folder = tmp_path / "clip"
    folder.mkdir()
    (folder / VIDEO_FILE).write_bytes(b"\0" * 100)
    held, presses = col.button_columns("jump")
    base_track = {
        col.FRAME_INDEX: [0, 1],
        col.TIMESTAMP: [0.0, 1 / 60],
        col.PTS_US: [0, 16667],
        col.CONTEXT: ["gameplay", "gameplay"],
        col.VALID: [True, True],
        col.DUP_FRAME: [False, False],
        held: [False, True],
        presses: [0, 1],
    }
    pd.DataFrame({**base_track, **(track or {})}).to_parquet(folder / ACTIONS_FILE)
    base_events = {
        col.EVENT_T_US: [16700],
        col.EVENT_ACTION: ["jump"],
        col.EVENT_EDGE: ["press"],
        col.EVENT_X: [1.0],
        col.EVENT_Y: [0.0],
    }
    pd.DataFrame({**base_events, **(events or {})}).to_parquet(folder / EVENTS_FILE)
    write_manifest(folder, frames=2, game=("test.game", "Test"))
    return folder


def test_a_clip_of_mapped_actions_has_no_traces(tmp_path: Path) -> None:
    assert raw_input_traces(clip(tmp_path), ACTIONS) == []


@pytest.mark.parametrize(
    ("track", "events", "expected"),
    [
        ({"raw_key": ["W", "W"]}, None, "column 'raw_key' is neither"),
        ({col.CONTEXT: ["key:W", "gameplay"]}, None, "holds 'key:W'"),
        (None, {col.EVENT_ACTION: ["mouse:left"]}, "events name ['mouse:left']"),
    ],
    ids=["raw-column", "key-name-value", "raw-event"],
)
def test_stored_raw_inputs_are_found(tmp_path: Path, track, events, expected: str) -> None:
    traces = raw_input_traces(clip(tmp_path, track, events), ACTIONS)
    assert any(expected in t for t in traces), traces


def test_a_file_the_manifest_does_not_list_is_found(tmp_path: Path) -> None:
    folder = clip(tmp_path)
    (folder / "keys.log").write_text("W A S D")
    assert raw_input_traces(folder, ACTIONS) == ["unlisted file keys.log"]
