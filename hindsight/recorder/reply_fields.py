"""Reading a typed reply of the recorder back from its JSON: a dataclass from the keys it knows.

A reply may carry keys a reader does not know (the control channel's ``ok``, fields
added by a newer recorder); they are dropped here, and a missing one raises TypeError.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

__all__ = ["known_fields", "from_known"]


def known_fields(cls: type, data: Mapping[str, Any]) -> dict[str, Any]:
    """The items of ``data`` that ``cls`` has fields for."""
    names = {f.name for f in dataclasses.fields(cls)}
    return {k: v for k, v in data.items() if k in names}


def from_known(cls: type, data: Mapping[str, Any]) -> Any:  # noqa: ANN401
    """``cls`` from the keys of ``data`` it has fields for; a missing one raises TypeError."""
    return cls(**known_fields(cls, data))
