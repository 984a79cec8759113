"""``hindsight dataset index`` through the real command on real demo clips, read back with pyarrow;
the picture flags on videos written with PyAV and read back; the track definitions on a
track built column by column."""

from __future__ import annotations

import os
from pathlib import Path

import av
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from hindsight.actionmap.model import ActionDef, ActionKind
from hindsight.bundle import MANIFEST_FILE, SessionFacts, file_sha256, read_manifest
from hindsight.bundle.schema import (
    CONTEXT,
    DUP_FRAME,
    VALID,
    axis_columns,
    button_columns,
    delta_columns,
    is_action_column,
    presses_by_action,
)
from hindsight.dataset.errors import DatasetError
from hindsight.dataset.index import INDEX_SCHEMA, IndexOptions, index_clip
from hindsight.dataset.index_track import track_stats
from hindsight.dataset.quality import sample_picture
from tests.dataset.demo_clips import copy_clip, demo_clip
from tests.recorder.cli_proc import run_cli

pytestmark = [pytest.mark.slow]


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder of five clips: an old one without session facts, two overlapping clips of
    run ``s1``, a later clip of ``s1`` and a clip of run ``s2``."""
    root = tmp_path_factory.mktemp("index")
    clip = demo_clip(root)
    src = root / "source"
    src.mkdir()
    copy_clip(clip, src / "old")
    copy_clip(clip, src / "a", SessionFacts(session_id="s1", first_frame=0))
    copy_clip(clip, src / "b", SessionFacts(session_id="s1", first_frame=60))
    copy_clip(clip, src / "c", SessionFacts(session_id="s1", first_frame=1000))
    copy_clip(clip, src / "d", SessionFacts(session_id="s2", first_frame=0))
    return src


def _hashes(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): file_sha256(p) for p in sorted(root.rglob("*")) if p.is_file()
    }


def test_index_has_a_row_per_clip_with_its_facts_and_groups(source: Path, tmp_path: Path) -> None:
    before = _hashes(source)
    out = tmp_path / "index.parquet"
    result = run_cli("dataset", "index", str(source), "-o", str(out), "--workers", "2")
    assert result.returncode == 0, result.stderr
    assert _hashes(source) == before  # nothing of a source clip modified
    table = pq.read_table(out)
    assert table.schema == INDEX_SCHEMA
    rows = {Path(r["where"]).name: r for r in table.to_pylist()}
    assert sorted(rows) == ["a", "b", "c", "d", "old"]

    assert rows["a"]["overlap_group"] == rows["b"]["overlap_group"] == "s1:0"
    assert rows["c"]["overlap_group"] == "s1:1000" and rows["d"]["overlap_group"] == "s2:0"
    assert rows["old"]["overlap_group"] is None and rows["old"]["flags"] == ["ungroupable"]
    assert all(not rows[n]["ungroupable"] for n in "abcd")
    assert "5 clips indexed" in result.stdout
    assert "3 overlap groups (1 with overlapping clips)" in result.stdout
    assert "ungroupable 1" in result.stdout

    for name, row in rows.items():
        folder = source / name
        m = read_manifest(folder)
        assert row["clip_id"] == m.clip_id and row["game_id"] == m.game_id
        assert row["action_map"] == f"{m.action_map.id}@{m.action_map.version}"
        assert (row["fps"], row["width"], row["height"], row["frames"]) == (
            m.video.fps, m.video.width, m.video.height, m.video.frames,
        )  # fmt: skip
        assert row["encoder"] == m.video.encoder and row["bytes"] == m.total_bytes()
        track = pq.read_table(folder / m.track.file)
        n = track.num_rows
        assert row["valid_fraction"] == pytest.approx(pc.sum(track[VALID]).as_py() / n)
        assert row["dup_fraction"] == pytest.approx(pc.sum(track[DUP_FRAME]).as_py() / n)
        contexts = track[CONTEXT].to_pylist()
        assert dict(row["context_fraction"]) == pytest.approx(
            {c: contexts.count(c) / n for c in set(contexts)}
        )
        assert row["gameplay_fraction"] == pytest.approx(contexts.count("gameplay") / n)
        assert row["chat_fraction"] > 0  # the demo types in chat
        presses = dict(row["presses"])
        for action, column in presses_by_action(track.column_names).items():
            assert presses[action] == pc.sum(track[column]).as_py()
        assert presses["jump"] > 0 and row["apm"] > 0
        # The demo game flashes between a dark and a light colour: which the sampled
        # keyframes show varies, so the flag is checked against its threshold here and on
        # videos of known pictures below.
        assert 16 < row["mean_luma"] < 255 and not row["letterboxed"]
        assert row["dark"] == (row["mean_luma"] < IndexOptions().dark_luma)


def test_a_clip_that_cannot_be_read_is_named_and_the_rest_indexed(
    source: Path, tmp_path: Path
) -> None:
    src = tmp_path / "src"
    copy_clip(source / "a", src / "good")
    broken = copy_clip(source / "a", src / "broken")
    (broken / MANIFEST_FILE).write_text("{ not json")
    out = tmp_path / "index.parquet"
    result = run_cli("dataset", "index", str(src), "-o", str(out), "--engine", "inline")
    assert result.returncode == 1
    assert "broken" in result.stderr and "Traceback" not in result.stderr
    assert [Path(w).name for w in pq.read_table(out)["where"].to_pylist()] == ["good"]
    assert "1 clips indexed" in result.stdout and "1 failed" in result.stdout


def test_a_missing_source_is_one_line(tmp_path: Path) -> None:
    result = run_cli("dataset", "index", str(tmp_path / "nope"), "-o", str(tmp_path / "i.parquet"))
    assert result.returncode != 0 and "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and "nope" in result.stderr
    assert not (tmp_path / "i.parquet").exists()


# ---- picture flags: videos written with PyAV, read back -------------------------------


def _write_video(path: Path, picture: np.ndarray, frames: int = 30) -> Path:
    """``frames`` of a grey ``picture`` (luma, full range 0-255) as H.264, a keyframe every 10."""
    h, w = picture.shape
    with av.open(str(path), "w") as c:
        s = c.add_stream("libx264", rate=30)
        s.width, s.height, s.pix_fmt = w, h, "yuv420p"
        s.codec_context.gop_size = 10
        for i in range(frames):
            noise = (np.arange(w)[None, :] + i) % 7  # not one flat colour: like a real scene
            rgb = np.clip(picture + noise * (picture > 40), 0, 255).astype(np.uint8)
            frame = av.VideoFrame.from_ndarray(np.dstack([rgb] * 3), format="rgb24")
            for packet in s.encode(frame):
                c.mux(packet)
        for packet in s.encode():
            c.mux(packet)
    return path


def _measure(path: Path):
    options = IndexOptions()
    return sample_picture(
        path,
        samples=options.picture_samples,
        bar_luma=options.bar_luma,
        bar_min_fraction=options.bar_min_fraction,
    )


def test_pictures_dark_letterboxed_pillarboxed_and_plain(tmp_path: Path) -> None:
    bright = np.full((180, 320), 180.0)
    boxed = bright.copy()
    boxed[:24], boxed[-24:] = 0, 0
    pillar = bright.copy()
    pillar[:, :40], pillar[:, -40:] = 0, 0
    dark = np.full((180, 320), 12.0)
    limit = IndexOptions().dark_luma

    plain = _measure(_write_video(tmp_path / "plain.mp4", bright))
    assert plain.frames == 3 and plain.letterboxed_frames == 0 and plain.mean_luma > limit
    assert _measure(_write_video(tmp_path / "boxed.mp4", boxed)).letterboxed_fraction == 1.0
    assert _measure(_write_video(tmp_path / "pillar.mp4", pillar)).letterboxed_fraction == 1.0
    black = _measure(_write_video(tmp_path / "dark.mp4", dark))
    assert black.mean_luma < limit and black.letterboxed_frames == 0  # dark, not letterboxed


# ---- the track's definitions ------------------------------------------------------------


def test_presses_engagements_apm_and_idle_spans() -> None:
    fps, rows = 10, 200
    jump_held, jump_n = button_columns("jump")
    move_x, move_y = axis_columns("move", 2)
    look_dx, look_dy = delta_columns("look")
    n = np.zeros(rows, dtype=np.int32)
    n[[5, 6, 150]] = [1, 2, 1]  # 3 presses in gameplay, 1 in the menu
    x = np.zeros(rows, dtype=np.float32)
    y = np.zeros(rows, dtype=np.float32)
    y[10:20] = 1.0  # W: one engagement
    x[15:20] = 1.0  # + D while W is held: another
    y[30:35] = 0.3  # below the threshold: none
    dx = np.zeros(rows, dtype=np.float32)
    dx[40] = 3.0  # looking is activity, not a press
    context = ["gameplay"] * 100 + ["menu"] * 100
    valid = np.ones(rows, dtype=bool)
    valid[180:] = False
    table = pa.table(
        {
            CONTEXT: context,
            VALID: valid,
            DUP_FRAME: np.zeros(rows, dtype=bool),
            jump_held: n > 0,
            jump_n: n,
            move_x: x,
            move_y: y,
            look_dx: dx,
            look_dy: np.zeros(rows, dtype=np.float32),
        }
    )
    actions = [
        ActionDef("jump", ActionKind.BUTTON, "Jump"),
        ActionDef("move", ActionKind.AXIS2D, "Move"),
        ActionDef("look", ActionKind.DELTA2D, "Look"),
    ]
    stats = track_stats(table, actions, fps=fps, axis_threshold=0.5, idle_min_s=5.0)
    assert stats.presses == {"jump": 4, "move": 2}
    assert stats.gameplay_presses == 5  # 3 jumps + 2 engagements
    assert stats.context_rows == {"gameplay": 100, "menu": 100}
    # Quiet valid runs: 41..99 + 100..149 (109 rows), 151..179 (29 rows, under 5 s: not idle);
    # 20..39 has y = 0.3 at 30..34 (below the threshold: quiet) but the look at 40 ends it.
    assert (stats.idle_rows, stats.idle_spans) == (109, 1)


def test_options_are_checked_on_construction() -> None:
    with pytest.raises(DatasetError, match="dark_luma"):
        IndexOptions(dark_luma=-1)
    with pytest.raises(DatasetError, match="mostly_menu_fraction"):
        IndexOptions(mostly_menu_fraction=2)


def test_a_menu_clip_without_input_is_flagged_mostly_menu_and_idle(
    source: Path, tmp_path: Path
) -> None:
    clip = copy_clip(source / "a", tmp_path / "menu")
    m = read_manifest(clip)
    track = pq.read_table(clip / m.track.file)
    quiet = {
        name: pa.array(np.zeros(track.num_rows), type=track.schema.field(name).type)
        for name in track.column_names
        if is_action_column(name)
    }
    quiet[CONTEXT] = pa.array(["menu"] * track.num_rows).dictionary_encode()
    quiet[VALID] = pa.array(np.ones(track.num_rows, dtype=bool))
    for name, column in quiet.items():
        track = track.set_column(track.column_names.index(name), name, column)
    pq.write_table(track, clip / m.track.file)

    row = index_clip(clip, IndexOptions(idle_min_s=2.0))
    assert row["mostly_menu"] and row["menu_fraction"] == 1.0
    assert row["idle"] and row["idle_fraction"] == 1.0 and row["idle_spans"] == 1
    assert row["apm"] is None  # no gameplay to count over
    assert all(n == 0 for _, n in row["presses"])
    assert not index_clip(clip, IndexOptions(idle_min_s=60.0))["idle"]  # shorter than a run


# ---- the recorder's own session facts: the shared corpus ---------------------------------


def _expect_groups(rows: list[dict], frames_of: dict[str, tuple[str, int, int]]) -> None:
    """Clips sharing a frame of one run have one group; clips of different groups share none."""
    for a in rows:
        for b in rows:
            sa, fa, na = frames_of[a["clip_id"]]
            sb, fb, nb = frames_of[b["clip_id"]]
            share = sa == sb and max(fa, fb) < min(fa + na, fb + nb)
            if share:
                assert a["overlap_group"] == b["overlap_group"]
            if a["overlap_group"] != b["overlap_group"]:
                assert not share


def _frames_of(folders) -> dict[str, tuple[str, int, int]]:
    out = {}
    for folder in folders:
        m = read_manifest(folder)
        assert m.session is not None  # the recorder writes them
        out[m.clip_id] = (m.session.session_id, m.session.first_frame, m.video.frames)
    return out


def test_the_recorders_overlapping_clips_are_one_group(corpus, tmp_path: Path) -> None:
    out = tmp_path / "index.parquet"
    result = run_cli("dataset", "index", str(corpus.folder), "-o", str(out))
    assert result.returncode == 0, result.stderr
    rows = pq.read_table(out).to_pylist()
    assert len(rows) == len(corpus.clips)
    by_name = {Path(r["where"]).name: r for r in rows}
    first, second = (by_name[c.name] for c in corpus.overlapping)
    frames_of = _frames_of(corpus.clips)
    session, start, _ = frames_of[first["clip_id"]]
    start = min(start, frames_of[second["clip_id"]][1])  # a group is named for its first frame
    assert first["overlap_group"] == second["overlap_group"] == f"{session}:{start}"
    assert len({r["overlap_group"] for r in rows}) == len(rows) - 1  # the others stand alone
    assert not any(r["ungroupable"] for r in rows)
    _expect_groups(rows, frames_of)
    assert f"{len(rows) - 1} overlap groups (1 with overlapping clips)" in result.stdout


def test_index_of_uploaded_clips_in_a_bucket(corpus, s3_corpus, tmp_path: Path) -> None:
    out = tmp_path / "index.parquet"
    env = {**os.environ, **s3_corpus.env, "TMPDIR": str(tmp_path)}
    result = run_cli("dataset", "index", s3_corpus.url, "-o", str(out), env=env)
    assert result.returncode == 0, result.stderr
    rows = pq.read_table(out).to_pylist()
    assert sorted(r["clip_id"] for r in rows) == sorted(_frames_of(corpus.clips))
    assert all(r["where"].startswith(s3_corpus.url) for r in rows)
    _expect_groups(rows, _frames_of(corpus.clips))
    assert len({r["overlap_group"] for r in rows}) == len(rows) - 1
