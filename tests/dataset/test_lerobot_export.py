"""``hindsight dataset export --format lerobot``, proven by lerobot itself.

The real CLI exports the recorded corpus; lerobot (in its own venv, offline) loads the
result unchanged and reads every frame through ``dataset[i]``, which decodes the
picture at the row's timestamp and fails past its 1e-4 s tolerance. Each frame's
``action`` is compared with the clip's ``actions.parquet`` and each picture with the
clip's own frame.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import av
import numpy as np
import pyarrow.parquet as pq
import pytest

from hindsight.bundle import ACTIONS_FILE, file_sha256, open_bundle, schema
from tests.dataset.corpus import MISSING_ACTIONS, Corpus
from tests.dataset.lerobot_venv import ensure_venv, read_with_lerobot
from tests.recorder.cli_proc import run_cli

pytestmark = [pytest.mark.x11, pytest.mark.slow]
VIDEO_KEY = "observation.images.screen"


@pytest.fixture(scope="session")
def lerobot_python() -> Path:
    """lerobot's venv, built once (minutes on a fresh machine, then cached by version)."""
    return ensure_venv()


def export(corpus: Corpus, out: Path, *options: str) -> str:
    result = run_cli(
        "dataset", "export", str(corpus.folder), "--format", "lerobot", "-o", str(out), *options,
        timeout_s=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return result.stdout


def read(out: Path, tmp_path: Path) -> tuple[dict, dict[str, np.ndarray]]:
    arrays = tmp_path / f"{out.name}.npz"
    result = read_with_lerobot(out, arrays)
    assert result.returncode == 0, result.stderr[-4000:]
    facts = json.loads(result.stdout.strip().splitlines()[-1])
    with np.load(arrays) as data:
        return facts, {k: data[k] for k in data.files}


def episodes(out: Path) -> list[dict]:
    table = pq.read_table(next((out / "meta" / "episodes").rglob("*.parquet")))
    return table.to_pylist()


def thumbnails(video: Path, frames: list[int]) -> np.ndarray:
    """The clip's own frames ``frames``, averaged down to 9x16 per channel, in [0, 1]."""
    wanted = set(frames)
    out = {}
    with av.open(str(video)) as container:
        for k, frame in enumerate(container.decode(video=0)):
            if k in wanted:
                rgb = frame.to_ndarray(format="rgb24").astype(np.float64) / 255
                h, w, _ = rgb.shape
                blocks = rgb.reshape(9, h // 9, 16, w // 16, 3).mean(axis=(1, 3))
                out[k] = blocks.transpose(2, 0, 1)
            if k >= max(frames):
                break
    return np.stack([out[k] for k in frames])


def check_rows_match_clips(
    corpus: Corpus, facts: dict, arrays: dict[str, np.ndarray], out: Path
) -> None:
    """Each exported frame: its action is the clip's track row, its picture the clip's frame."""
    clips = {open_bundle(c).manifest.clip_id: c for c in corpus.clips}
    names = facts["names"]
    for ep in episodes(out):
        clip = clips[ep["clip_id"]]
        track = pq.read_table(clip / ACTIONS_FILE)
        rows = arrays["episode_index"] == ep["episode_index"]
        k = arrays["frame_index"][rows]
        assert k.tolist() == list(range(ep["length"]))
        expected = np.stack(
            [
                track.column(schema.ACTION_PREFIX + n).to_numpy().astype(np.float32)[k]
                for n in names
            ],
            axis=1,
        )
        np.testing.assert_array_equal(arrays["action"][rows], expected)
        np.testing.assert_array_equal(
            arrays["valid"][rows].reshape(-1), track.column(schema.VALID).to_numpy()[k]
        )
        pictures = thumbnails(clip / "video.mp4", k.tolist())
        difference = np.abs(arrays["thumbs"][rows] - pictures).mean(axis=(1, 2, 3))
        assert difference.max() < 0.02, (ep["clip_id"], difference.argmax())


@pytest.mark.timeout(1800)
def test_lerobot_loads_the_export_and_every_frame_is_the_clips(
    corpus: Corpus, lerobot_python: Path, tmp_path: Path
) -> None:
    before = {c: file_sha256(c / "video.mp4") for c in corpus.clips}
    out = tmp_path / "dataset"
    printed = export(corpus, out)
    assert "4 episodes" in printed and "4 clips stream-copied" in printed, printed
    facts, arrays = read(out, tmp_path)

    bundles = [open_bundle(c) for c in corpus.clips]
    assert facts["episodes"] == 4
    assert facts["frames"] == sum(b.manifest.video.frames for b in bundles)
    assert facts["fps"] == 30 and facts["picture_shape"] == [3, 360, 640]
    assert facts["video_keys"] == [VIDEO_KEY]
    assert facts["tasks"] == [bundles[0].manifest.title]
    assert {"action", VIDEO_KEY, "timestamp", "index"} <= set(facts["stats"])
    # The names are the map's actions in its order, each part of an action together.
    columns = [
        c for c in pq.read_schema(corpus.clips[0] / ACTIONS_FILE).names if c.startswith("act.")
    ]
    assert sorted(facts["names"]) == sorted(c[len("act.") :] for c in columns)
    check_rows_match_clips(corpus, facts, arrays, out)

    stats = json.loads((out / "meta" / "stats.json").read_text())
    assert stats["action"]["count"] == [facts["frames"]]
    assert len(stats["action"]["q50"]) == len(facts["names"])
    assert np.asarray(stats[VIDEO_KEY]["mean"]).shape == (3, 1, 1)
    assert 0 <= np.min(stats[VIDEO_KEY]["min"]) <= np.max(stats[VIDEO_KEY]["max"]) <= 1
    info = json.loads((out / "meta" / "info.json").read_text())
    assert info["codebase_version"] == "v3.0" and isinstance(info["fps"], int)
    # Many episodes per video file, back to back; sound, events and contributors stay out.
    eps = episodes(out)
    assert len({(e[f"videos/{VIDEO_KEY}/file_index"]) for e in eps}) == 1
    for a, b in zip(eps, eps[1:], strict=False):
        assert b[f"videos/{VIDEO_KEY}/from_timestamp"] == a[f"videos/{VIDEO_KEY}/to_timestamp"]
    for video in out.rglob("*.mp4"):
        with av.open(str(video)) as container:
            assert [s.type for s in container.streams] == ["video"]
    assert not list(out.rglob("events*")) and not list(out.rglob(".staging"))
    for b in bundles:
        who = b.manifest.privacy.contributor
        if who:
            assert not any(who.encode() in f.read_bytes() for f in out.rglob("*") if f.is_file())
    assert before == {c: file_sha256(c / "video.mp4") for c in corpus.clips}


@pytest.mark.timeout(1800)
def test_dedupe_keeps_each_frame_of_a_session_once_and_lerobot_loads_it(
    corpus: Corpus, lerobot_python: Path, tmp_path: Path
) -> None:
    out = tmp_path / "deduped"
    export(corpus, out, "--dedupe", "--engine", "inline")
    facts, arrays = read(out, tmp_path)
    sessions = [open_bundle(c).manifest for c in corpus.clips]
    covered: set[int] = set()
    for m in sessions:
        assert m.session is not None
        covered |= set(range(m.session.first_frame, m.session.first_frame + m.video.frames))
    assert facts["frames"] == len(covered)  # no frame twice, none lost
    pair = [open_bundle(c).manifest for c in corpus.overlapping]
    early, late = sorted(pair, key=lambda m: m.session.first_frame)  # type: ignore[union-attr]
    assert early.session and late.session
    kept = {e["clip_id"]: e for e in episodes(out)}
    if (
        late.session.first_frame + late.video.frames
        <= early.session.first_frame + early.video.frames
    ):
        # The later clip lies inside the earlier one: left out, the earlier one kept whole.
        assert late.clip_id not in kept and kept[early.clip_id]["length"] == early.video.frames
    else:  # the earlier clip keeps its frames up to where the later one begins
        assert kept[early.clip_id]["length"] == min(
            early.video.frames, late.session.first_frame - early.session.first_frame
        )
    check_rows_match_clips(corpus, facts, arrays, out)


@pytest.mark.timeout(1800)
def test_fps_and_size_transcode_and_resample_the_actions(
    corpus: Corpus, lerobot_python: Path, tmp_path: Path
) -> None:
    out = tmp_path / "small"
    printed = export(corpus, out, "--fps", "15", "--size", "320x180")
    assert "4 transcoded" in printed, printed
    facts, arrays = read(out, tmp_path)
    assert facts["fps"] == 15 and facts["picture_shape"] == [3, 180, 320]
    clips = {open_bundle(c).manifest.clip_id: c for c in corpus.clips}
    for ep in episodes(out):
        track = pq.read_table(clips[ep["clip_id"]] / ACTIONS_FILE)
        rows = arrays["action"][arrays["episode_index"] == ep["episode_index"]]
        assert len(rows) == (track.num_rows + 1) // 2
        for i, name in enumerate(facts["names"]):
            values = track.column(schema.ACTION_PREFIX + name).to_numpy().astype(np.float64)
            pairs = [values[j : j + 2] for j in range(0, len(values), 2)]
            if name.endswith((".x", ".y")):  # an axis: the value at the end of the two rows
                expected = [p[-1] for p in pairs]
            elif name.endswith((".n", ".dx", ".dy")):  # presses and deltas add up
                expected = [p.sum() for p in pairs]
            else:  # held in either row
                expected = [p.max() for p in pairs]
            np.testing.assert_allclose(rows[:, i], expected, rtol=1e-6, err_msg=name)


def test_bad_options_and_outputs_are_one_line_and_touch_nothing(
    corpus: Corpus, tmp_path: Path
) -> None:
    before = {c: file_sha256(c / "video.mp4") for c in corpus.clips}
    taken = tmp_path / "taken"
    taken.mkdir()
    (taken / "x").write_text("mine")
    cases = {
        ("-o", str(taken)): "not empty",
        ("-o", str(tmp_path / "a"), "--min-valid", "1.5"): "--min-valid",
        ("-o", str(tmp_path / "b"), "--game", "no.such-game"): "no clip matches",
        ("-o", str(tmp_path / "c"), "--contexts", "nowhere"): "no clip matches",
        ("-o", str(tmp_path / "d"), "--fps", "60"): "--fps",
        ("-o", str(tmp_path / "e"), "--size", "321x180"): "even",
    }
    for args, words in cases.items():
        result = run_cli("dataset", "export", str(corpus.folder), *args)
        lines = result.stderr.strip().splitlines()
        assert result.returncode != 0 and words in lines[-1] and "Traceback" not in result.stderr
    assert (taken / "x").read_text() == "mine"
    assert before == {c: file_sha256(c / "video.mp4") for c in corpus.clips}


def test_a_clip_that_cannot_be_read_is_named_and_the_rest_exported(
    corpus: Corpus, tmp_path: Path
) -> None:
    source = tmp_path / "source"
    shutil.copytree(corpus.clips[2], source / corpus.clips[2].name)
    broken = corpus.damaged(MISSING_ACTIONS, into=source / "broken", clip=corpus.clips[3])
    out = tmp_path / "out"
    result = run_cli("dataset", "export", str(source), "-o", str(out), timeout_s=300)
    assert result.returncode == 1, result.stderr
    assert f"{broken.name}: failed" in result.stderr and "Traceback" not in result.stderr
    assert "1 episodes" in result.stdout
    assert json.loads((out / "meta" / "info.json").read_text())["total_episodes"] == 1
