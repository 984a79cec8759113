"""The settings writer edits the user's file in place: the value lands, every comment stays."""

from __future__ import annotations

import string
import tomllib
from pathlib import Path

import tomlkit
from hypothesis import given, settings
from hypothesis import strategies as st

from hindsight.app.settings_writer import load_document, set_value, write_document

_NAMES = st.from_regex(r"[a-z][a-z0-9_]{0,7}", fullmatch=True)
_COMMENT = st.text(
    alphabet=string.ascii_letters + string.digits + " .,:;!?-_'\"#=[]{}éü", max_size=30
)
_VALUES = st.one_of(
    st.integers(-(10**9), 10**9),
    st.booleans(),
    st.floats(allow_nan=False, allow_infinity=False, width=32),
    st.text(alphabet=string.printable.strip() + " é", max_size=20),
)


@st.composite
def documents(draw: st.DrawFn) -> tuple[str, dict[str, dict[str, object]]]:
    """A settings file as a user writes one: comments above and beside keys, blank lines."""
    lines = [f"# {draw(_COMMENT)}"]
    tables = draw(st.dictionaries(_NAMES, st.dictionaries(_NAMES, _VALUES, max_size=5), max_size=4))
    for table, values in tables.items():
        if draw(st.booleans()):
            lines.append("")
        lines.append(f"[{table}]" + (f"  # {draw(_COMMENT)}" if draw(st.booleans()) else ""))
        for key, value in values.items():
            if draw(st.booleans()):
                lines.append(f"# {draw(_COMMENT)}")
            item = tomlkit.item(value).as_string()
            tail = f"   # {draw(_COMMENT)}" if draw(st.booleans()) else ""
            lines.append(f"{key} = {item}{tail}")
    return "\n".join(lines) + "\n", tables


def _comments(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip().startswith("#")]


def _inline_comments(text: str) -> list[str]:
    out = []
    for line in text.splitlines():
        if not line.strip().startswith("#") and "   # " in line:
            out.append(line.split("   # ", 1)[1])
    return out


@settings(max_examples=150, deadline=None)
@given(documents(), _NAMES, _NAMES, _VALUES, st.data())
def test_setting_a_key_keeps_every_comment(doc_and_tables, table, key, value, data) -> None:
    text, tables = doc_and_tables
    # Half the time, change a key that is already there (its own comment must stay too).
    existing = [(t, k) for t, values in tables.items() for k in values]
    if existing and data.draw(st.booleans()):
        table, key = data.draw(st.sampled_from(existing))
    doc = tomlkit.parse(text)
    set_value(doc, table, key, value)
    out = tomlkit.dumps(doc)

    assert tomllib.loads(out)[table][key] == value
    for comment in _comments(text):
        assert comment in _comments(out)
    for comment in _inline_comments(text):
        assert comment in out
    # The other keys keep their values and their order.
    parsed = tomllib.loads(out)
    for t, values in tables.items():
        others = [k for k in values if (t, k) != (table, key)]
        assert [k for k in parsed[t] if k in others] == others
        for k in others:
            assert parsed[t][k] == tomllib.loads(text)[t][k]


def test_none_removes_the_key_and_writing_is_atomic(tmp_path: Path) -> None:
    path = tmp_path / "settings.toml"
    path.write_text('[record]\nfps = 30  # smooth enough\nhotkey = "F9"\n')
    path.chmod(0o600)
    doc = load_document(path)
    set_value(doc, "record", "fps", None)
    set_value(doc, "overlay", "scale", 1.5)
    write_document(doc, path)
    assert tomllib.loads(path.read_text()) == {
        "record": {"hotkey": "F9"},
        "overlay": {"scale": 1.5},
    }
    assert path.stat().st_mode & 0o777 == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["settings.toml"]


def test_a_missing_file_starts_empty(tmp_path: Path) -> None:
    doc = load_document(tmp_path / "none.toml")
    set_value(doc, "record", "fps", 30)
    write_document(doc, tmp_path / "sub" / "settings.toml")
    assert tomllib.loads((tmp_path / "sub" / "settings.toml").read_text()) == {
        "record": {"fps": 30}
    }
