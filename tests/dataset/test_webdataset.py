"""WebDataset export of real clips, read back with the ``webdataset`` package itself: every
sample's files against its source bundle, the per-shard indexes, and what may leave (the
microphone, the events, the contributor) only when asked and consented."""

from __future__ import annotations

import dataclasses
import hashlib
import io
import json
import tarfile
from pathlib import Path

import av
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import webdataset as wds

from hindsight.bundle import (
    EVENTS_FILE,
    MIC_TRACK,
    Manifest,
    SessionFacts,
    file_sha256,
    read_manifest,
)
from hindsight.dataset.engine import InlineEngine, LocalEngine
from hindsight.dataset.errors import DatasetError
from hindsight.dataset.source import open_source
from hindsight.dataset.webdataset import SHARD_SCHEMA, WebDatasetOptions, export_webdataset
from tests.dataset.demo_clips import copy_clip, demo_clip, mic_clip
from tests.recorder.cli_proc import run_cli
from tests.x11 import moving_scene, xvfb  # noqa: F401

# webdataset leaves its tar files to the garbage collector.
pytestmark = [
    pytest.mark.x11,
    pytest.mark.slow,
    pytest.mark.filterwarnings("ignore:unclosed file:ResourceWarning"),
]

CONSENTED = {"clips": "clips-1", "dataset": "dataset-1"}


def _consented(m: Manifest, contributor: str) -> dict:
    return {
        "privacy": dataclasses.replace(
            m.privacy, consent_version=CONSENTED, contributor=contributor
        )
    }


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory, xvfb, moving_scene) -> Path:  # noqa: F811
    """Demo clips (an overlapping pair of one run; one whose player shared its events and
    gave dataset consent) and recorder clips with a microphone (one without consent, one
    with)."""
    root = tmp_path_factory.mktemp("wds")
    game = demo_clip(root)
    mic = mic_clip(root, xvfb.name)
    src = root / "source"
    src.mkdir()
    copy_clip(game, src / "a", SessionFacts(session_id="run", first_frame=0))
    copy_clip(game, src / "b", SessionFacts(session_id="run", first_frame=90))
    m = read_manifest(game)
    assert m.track is not None
    copy_clip(
        game,
        src / "shared",
        track=dataclasses.replace(m.track, events_shared=True),
        **_consented(m, "c-game"),
    )
    copy_clip(mic, src / "mic")
    copy_clip(mic, src / "mic-consented", **_consented(read_manifest(mic), "c-mic"))
    return src


def _hashes(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): file_sha256(p) for p in sorted(root.rglob("*")) if p.is_file()
    }


def _packets(video: Path | bytes, streams: list[int] | None = None) -> list[list[tuple]]:
    """Per stream (all, or those numbered): each packet's pts, dts and bytes."""
    with av.open(io.BytesIO(video) if isinstance(video, bytes) else str(video)) as c:
        chosen = [c.streams[i] for i in streams] if streams is not None else list(c.streams)
        out: list[list[tuple]] = [[] for _ in chosen]
        position = {s.index: n for n, s in enumerate(chosen)}
        for p in c.demux(chosen):
            if p.dts is not None:
                out[position[p.stream.index]].append((p.pts, p.dts, bytes(p)))
        return out


def _titles(video: bytes) -> list[str]:
    with av.open(io.BytesIO(video)) as c:
        return [s.metadata.get("name") or s.metadata.get("title", "") for s in c.streams.audio]


def _read_back(out: Path) -> dict[str, dict]:
    urls = [str(p) for p in sorted(out.glob("shard-*.tar"))]
    samples = {}
    for sample in wds.WebDataset(urls, shardshuffle=False):
        samples[sample["__key__"]] = {**sample, "shard": Path(sample["__url__"]).name}
    return samples


