"""Looking for leaks: what must never be written, and scanners that report where it was found.

A :class:`Needles` holds what a privacy test typed and did: secret words, the keys no
binding names (with every spelling the code or a library could use for them), absolute
cursor positions, and, for what leaves the machine, who and where the user is. Each
``scan_*`` helper returns :class:`Finding` s (where, what, a little context) instead of
asserting, so a failing test names the file, object or stream that leaked, and the
scan itself can be tested on planted leaks.

Binary files are scanned as bytes and also decoded: Parquet files through pyarrow
(rows, schema and file metadata), MP4 files through PyAV (container and stream
metadata), because compressed or encoded content hides a plain byte search.
"""

from __future__ import annotations

import json
import re
import struct
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

__all__ = [
    "Finding",
    "KeySpelling",
    "Needles",
    "key_spelling",
    "scan_blob",
    "scan_file",
    "scan_tree",
    "scan_text",
]

# A needle shorter than this is not searched in raw media bytes (a 4-byte word turns up
# in megabytes of H.264 by chance); media metadata is decoded and searched in full.
_MIN_MEDIA_NEEDLE = 6
_MEDIA_SUFFIXES = (".mp4", ".parquet")

# Field names that hold a key: split into words (snake, kebab, dotted or camelCase), a
# field is key-ish if its last word is here ("keycode", "raw_key", "hotkey"), or one word
# is and the last names its value ("key_name"). "keyframes", "codec", "keys_w" are not.
_KEYISH_WORDS = frozenset(
    "key keys keysym keysyms sym syms keycode keycodes scancode scancodes code codes char chars "
    "character characters text button buttons vk hotkey detail".split()
)
_VALUE_WORDS = frozenset("name names value values id ids".split())
# Searched as a lookahead so fields inside a matched value (a JSON string holding
# "keysym=q") are found too.
_FIELD = re.compile(
    r"""(?<![\w.\-])(?=(?P<field>[A-Za-z_][\w.\-]*)(?P<sep>["']?\s*[:=]\s*)"""
    r"""(?P<value>\[[^\]\n]{0,400}\]|"[^"\n]{0,80}"|'[^'\n]{0,80}'|[^\s,;}\])"']+))"""
)
# A value in a list; one followed by ":" is a field name of a nested object, not a value.
_VALUE_TOKEN = re.compile(r"""["']([^"'\n]{1,40})["'](?!\s*:)|([^\s,\[\]"':{}]++)(?!\s*:)""")


@dataclass(frozen=True)
class KeySpelling:
    """One physical key, in every spelling that could name it in an artifact."""

    name: str  # the input name's key part, e.g. "Q" (input name "key:Q")
    tokens: tuple[str, ...]  # keysym names and characters, e.g. "q", "Q"
    codes: tuple[int, ...]  # X11 keycode and evdev code

    @property
    def input_name(self) -> str:
        return f"key:{self.name}"


def key_spelling(keysym: str, display_name: str) -> KeySpelling:
    """Every spelling of the key X types ``keysym`` with, asked of the X server of
    ``display_name``: its input name, keysym names, the characters and the codes."""
    from Xlib import XK, display

    from hindsight.actionmap.names import x11_keycode_name

    conn = display.Display(display_name)
    try:
        code = conn.keysym_to_keycode(XK.string_to_keysym(keysym))
        assert code, f"no key types {keysym!r} on {display_name}"
        name = x11_keycode_name(code)
        assert name is not None, f"keycode {code} has no input name"
        tokens = {keysym, keysym.lower(), keysym.upper(), name.partition(":")[2]}
        for index in range(4):
            sym = conn.keycode_to_keysym(code, index)
            if not sym:
                continue
            if 0x20 < sym < 0x100:
                tokens.add(chr(sym))  # a Latin-1 keysym is its character
            tokens.update(n[3:] for n, v in vars(XK).items() if n.startswith("XK_") and v == sym)
    finally:
        conn.close()
    return KeySpelling(name.partition(":")[2], tuple(sorted(tokens)), (code, code - 8))


