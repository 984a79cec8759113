"""The leak scan can see a leak: planted key names, secrets, positions and identities are found,
and the places they were found are named."""

from __future__ import annotations

import json
import struct
from pathlib import Path

import av
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from tests.privacy_scan import KeySpelling, Needles, scan_blob, scan_objects, scan_text, scan_tree

KEY_H = KeySpelling("H", ("H", "h"), (43, 35))
NEEDLES = Needles(
    words=("marmalade", "zeppelin"),
    keys=(KEY_H,),
    positions=((1013, 587),),
    identity=("builder-host", "/home/alice"),
)


def whats(findings) -> list[str]:
    return [f.what for f in findings]


def test_a_log_line_per_typed_letter_is_found(tmp_path: Path) -> None:
    (tmp_path / "logs").mkdir()
    log = tmp_path / "logs" / "recorder.log"
    log.write_text("hindsight: DEBUG: input key:H down\n")
    (tmp_path / "notes.txt").write_text("typed Marmalade in chat\n")
    files, found = scan_tree(tmp_path, NEEDLES)
    assert len(files) == 2
    assert {(f.where, f.what) for f in found} == {
        (str(log), "input name key:H"),
        (str(tmp_path / "notes.txt"), "secret 'marmalade'"),
    }


def test_key_spellings_in_key_ish_fields_and_only_there() -> None:
    for leak in (
        '{"keysym": "h"}',
        "{'key': 'H'}",
        "keycode=43 state=0",
        '"detail": 43',
        '{"scanCode": 35}',
        '"keys": ["w", "h"]',
        "raw_key = 'h'",
        '{"key_name": "H"}',
    ):
        assert whats(scan_text("x", leak, NEEDLES)), leak
    for fine in (
        '{"keyframes": 43}',
        '{"codec": "h"}',
        '{"frames": 43, "action": "h"}',
        '"keys": ["w", "a"]',
        "key:Home",
        "the hash is h",
        '{"keys_w": 43, "input_sources": ["h"]}',
        '"keys": [{"label": "W", "x": 43, "h": 1}]',
    ):
        assert whats(scan_text("x", fine, NEEDLES)) == [], fine


def test_cursor_positions_as_text_and_as_packed_numbers() -> None:
    assert whats(scan_text("x", '{"x": 1013, "y": 587}', NEEDLES)) == ["cursor position 1013,587"]
    assert whats(scan_text("x", "pointer at (1013,587)", NEEDLES))
    assert whats(scan_text("x", "10130 587", NEEDLES)) == []
    blob = b"\x00" * 7 + struct.pack("<ff", 1013, 587) + b"\x01"
    assert whats(scan_blob("video.mp4", blob, NEEDLES)) == ["cursor position 1013,587 as float32"]


def test_identity_counts_only_in_what_leaves_the_machine(tmp_path: Path) -> None:
    line = "lease builder-host:4242 in /home/alice/.local/share"
    assert whats(scan_text("library.db", line, NEEDLES)) == []
    assert sorted(whats(scan_text("upload", line, NEEDLES, leaves=True))) == [
        "identity '/home/alice'",
        "identity 'builder-host'",
    ]
    objects = {
        "p/game/clip/builder-host.txt": (b"fine", {}),
        "p/game/clip/manifest.json": (b"{}", {"x-amz-meta-owner": "/home/alice"}),
    }
    found = scan_objects(objects, NEEDLES, tmp_path)
    assert {(f.where, f.what) for f in found} == {
        ("object key p/game/clip/builder-host.txt", "identity 'builder-host'"),
        ("object headers p/game/clip/manifest.json", "identity '/home/alice'"),
    }


def test_parquet_contents_and_metadata_are_decoded(tmp_path: Path) -> None:
    table = pa.table({"context": ["gameplay"] * 50 + ["Zeppelin"]}).replace_schema_metadata(
        {"note": json.dumps({"key": "h"})}
    )
    path = tmp_path / "actions.parquet"
    pq.write_table(table, path, compression="zstd")
    _, found = scan_tree(tmp_path, NEEDLES)
    assert {(f.where, f.what) for f in found} >= {
        (f"{path} (decoded)", "secret 'zeppelin'"),
        (f"{path} (decoded)", "key H as key=h"),
    }


def test_mp4_metadata_is_decoded(tmp_path: Path) -> None:
    path = tmp_path / "video.mp4"
    with av.open(str(path), "w") as out:
        out.metadata["comment"] = "by /home/alice, keysym=h"
        stream = out.add_stream("libx264", rate=10)
        stream.width, stream.height, stream.pix_fmt = 64, 64, "yuv420p"
        for i in range(3):
            frame = av.VideoFrame.from_ndarray(np.full((64, 64, 3), i, np.uint8), format="rgb24")
            out.mux(stream.encode(frame))
        out.mux(stream.encode(None))
    found = scan_objects({"p/video.mp4": (path.read_bytes(), {})}, NEEDLES, tmp_path / "")
    assert ("object p/video.mp4 (decoded)", "identity '/home/alice'") in {
        (f.where, f.what) for f in found
    }
    assert "key H as keysym=h" in whats(found)