def test_export_reads_back_as_webdataset_with_the_bundles_files(
    source: Path, tmp_path: Path
) -> None:
    before = _hashes(source)
    out = tmp_path / "wds"
    clips = open_source(str(source)).clips()
    # Shards small enough that the five samples need several.
    summary = export_webdataset(
        clips, out, WebDatasetOptions(shard_bytes=400_000), LocalEngine(workers=2)
    )
    assert _hashes(source) == before  # nothing of a source clip modified
    assert summary.failed == [] and summary.samples == 5 and len(summary.shards) > 1
    assert sorted(p.name for p in out.iterdir()) == sorted(
        [p.name for p in summary.shards]
        + [p.name.replace(".tar", ".index.parquet") for p in summary.shards]
    )
    samples = _read_back(out)
    by_folder = {c.name: read_manifest(Path(c.where)) for c in clips}
    assert sorted(samples) == sorted(m.clip_id for m in by_folder.values())

    for folder, m in by_folder.items():
        sample = samples[m.clip_id]
        bundle = source / folder
        facts = json.loads(sample["json"])
        assert "contributor" not in facts  # never asked for here
        assert "events.parquet" not in sample  # never asked for here
        assert facts["clip_id"] == m.clip_id and facts["video"]["frames"] == m.video.frames
        assert facts["consent_version"] == dict(m.privacy.consent_version or {})
        if m.track is not None:
            assert sample["actions.parquet"] == (bundle / m.track.file).read_bytes()
            assert facts["track"]["columns"] == list(m.track.columns)
            assert [a["name"] for a in facts["action_map"]["actions"]]
        video = bundle / m.video.file
        assert m.audio is not None
        if not folder.startswith("mic"):
            assert sample["mp4"] == video.read_bytes()
            assert [t["name"] for t in facts["audio"]["tracks"]] == ["mix", "system"]
            continue
        # The microphone, alone and in the mix, is left out; the rest is copied packet for packet.
        names = [t.name for t in m.audio.tracks]
        assert names == ["mix", "system", MIC_TRACK]
        assert _titles(sample["mp4"]) == ["System audio"]
        assert [t["name"] for t in facts["audio"]["tracks"]] == ["system"]
        assert _packets(sample["mp4"]) == _packets(video, [0, 1 + names.index("system")])
        assert facts["sha256"]["mp4"] == hashlib.sha256(sample["mp4"]).hexdigest()

    # Each shard's members are sorted by name; its index lists exactly its samples.
    index = []
    for shard in summary.shards:
        with tarfile.open(shard) as tar:
            names = tar.getnames()
        assert names == sorted(names)
        table = pq.read_table(shard.with_name(shard.name.replace(".tar", ".index.parquet")))
        assert table.schema == SHARD_SCHEMA
        assert sorted(table["clip_id"].to_pylist()) == sorted({n.split(".")[0] for n in names})
        assert set(table["shard"].to_pylist()) == {shard.name}
        index.append(table)
    rows = {Path(r["where"]).name: r for r in pa.concat_tables(index).to_pylist()}
    assert rows["a"]["overlap_group"] == rows["b"]["overlap_group"] == "run:0"
    assert rows["mic"]["overlap_group"] is None and "ungroupable" in rows["mic"]["flags"]
    assert rows["a"]["presses"] and rows["a"]["fps"] == by_folder["a"].video.fps


def test_mic_events_and_contributor_leave_only_when_asked_and_consented(
    source: Path, tmp_path: Path
) -> None:
    out = tmp_path / "wds"
    clips = open_source(str(source)).clips()
    options = WebDatasetOptions(include_events=True, include_mic=True, include_contributor=True)
    summary = export_webdataset(clips, out, options, InlineEngine())
    assert summary.failed == []
    samples = _read_back(out)
    for clip in clips:
        m = read_manifest(Path(clip.where))
        sample = samples[m.clip_id]
        facts = json.loads(sample["json"])
        bundle = Path(clip.where)
        if clip.name == "mic-consented":  # consented: every track, the file unchanged
            assert sample["mp4"] == (bundle / m.video.file).read_bytes()
            assert facts["contributor"] == "c-mic"
        elif clip.name == "mic":  # asked for, not consented: no microphone, no contributor
            assert _titles(sample["mp4"]) == ["System audio"] and "contributor" not in facts
        if clip.name == "shared":  # the player shared the events
            assert sample["events.parquet"] == (bundle / EVENTS_FILE).read_bytes()
            assert facts["contributor"] == "c-game"
        else:
            assert "events.parquet" not in sample


def test_an_export_never_writes_into_a_folder_with_files(source: Path, tmp_path: Path) -> None:
    (tmp_path / "old.txt").write_text("keep me")
    with pytest.raises(DatasetError, match="not empty"):
        export_webdataset(
            open_source(str(source)).clips(), tmp_path, WebDatasetOptions(), InlineEngine()
        )
    assert [p.name for p in tmp_path.iterdir()] == ["old.txt"]
    with pytest.raises(DatasetError, match="shard size"):
        WebDatasetOptions(shard_bytes=0)


