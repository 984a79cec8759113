"""The action track's schema: column names of ``actions.parquet`` and ``events.parquet``.

Row *t* of ``actions.parquet`` holds what the player did during [pts_t, pts_t+1)
(:data:`ALIGNMENT_RULE`). Besides the fixed columns, each action of the map has
columns named by its kind: a button ``act.<a>`` (held) and ``act.<a>.n`` (presses),
an axis ``act.<a>.x`` (and ``.y`` for two axes), a delta ``act.<a>.dx`` / ``.dy``.
"""

from __future__ import annotations

__all__ = [
    "ALIGNMENT_RULE",
    "FRAME_INDEX",
    "TIMESTAMP",
    "PTS_US",
    "CONTEXT",
    "UNFOCUSED_CONTEXT",
    "VALID",
    "DUP_FRAME",
    "FRAME_COLUMNS",
    "ACTION_PREFIX",
    "button_columns",
    "axis_columns",
    "delta_columns",
    "is_action_column",
    "presses_by_action",
    "EVENT_T_US",
    "EVENT_ACTION",
    "EVENT_EDGE",
    "EVENT_X",
    "EVENT_Y",
    "EVENT_COLUMNS",
    "EVENT_EDGES",
]

# Stated in every manifest (track.alignment), word for word.
ALIGNMENT_RULE = (
    "row t holds what the player did while frame t was the latest frame, "
    "i.e. during [pts_t, pts_t+1)"
)

FRAME_INDEX = "frame_index"
TIMESTAMP = "timestamp"  # seconds, frame_index / fps
PTS_US = "pts_us"
CONTEXT = "context"  # the action set in force at the end of the row's interval
# The context of rows when no matched game had focus; every other context is a set of the map.
UNFOCUSED_CONTEXT = "unfocused"
VALID = "valid"  # false where any part of the interval was unrecorded (marker set, no focus)
DUP_FRAME = "dup_frame"  # the capture missed this slot and repeated the previous frame
FRAME_COLUMNS = (FRAME_INDEX, TIMESTAMP, PTS_US, CONTEXT, VALID, DUP_FRAME)

ACTION_PREFIX = "act."


def _action(name: str) -> str:
    return f"{ACTION_PREFIX}{name}"


def button_columns(name: str) -> tuple[str, str]:
    """``(held, presses)``: held at any time in the row, press edges in it."""
    return _action(name), f"{_action(name)}.n"


def axis_columns(name: str, dims: int) -> tuple[str, ...]:
    """``(x,)`` or ``(x, y)``: the value at the end of the row."""
    return (f"{_action(name)}.x", f"{_action(name)}.y")[:dims]


def delta_columns(name: str) -> tuple[str, str]:
    """``(dx, dy)``: summed over the row."""
    return f"{_action(name)}.dx", f"{_action(name)}.dy"


def is_action_column(column: str) -> bool:
    return column.startswith(ACTION_PREFIX)


def presses_by_action(columns: list[str] | tuple[str, ...]) -> dict[str, str]:
    """Action name -> its press-count column, for every button in ``columns``.

    Action names never contain a dot (the map's validation says so), so a column
    splits into its action and part unambiguously.
    """
    out = {}
    for column in columns:
        if is_action_column(column):
            action = column[len(ACTION_PREFIX) :].split(".", 1)[0]
            if column == button_columns(action)[1]:
                out[action] = column
    return out


# events.parquet: one row per action edge inside the clip.
EVENT_T_US = "t_us"  # microseconds since the clip's first frame
EVENT_ACTION = "action"
EVENT_EDGE = "edge"
EVENT_X = "x"
EVENT_Y = "y"
EVENT_COLUMNS = (EVENT_T_US, EVENT_ACTION, EVENT_EDGE, EVENT_X, EVENT_Y)
# The edges an event can be: a button's press or release, an axis's or a delta's new value.
EVENT_EDGES = ("press", "release", "value")
