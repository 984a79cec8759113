"""What a saved clip would look like if it stored raw inputs: the check behind
``privacy.raw_inputs_stored is False``.

The manifest's flag is a constant the writer never sets, so asserting it alone proves
nothing. These checks look at what the folder holds instead: only the files the
manifest lists; track and event tables with nothing but the frame columns and mapped
actions; no value that names an input (``key:W``, ``mouse:left``, ``pad:south``).
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from hindsight.bundle import MANIFEST_FILE, read_manifest
from hindsight.bundle import schema as col

INPUT_NAME = re.compile(r"\b(key|mouse|pad|keysym|keycode|scancode):", re.IGNORECASE)


def raw_input_traces(folder: Path, actions: set[str] | None = None) -> list[str]:
    """Everything in ``folder`` that looks like a raw input was stored; empty when none.

    ``actions``: the action names the map defines (event rows must name one of them).
    """
    manifest = read_manifest(folder)
    found: list[str] = []
    listed = {*manifest.files, MANIFEST_FILE}
    found += [f"unlisted file {p.name}" for p in folder.iterdir() if p.name not in listed]
    for name in manifest.files:
        if not name.endswith(".parquet"):
            continue
        df = pd.read_parquet(folder / name)
        if tuple(df.columns) == col.EVENT_COLUMNS:
            names = set(df[col.EVENT_ACTION].astype(str))
            if actions is not None and not names <= actions:
                found.append(f"{name}: events name {sorted(names - actions)}, not actions")
        else:
            found += [
                f"{name}: column {c!r} is neither a frame column nor an action"
                for c in df.columns
                if c not in col.FRAME_COLUMNS and not col.is_action_column(c)
            ]
        for c in df.columns:
            if INPUT_NAME.search(str(c)):
                found.append(f"{name}: column {c!r} names an input")
            if df[c].dtype == object or pd.api.types.is_string_dtype(df[c]):
                hits = {str(v) for v in df[c].dropna() if INPUT_NAME.search(str(v))}
                found += [f"{name}: {c} holds {v!r}" for v in sorted(hits)[:5]]
    return found