def test_two_clips_with_one_id_are_named_and_nothing_is_written(
    source: Path, tmp_path: Path
) -> None:
    src = tmp_path / "src"
    copy_clip(source / "a", src / "one")
    m = read_manifest(src / "one")
    copy_clip(source / "a", src / "two", clip_id=m.clip_id)
    out = tmp_path / "wds"
    with pytest.raises(DatasetError, match=f"clip id {m.clip_id} is in both .*one and .*two"):
        export_webdataset(open_source(str(src)).clips(), out, WebDatasetOptions(), InlineEngine())
    assert list(out.iterdir()) == []


def test_the_recorded_corpus_exports_with_its_overlaps_grouped(corpus, tmp_path: Path) -> None:
    clips = open_source(str(corpus.folder)).clips()
    out = tmp_path / "wds"
    summary = export_webdataset(clips, out, WebDatasetOptions(), LocalEngine(workers=2))
    assert summary.failed == [] and summary.samples == len(corpus.clips)
    samples = _read_back(out)
    for clip in corpus.clips:
        m = read_manifest(clip)
        sample = samples[m.clip_id]
        assert sample["mp4"] == (clip / m.video.file).read_bytes()
        assert m.track is not None
        assert sample["actions.parquet"] == (clip / m.track.file).read_bytes()
        facts = json.loads(sample["json"])
        assert m.session is not None and facts["session"] == {
            "session_id": m.session.session_id,
            "first_frame": m.session.first_frame,
        }
        # Consent was given, yet the pseudonym stays out unless the export asks for it.
        assert m.privacy.contributor and "contributor" not in facts
        assert m.privacy.contributor not in sample["json"].decode()
    (index,) = [
        pq.read_table(p.with_name(p.name.replace(".tar", ".index.parquet"))) for p in summary.shards
    ]
    groups = {r["clip_id"]: r["overlap_group"] for r in index.to_pylist()}
    a, b = (read_manifest(c).clip_id for c in corpus.overlapping)
    assert groups[a] == groups[b] is not None
    assert len(set(groups.values())) == len(groups) - 1


def test_export_from_a_bucket_through_the_cli(corpus, s3_corpus, tmp_path: Path) -> None:
    import os

    env = {**os.environ, **s3_corpus.env}
    out = tmp_path / "wds"
    size = max(read_manifest(c).total_bytes() for c in corpus.clips) * 2
    args = ("dataset", "export", s3_corpus.url, "--format", "webdataset", "-o", str(out))
    refused = run_cli(*args, "--fps", "15", env=env)
    assert refused.returncode == 2 and refused.stderr.strip() == (
        "hindsight: error: --fps applies to --format lerobot only"
    )
    done = run_cli(*args, "--shard-size", str(size), env=env)
    assert done.returncode == 0, done.stderr
    assert f"WebDataset, {len(corpus.clips)} samples in" in done.stdout
    samples = _read_back(out)
    for clip in corpus.clips:
        m = read_manifest(clip)
        assert samples[m.clip_id]["mp4"] == (clip / m.video.file).read_bytes()
    # Two clips or fewer per shard, each shard with its index.
    tars = sorted(out.glob("shard-*.tar"))
    assert len(tars) >= len(corpus.clips) // 2
    assert sorted(p.name for p in out.iterdir()) == sorted(
        [t.name for t in tars] + [t.name.replace(".tar", ".index.parquet") for t in tars]
    )
    for tar in tars:
        assert tar.stat().st_size <= size


def test_a_clip_id_that_is_no_key_fails_that_clip_only(source: Path, tmp_path: Path) -> None:
    src = tmp_path / "src"
    copy_clip(source / "a", src / "good")
    copy_clip(source / "a", src / "bad", clip_id="../outside.mp4")
    out = tmp_path / "wds"
    summary = export_webdataset(
        open_source(str(src)).clips(), out, WebDatasetOptions(), InlineEngine()
    )
    (failure,) = summary.failed
    assert Path(failure.clip.where).name == "bad" and "cannot be a sample key" in failure.reason
    assert summary.samples == 1 and sorted(p.name for p in tmp_path.iterdir()) == ["src", "wds"]
