"""A running recorder writes its action track without pyarrow: no Arrow library is mapped
in the ``hindsight record`` process, and the files it saved read back with pyarrow.

The real recorder records the test game while real key presses go to it; one clip is
saved. pyarrow costs the recorder about 100 MB resident once loaded and written with, so
its absence is checked where it would show: the process's memory map.
"""

from __future__ import annotations

import time
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from hindsight.actionmap.model import ActionKind
from hindsight.actionmap.registry import MapRegistry
from hindsight.bundle import open_bundle
from hindsight.bundle import schema as col
from tests.recorder.actions.game_env import MAPS_DIR, Keyboard, game_env
from tests.recorder.cli_proc import run_cli

pytestmark = pytest.mark.x11

FPS = 30
GAME_MAP = "test.hs-testgame"


def expected_columns() -> dict[str, pa.DataType]:
    """The track's columns for the test map, in file order, with their types."""
    types = {
        col.FRAME_INDEX: pa.int64(),
        col.TIMESTAMP: pa.float64(),
        col.PTS_US: pa.int64(),
        col.CONTEXT: pa.string(),
        col.VALID: pa.bool_(),
        col.DUP_FRAME: pa.bool_(),
    }
    for action in MapRegistry([MAPS_DIR]).get(GAME_MAP).actions:
        if action.kind == ActionKind.BUTTON:
            held, presses = col.button_columns(action.name)
            types |= {held: pa.bool_(), presses: pa.int32()}
        elif action.kind.is_axis:
            dims = 2 if action.kind == ActionKind.AXIS2D else 1
            types |= dict.fromkeys(col.axis_columns(action.name, dims), pa.float32())
        else:
            types |= dict.fromkeys(col.delta_columns(action.name), pa.float32())
    return types


def arrow_mappings(pid: int) -> list[str]:
    maps = Path(f"/proc/{pid}/maps").read_text().splitlines()
    assert any("numpy" in line for line in maps)  # the map is read and names libraries
    return [line for line in maps if "arrow" in line.lower()]


def test_the_recorder_maps_no_arrow_and_its_track_reads_back(isolated_user_dirs) -> None:
    with game_env(None) as env:
        rec = env.record("--fps", str(FPS), "--buffer-seconds", "20")
        kb = Keyboard(env.name)
        try:
            time.sleep(3.5)  # the game is recognised: the 3 s clip is all of it
            kb.tap("space", hold_s=0.1)  # jump: a press and a release
            time.sleep(0.2)
            kb.tap("d", hold_s=0.1)  # move: to the right, then back to rest
            time.sleep(0.5)
            saved = run_cli("clip", "--seconds", "3")
            assert saved.returncode == 0, saved.stderr
            mapped = arrow_mappings(rec.proc.pid)
        finally:
            kb.close()
            rec.stop()
    assert mapped == []
    clip = open_bundle(Path(saved.stdout.strip()))
    assert clip.verify() == []
    m = clip.manifest
    assert m.track is not None and m.game_id == GAME_MAP
    track = pq.read_table(clip.actions_path)
    types = expected_columns()
    assert track.column_names == list(types) == list(m.track.columns)
    assert [track.schema.field(name).type for name in types] == list(types.values())
    rows = m.video.frames
    assert track.num_rows == m.track.rows == rows
    assert track.column(col.FRAME_INDEX).to_pylist() == list(range(rows))
    assert track.column(col.PTS_US).to_pylist() == [i * 1_000_000 // FPS for i in range(rows)]
    assert track.column(col.TIMESTAMP).to_pylist() == [i / FPS for i in range(rows)]
    assert set(track.column(col.CONTEXT).to_pylist()) == {"gameplay"}
    assert track.column(col.VALID).to_pylist() == [True] * rows == [True] * m.track.valid_rows
    jump, jump_n = col.button_columns("jump")
    assert sum(track.column(jump_n).to_pylist()) == 1
    assert 1 <= sum(track.column(jump).to_pylist()) <= 6  # held 0.1 s: a few 33 ms rows
    move_x = track.column(col.axis_columns("move", 2)[0]).to_pylist()
    assert max(move_x) == 1.0 and move_x[-1] == 0.0
    events = pq.read_table(clip.events_path)
    assert events.column_names == list(col.EVENT_COLUMNS)
    assert events.schema.types == [pa.int64(), pa.string(), pa.string(), pa.float32(), pa.float32()]
    assert events.num_rows == m.track.events
    by_action = [
        (a, e)
        for a, e in zip(
            events.column(col.EVENT_ACTION).to_pylist(),
            events.column(col.EVENT_EDGE).to_pylist(),
            strict=True,
        )
    ]
    assert [e for a, e in by_action if a == "jump"] == ["press", "release"]
    assert [e for a, e in by_action if a == "move"] == ["value", "value"]
    t_us = events.column(col.EVENT_T_US).to_pylist()
    assert t_us == sorted(t_us) and 0 <= t_us[0] and t_us[-1] < rows * 1_000_000 // FPS