@dataclass(frozen=True)
class Needles:
    """What must not be found. ``identity`` is only searched in what leaves the machine."""

    words: tuple[str, ...] = ()  # matched case-insensitively anywhere
    keys: tuple[KeySpelling, ...] = ()
    positions: tuple[tuple[int, int], ...] = ()  # absolute cursor positions
    identity: tuple[str, ...] = ()  # host name, user name, home paths


@dataclass(frozen=True)
class Finding:
    where: str
    what: str
    context: str = field(default="", compare=False)

    def __str__(self) -> str:
        return f"{self.where}: {self.what} in {self.context!r}"


def _context(text: str, start: int, end: int) -> str:
    return text[max(0, start - 30) : end + 30]


def _keyish(field_name: str) -> bool:
    spaced = re.sub(r"([a-z])([A-Z])", r"\1 \2", field_name)
    words = [w.lower() for w in re.split(r"[\s_.\-]+", spaced) if w]
    return bool(words) and (
        words[-1] in _KEYISH_WORDS
        or (words[-1] in _VALUE_WORDS and any(w in _KEYISH_WORDS for w in words))
    )


def _keyish_values(text: str) -> list[tuple[str, str, int, int]]:
    """(field, value token, start, end) of every value of a key-ish field in ``text``."""
    text = text.replace('\\"', '"')  # JSON inside a JSON string
    found = []
    for match in _FIELD.finditer(text):
        if not _keyish(match["field"]) or re.match(r"\[\s*\{", match["value"]):
            continue  # a list of objects: their own fields are matched one by one
        if match["field"].lower() == "key" and match["sep"] == ":":
            continue  # an input name ("key:Q"), reported as one
        for token in _VALUE_TOKEN.finditer(match["value"]):
            value = token[1] if token[1] is not None else token[2]
            found.append((match["field"], value, *match.span("value")))
    return found


def _find_keyish(
    values: list[tuple[str, str, int, int]], key: KeySpelling
) -> Iterable[tuple[str, int, int]]:
    codes = {str(c) for c in key.codes}
    for field_name, value, start, end in values:
        if value in key.tokens:
            yield f"key {key.name} as {field_name}={value}", start, end
        elif value in codes:
            yield f"key {key.name} as code {field_name}={value}", start, end


def scan_text(
    where: str, text: str, needles: Needles, *, leaves: bool = False, fields: bool = True
) -> list[Finding]:
    """Findings in text (a log, JSON, a decoded table); ``leaves``: it leaves the machine;
    ``fields``: also look for key spellings as values of key-ish fields."""
    found: list[Finding] = []
    lowered = text.lower()
    for word in needles.words:
        at = lowered.find(word.lower())
        if at >= 0:
            found.append(Finding(where, f"secret {word!r}", _context(text, at, at + len(word))))
    keyish = _keyish_values(text) if needles.keys and fields else []
    by_name = {k.name.lower(): k for k in needles.keys}
    if by_name:
        names = "|".join(re.escape(n) for n in sorted(by_name, key=len, reverse=True))
        for m in re.finditer(rf"key:({names})(?![\w])", text, re.IGNORECASE):
            key = by_name[m[1].lower()]
            found.append(Finding(where, f"input name {key.input_name}", _context(text, *m.span())))
    for key in needles.keys:
        for what, start, end in _find_keyish(keyish, key):
            found.append(Finding(where, what, _context(text, start, end)))
    for x, y in needles.positions:
        pattern = re.compile(rf"(?<!\d){x}(?!\d)[^\d\n]{{1,16}}(?<!\d){y}(?!\d)")
        for m in pattern.finditer(text):
            found.append(Finding(where, f"cursor position {x},{y}", _context(text, *m.span())))
    if leaves:
        for value in needles.identity:
            at = text.find(value)
            if at >= 0:
                found.append(
                    Finding(where, f"identity {value!r}", _context(text, at, at + len(value)))
                )
    return found


def _packed_positions(x: int, y: int) -> dict[str, bytes]:
    return {
        "int32": struct.pack("<ii", x, y),
        "float32": struct.pack("<ff", x, y),
        "float64": struct.pack("<dd", x, y),
    }


