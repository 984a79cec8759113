"""Verifying clips straight from a bucket of a real S3 server (SeaweedFS), nothing kept on disk."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hindsight.bundle import open_bundle
from hindsight.dataset.errors import DatasetError
from hindsight.dataset.s3 import parse_s3_url
from hindsight.dataset.source import S3Source, open_source
from tests.dataset.corpus import FLIPPED_VIDEO_BYTE, Corpus, S3Corpus, upload_clip
from tests.recorder.cli_proc import run_cli
from tests.uploader.s3server import free_ports

pytestmark = pytest.mark.x11


def child_env(s3: S3Corpus, tmp: Path, *, endpoint_in_env: bool = True) -> dict[str, str]:
    env = {**os.environ, **s3.env, "TMPDIR": str(tmp)}
    if not endpoint_in_env:
        env.pop("AWS_ENDPOINT_URL_S3")
    return env


def test_verify_reads_the_bucket_and_leaves_nothing_on_disk(
    corpus: Corpus, s3_corpus: S3Corpus, tmp_path: Path
) -> None:
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    result = run_cli(
        "dataset",
        "verify",
        s3_corpus.url,
        "--json",
        "--endpoint-url",
        s3_corpus.endpoint_url,
        env=child_env(s3_corpus, tmp, endpoint_in_env=False),
    )
    assert result.returncode == 0, result.stdout + result.stderr
    rows = json.loads(result.stdout)
    expected = sorted(
        f"{m.game_id}/{m.clip_id}" for m in (open_bundle(c).manifest for c in corpus.clips)
    )
    assert [r["clip"] for r in rows] == expected
    assert all(r["ok"] and r["problems"] == [] for r in rows)
    assert list(tmp.iterdir()) == []  # every clip's temp folder was deleted after its check


def test_the_endpoint_from_the_environment_and_a_damaged_upload(
    corpus: Corpus, s3_corpus: S3Corpus, seaweed, tmp_path: Path
) -> None:
    bad = corpus.damaged(FLIPPED_VIDEO_BYTE, into=tmp_path / "bad")
    prefix = "damaged"
    upload_clip(seaweed.client(), s3_corpus.bucket, prefix, bad)
    upload_clip(seaweed.client(), s3_corpus.bucket, prefix, corpus.clips[2])
    result = run_cli(
        "dataset",
        "verify",
        f"s3://{s3_corpus.bucket}/{prefix}",
        env=child_env(s3_corpus, tmp_path),
    )
    assert result.returncode == 1, result.stderr
    lines = result.stdout.splitlines()
    bad_id = open_bundle(bad).manifest.clip_id
    (bad_line,) = [ln for ln in lines if bad_id in ln]
    assert "FAILED" in bad_line and "video.mp4: sha256 differs from the manifest" in bad_line
    assert lines[-1] == "2 clips: 1 OK, 1 FAILED"


def test_a_clip_whose_manifest_is_not_in_yet_is_not_listed(
    corpus: Corpus, s3_corpus: S3Corpus, seaweed, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in s3_corpus.env.items():
        monkeypatch.setenv(name, value)
    client = seaweed.client()
    client.put_object(Bucket=s3_corpus.bucket, Key="partial/game/abc/video.mp4", Body=b"x")
    source = open_source(f"s3://{s3_corpus.bucket}/partial")
    assert isinstance(source, S3Source) and source.clips() == []
    clips = open_source(s3_corpus.url).clips()
    assert len(clips) == len(corpus.clips)
    with clips[0].local() as folder:
        assert open_bundle(folder).verify(uploaded=True) == []
        kept = folder
    assert not kept.exists()


def test_an_unreachable_server_or_a_missing_bucket_is_one_line_exit_2(
    s3_corpus: S3Corpus, tmp_path: Path
) -> None:
    (port,) = free_ports(1)
    env = child_env(s3_corpus, tmp_path, endpoint_in_env=False)
    for args in (
        [s3_corpus.url, "--endpoint-url", f"http://127.0.0.1:{port}"],
        ["s3://no-such-bucket-here/x", "--endpoint-url", s3_corpus.endpoint_url],
    ):
        result = run_cli("dataset", "verify", *args, env=env)
        assert result.returncode == 2, (args, result.stdout, result.stderr)
        assert result.stderr.count("\n") == 1 and result.stderr.startswith("hindsight: error:")


_SEGMENT = st.text(
    alphabet="abcdefghijklmnopqrstuvwxyz0123456789-_.", min_size=1, max_size=12
).filter(lambda s: s not in (".", ".."))


@given(
    bucket=st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-", min_size=3, max_size=20),
    segments=st.lists(_SEGMENT, max_size=4),
)
def test_an_s3_url_names_its_bucket_and_prefix(bucket: str, segments: list[str]) -> None:
    prefix = "/".join(segments)
    loc = parse_s3_url(f"s3://{bucket}/{prefix}")
    assert (loc.bucket, loc.prefix) == (bucket, prefix)
    assert parse_s3_url(loc.url) == loc


@given(spec=st.text(max_size=40))
def test_any_text_is_a_location_or_one_clear_error(spec: str) -> None:
    try:
        loc = parse_s3_url("s3://" + spec)
    except DatasetError as err:
        assert "\n" not in str(err)
    else:
        assert loc.bucket and "/" not in loc.bucket
