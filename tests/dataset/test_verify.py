"""``hindsight dataset verify`` on real recorded clips: good ones pass, each fault is named."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from hindsight.bundle import ACTIONS_FILE, MANIFEST_FILE, VIDEO_FILE
from hindsight.bundle import schema as col
from hindsight.dataset.engine import ClipFailed, InlineEngine, LocalEngine
from hindsight.dataset.source import open_source
from hindsight.dataset.verify import VerifyOptions, verify_clip
from tests.dataset.corpus import (
    EXTRA_COLUMN,
    EXTRA_COLUMN_NAME,
    FAULTS,
    FLIPPED_VIDEO_BYTE,
    MAP_PIN_MISMATCH,
    MISSING_ACTIONS,
    Corpus,
)
from tests.recorder.cli_proc import run_cli

pytestmark = pytest.mark.x11

# What verify says first about each fault of the corpus.
FIRST_PROBLEM = {
    FLIPPED_VIDEO_BYTE: f"{VIDEO_FILE}: sha256 differs from the manifest",
    MISSING_ACTIONS: f"{ACTIONS_FILE}: missing",
    MAP_PIN_MISMATCH: "actionmap.toml: does not hash to the pinned map test.hs-testgame@1.0.0",
    EXTRA_COLUMN: (
        f"{ACTIONS_FILE}: column {EXTRA_COLUMN_NAME!r} is not a declared action or a track column"
    ),
}


def verify(*args: str, env: dict[str, str] | None = None):
    return run_cli("dataset", "verify", *args, env=env)


def test_the_good_clips_pass(corpus: Corpus) -> None:
    result = verify(str(corpus.folder))
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == len(corpus.clips) + 1
    for clip in corpus.clips:
        assert any(line.startswith(clip.name) and line.rstrip().endswith("OK") for line in lines)
    assert lines[-1] == f"{len(corpus.clips)} clips: {len(corpus.clips)} OK, 0 FAILED"


def test_each_fault_is_named_and_the_rest_goes_on(mixed: Path) -> None:
    before = {p: p.read_bytes() for p in mixed.rglob("*") if p.is_file()}
    result = verify(str(mixed), "--json")
    assert result.returncode == 1, result.stderr
    rows = {r["clip"]: r for r in json.loads(result.stdout)}
    assert len(rows) == 4 + len(FAULTS)
    for name, row in rows.items():
        top = name.split("/")[0]
        if top == "good":
            assert row == {"clip": name, "ok": True, "problems": []}
        else:
            assert row["ok"] is False
            assert row["problems"][0] == FIRST_PROBLEM[top], row
    # Nothing was modified.
    assert {p: p.read_bytes() for p in mixed.rglob("*") if p.is_file()} == before

    table = verify(str(mixed), "--engine", "inline")
    assert table.returncode == 1
    lines = table.stdout.splitlines()
    for fault, problem in FIRST_PROBLEM.items():
        (line,) = [ln for ln in lines if ln.startswith(f"{fault}/")]
        assert "FAILED" in line and problem in line
    assert lines[-1] == f"{4 + len(FAULTS)} clips: 4 OK, {len(FAULTS)} FAILED"


def test_an_extra_file_an_unshared_events_file_and_missing_consent_are_named(
    corpus: Corpus, tmp_path: Path
) -> None:
    clip = Path(shutil.copytree(corpus.clips[1], tmp_path / "a" / corpus.clips[1].name))
    (clip / "notes.txt").write_text("hello")
    # An events file where sharing it was not opted in (the manifest lists it; it stayed local).
    pq.write_table(
        pa.table({c: pa.array([], pa.string()) for c in col.EVENT_COLUMNS}), clip / "events.parquet"
    )
    raw = json.loads((clip / MANIFEST_FILE).read_text())
    raw["privacy"]["consent_version"] = {"clips": None, "dataset": None}
    (clip / MANIFEST_FILE).write_text(json.dumps(raw, indent=2))
    verdict = verify_clip(clip, VerifyOptions())
    problems = "\n".join(verdict.problems)
    assert "notes.txt: not listed in the manifest" in problems
    assert "events.parquet: present, but sharing events was not opted in" in problems
    assert "manifest.privacy.consent_version: no consent recorded" in problems


def test_a_context_that_is_no_set_of_the_map_and_a_broken_cfr_are_named(
    corpus: Corpus, tmp_path: Path
) -> None:
    clip = Path(shutil.copytree(corpus.clips[2], tmp_path / corpus.clips[2].name))
    table = pq.read_table(clip / ACTIONS_FILE)
    contexts = table.column(col.CONTEXT).to_pylist()
    contexts[3] = "w a s d"
    pts = table.column(col.PTS_US).to_pylist()
    pts[5] += 1000
    table = table.set_column(
        table.column_names.index(col.CONTEXT), col.CONTEXT, pa.array(contexts)
    ).set_column(table.column_names.index(col.PTS_US), col.PTS_US, pa.array(pts))
    pq.write_table(table, clip / ACTIONS_FILE)
    problems = verify_clip(clip, VerifyOptions()).problems
    assert f"{ACTIONS_FILE}: context 'w a s d' is not a set of test.hs-testgame@1.0.0" in problems
    assert any(p.startswith(f"{ACTIONS_FILE}: row 5 has {col.PTS_US}") for p in problems)


def test_a_video_whose_frames_are_not_on_the_grid_is_named(corpus: Corpus, tmp_path: Path) -> None:
    import av

    clip = Path(shutil.copytree(corpus.clips[3], tmp_path / corpus.clips[3].name))
    # The same packets remuxed with one frame a little late (a VFR file).
    src = av.open(str(corpus.clips[3] / VIDEO_FILE))
    out = av.open(str(clip / VIDEO_FILE), "w", format="mp4")
    stream_in = src.streams.video[0]
    stream_out = out.add_stream_from_template(stream_in)
    for i, packet in enumerate(src.demux(stream_in)):
        if packet.pts is None:
            continue
        if i == 7:
            packet.pts += 40
            packet.dts += 40
        packet.stream = stream_out
        out.mux(packet)
    out.close()
    src.close()
    problems = verify_clip(clip, VerifyOptions()).problems
    assert any(p.startswith(f"{VIDEO_FILE}: frame 7 has pts") for p in problems), problems


def test_the_engine_gives_the_same_verdicts_as_the_function(corpus: Corpus) -> None:
    clips = open_source(str(corpus.folder)).clips()
    verdicts = list(InlineEngine().map(verify_clip, clips, VerifyOptions()))
    assert [v.clip for v in verdicts] == [c.name for c in clips]  # type: ignore[union-attr]
    assert all(v.ok for v in verdicts)  # type: ignore[union-attr]


def test_a_source_that_is_neither_folder_nor_s3_is_one_line_exit_2(tmp_path: Path) -> None:
    for source in (str(tmp_path / "nope"), "s3://", "http://example.invalid/x"):
        result = verify(source)
        assert result.returncode == 2, (source, result.stderr)
        assert result.stderr.count("\n") == 1 and result.stderr.startswith("hindsight: error:")
        assert "Traceback" not in result.stderr


def _die(folder: Path, options: object) -> None:
    os._exit(3)  # a worker killed under the pool (out of memory, a crash in a library)


def test_a_worker_that_dies_fails_its_clips_not_the_run(tmp_path: Path) -> None:
    for name in ("a", "b"):
        (tmp_path / name).mkdir()
        (tmp_path / name / MANIFEST_FILE).write_text("{}")
    clips = open_source(str(tmp_path)).clips()
    results = list(LocalEngine(workers=1).map(_die, clips, None))
    assert [r.clip for r in results] == clips  # type: ignore[union-attr]
    assert all(isinstance(r, ClipFailed) for r in results)