def scan_blob(where: str, blob: bytes, needles: Needles, *, leaves: bool = False) -> list[Finding]:
    """Findings in raw bytes: as text (latin-1, so every byte maps to one character) and, for
    cursor positions, as packed binary numbers."""
    media = where.endswith(_MEDIA_SUFFIXES)
    if media:
        # Only long needles are meaningful in compressed bytes; decoded content is scanned apart.
        needles = Needles(
            tuple(w for w in needles.words if len(w) >= _MIN_MEDIA_NEEDLE),
            tuple(k for k in needles.keys if len(k.input_name) >= _MIN_MEDIA_NEEDLE),
            needles.positions,
            tuple(v for v in needles.identity if len(v) >= _MIN_MEDIA_NEEDLE),
        )
        # Key-ish fields hold short tokens, found in compressed bytes by chance.
        found = scan_text(where, blob.decode("latin-1"), needles, leaves=leaves, fields=False)
    else:
        found = scan_text(where, blob.decode("latin-1"), needles, leaves=leaves)
    for x, y in needles.positions:
        for kind, packed in _packed_positions(x, y).items():
            at = blob.find(packed)
            if at >= 0:
                found.append(Finding(where, f"cursor position {x},{y} as {kind}", repr(packed)))
    return found


def _parquet_text(path: Path) -> str:
    import pyarrow.parquet as pq

    parquet = pq.ParquetFile(path)
    meta = parquet.metadata
    schema = parquet.schema_arrow
    rows = parquet.read().to_pylist()
    file_meta = {
        k.decode(errors="replace"): v.decode(errors="replace")
        for k, v in (meta.metadata or {}).items()
    }
    return json.dumps(
        {
            "schema": str(schema),
            "file_metadata": file_meta,
            "created_by": meta.created_by,
            "rows": rows,
        },
        default=str,
    )


def _mp4_text(path: Path) -> str:
    import av

    with av.open(str(path)) as container:
        info = {
            "format": container.format.name,
            "metadata": dict(container.metadata),
            "streams": [
                {
                    "metadata": dict(s.metadata),
                    "codec": s.codec_context.name,
                    "extradata": (s.codec_context.extradata or b"").decode("latin-1"),
                }
                for s in container.streams
            ],
        }
    return json.dumps(info)


def decoded_text(path: Path) -> str | None:
    """A media file's decoded content and metadata as text, or None for other files."""
    if path.suffix == ".parquet":
        return _parquet_text(path)
    if path.suffix == ".mp4":
        return _mp4_text(path)
    return None


def scan_file(
    path: Path, needles: Needles, *, where: str | None = None, leaves: bool = False
) -> list[Finding]:
    """Findings in one file: its bytes, and its decoded content if it is Parquet or MP4."""
    where = where or str(path)
    found = scan_blob(where, path.read_bytes(), needles, leaves=leaves)
    text = decoded_text(path)
    if text is not None:
        found += scan_text(f"{where} (decoded)", text, needles, leaves=leaves)
    return found


def scan_tree(root: Path, needles: Needles) -> tuple[list[Path], list[Finding]]:
    """Every regular file under ``root`` (a database's WAL and SHM too) and the findings in them."""
    files = sorted(p for p in root.rglob("*") if p.is_file())
    found = [f for p in files for f in scan_file(p, needles)]
    return files, found


def scan_objects(
    objects: Mapping[str, tuple[bytes, Mapping[str, str]]], needles: Needles, tmp: Path
) -> list[Finding]:
    """Findings in uploaded objects (key -> (body, headers)): keys, metadata headers and bodies,
    media decoded; every needle, identity included, since these left the machine."""
    found: list[Finding] = []
    for key, (body, headers) in objects.items():
        found += scan_text(f"object key {key}", key, needles, leaves=True)
        found += scan_text(f"object headers {key}", json.dumps(dict(headers)), needles, leaves=True)
        copy = tmp / key.rsplit("/", 1)[-1]
        copy.write_bytes(body)
        found += scan_file(copy, needles, where=f"object {key}", leaves=True)
        copy.unlink()
    return found
