"""The frame-aligned track: rows per frame, held/taps/axes/deltas per interval, validity
by context.
"""

from __future__ import annotations

import io

import pandas as pd
import pytest

from hindsight.bundle import ACTION_MAP_FILE, ACTIONS_FILE, EVENTS_FILE, ClipSpan, GameInfo
from hindsight.bundle import schema as col
from hindsight.recorder.actions.events import (
    PRESS,
    RELEASE,
    UNFOCUSED,
    VALUE,
    ActionEvent,
    ContextEvent,
)
from hindsight.recorder.actions.timeline import ActionTimeline
from hindsight.recorder.actions.track import ActionTrackContributor
from tests.recorder.actions.test_translator import MAP

MS = 1_000_000
FPS = 10  # 100 ms frames keep the arithmetic readable


def span(n: int, t0: int = 1_000 * MS) -> ClipSpan:
    return ClipSpan("clip", FPS, tuple(t0 + i * 100 * MS for i in range(n)), tuple([False] * n))


def table(contribution, name: str) -> pd.DataFrame:
    return pd.read_parquet(io.BytesIO(contribution.files[name]))


def test_rows_follow_the_alignment_rule() -> None:
    tl = ActionTimeline(60)
    t0 = 1_000 * MS
    tl.append(ContextEvent(t0 - 500 * MS, "gameplay", True, MAP))
    tl.append(ActionEvent(t0 - 50 * MS, "jump", PRESS, 1.0))  # held before the clip starts
    tl.append(ActionEvent(t0 + 120 * MS, "jump", RELEASE, 0.0))  # released in row 1
    tl.append(ActionEvent(t0 + 150 * MS, "move", VALUE, 0.0, 1.0))
    tl.append(ActionEvent(t0 + 310 * MS, "attack", PRESS, 1.0))  # a tap inside row 3
    tl.append(ActionEvent(t0 + 320 * MS, "attack", RELEASE, 0.0))
    tl.append(ActionEvent(t0 + 330 * MS, "attack", PRESS, 1.0))
    tl.append(ActionEvent(t0 + 340 * MS, "attack", RELEASE, 0.0))
    tl.append(ActionEvent(t0 + 410 * MS, "look", VALUE, 3.0, 1.0))
    tl.append(ActionEvent(t0 + 450 * MS, "look", VALUE, 2.0, -4.0))
    c = ActionTrackContributor(tl).contribute(span(6, t0))
    df = table(c, ACTIONS_FILE)
    jump, jump_n = col.button_columns("jump")
    attack, attack_n = col.button_columns("attack")
    look_dx, look_dy = col.delta_columns("look")
    assert list(df[col.FRAME_INDEX]) == list(range(6))
    assert df[col.TIMESTAMP].tolist() == pytest.approx([i / FPS for i in range(6)])
    assert df[jump].tolist() == [True, True, False, False, False, False]
    assert df[jump_n].tolist() == [0, 0, 0, 0, 0, 0]  # pressed before the clip
    assert df[attack].tolist() == [False, False, False, True, False, False]
    assert df[attack_n].tolist() == [0, 0, 0, 2, 0, 0]  # two sub-frame taps survive
    # value at the end of the interval
    assert df[col.axis_columns("move", 2)[1]].tolist() == [0.0, 1.0, 1.0, 1.0, 1.0, 1.0]
    assert df[look_dx].tolist() == [0, 0, 0, 0, 5.0, 0]
    assert df[look_dy].tolist() == [0, 0, 0, 0, -3.0, 0]
    assert df[col.VALID].all() and set(df[col.CONTEXT]) == {"gameplay"}
    assert df[col.CONTEXT].map(type).eq(str).all()  # plain strings, one per row
    assert c.track is not None and c.track.alignment == col.ALIGNMENT_RULE and c.track.rows == 6
    assert c.track.columns == tuple(df.columns)
    assert c.game == GameInfo(id="test.game", title="Test Game")
    assert c.action_map is not None and c.action_map.sha256 == MAP.sha256
    assert c.files[ACTION_MAP_FILE] == MAP.text.encode()
    ev = table(c, EVENTS_FILE)
    assert tuple(ev.columns) == col.EVENT_COLUMNS
    assert ev[col.EVENT_T_US].iloc[0] == 120_000 and ev[col.EVENT_EDGE].iloc[0] == "release"


def test_marker_and_unfocused_rows_are_invalid_and_empty() -> None:
    tl = ActionTimeline(60)
    t0 = 1_000 * MS
    tl.append(ContextEvent(t0 - 1, "gameplay", True, MAP))
    tl.append(ActionEvent(t0 + 10 * MS, "jump", PRESS, 1.0))
    tl.append(ActionEvent(t0 + 150 * MS, "jump", RELEASE, 0.0))
    tl.append(ContextEvent(t0 + 150 * MS, "chat", False, MAP))
    tl.append(ContextEvent(t0 + 350 * MS, "gameplay", True, MAP))
    tl.append(ContextEvent(t0 + 420 * MS, UNFOCUSED, False, None))
    c = ActionTrackContributor(tl).contribute(span(6, t0))
    df = table(c, ACTIONS_FILE)
    assert df[col.VALID].tolist() == [True, False, False, False, False, False]
    assert df[col.CONTEXT].tolist() == [
        "gameplay",
        "chat",
        "chat",
        "gameplay",
        "unfocused",
        "unfocused",
    ]
    assert df[col.button_columns("jump")[0]].tolist() == [True, False, False, False, False, False]
    assert c.redaction is not None
    assert c.redaction.frames == 5
    assert c.redaction.contexts == ("chat", "unfocused")


def test_no_game_means_video_only() -> None:
    tl = ActionTimeline(60)
    tl.append(ContextEvent(0, UNFOCUSED, False, None))
    c = ActionTrackContributor(tl).contribute(span(5))
    assert dict(c.files) == {}
    assert c.game is c.track is c.action_map is c.redaction is None


def test_timeline_folds_evicted_events_into_the_start_state() -> None:
    tl = ActionTimeline(1)  # 1 s + margin
    tl.append(ContextEvent(0, "gameplay", True, MAP))
    tl.append(ActionEvent(1 * MS, "jump", PRESS, 1.0))
    tl.append(ActionEvent(2 * MS, "move", VALUE, 0.5, 0.5))
    tl.append(ActionEvent(10_000 * MS, "attack", PRESS, 1.0))  # evicts the first three
    assert len(tl) == 1
    cut = tl.cut(9_000 * MS, 11_000 * MS)
    assert cut.initial.held == {"jump": True}
    assert cut.initial.values == {"move": (0.5, 0.5)}
    assert cut.initial.context.context == "gameplay"
