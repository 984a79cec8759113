"""A corpus of real clips for the dataset tests, made once per test session.

The real recorder records the stand-in game (and its map) on a virtual display at
640x360, 30 fps, while real key presses go to it; four clips are saved from one run,
the second 1.5 s after the first and reaching 8 s back, so the two overlap (one session
id, first frames on one timeline; the second may hold the first whole). The good clips
are as a data team receives them: what an upload carries (no events file, as sharing it
was not opted in). :meth:`Corpus.damaged` makes
broken copies of a good clip, each with exactly one fault a verifier must name.
:func:`s3_corpus` puts the good clips in a fresh bucket of the test S3 server in the
uploaded layout (``<prefix>/<game-id>/<clip_id>/<file>``, ``manifest.json`` last).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from hindsight.bundle import (
    ACTIONS_FILE,
    EVENTS_FILE,
    MANIFEST_FILE,
    VIDEO_FILE,
    open_bundle,
)

__all__ = ["Corpus", "S3Corpus", "FAULTS", "corpus", "s3_corpus", "make_corpus"]

FPS = 30
# The faults Corpus.damaged can put in a copy, each alone.
FLIPPED_VIDEO_BYTE = "flipped-video-byte"
MISSING_ACTIONS = "missing-actions"
MAP_PIN_MISMATCH = "map-pin-mismatch"
EXTRA_COLUMN = "extra-column"
FAULTS = (FLIPPED_VIDEO_BYTE, MISSING_ACTIONS, MAP_PIN_MISMATCH, EXTRA_COLUMN)
# The column the extra-column fault adds: what a leak of raw input would look like.
EXTRA_COLUMN_NAME = "raw_key"


@dataclass(frozen=True)
class Corpus:
    """Good clips in ``folder`` (one sub-folder each); ``overlapping`` are two saves of one
    run whose frames overlap."""

    folder: Path
    clips: tuple[Path, ...]
    overlapping: tuple[Path, Path]
    scratch: Path = field(repr=False)
    # The same clips as saved on the player's machine (with their local events files).
    originals: tuple[Path, ...] = ()

    def damaged(self, fault: str, into: Path | None = None, clip: Path | None = None) -> Path:
        """A copy of ``clip`` (default: the first) with ``fault`` (one of :data:`FAULTS`) in
        a new folder under ``into`` (default: a fresh folder of the session); returns it."""
        into = into or Path(tempfile.mkdtemp(prefix=f"{fault}-", dir=self.scratch))
        return damaged_copy(clip or self.clips[0], fault, into)


def damaged_copy(clip: Path, fault: str, into: Path) -> Path:
    """A copy of ``clip`` under ``into`` (same folder name) with one ``fault``."""
    if fault not in FAULTS:
        raise ValueError(f"unknown fault {fault!r}; one of {FAULTS}")
    into.mkdir(parents=True, exist_ok=True)
    out = into / clip.name
    shutil.copytree(clip, out)
    if fault == FLIPPED_VIDEO_BYTE:
        video = out / VIDEO_FILE
        data = bytearray(video.read_bytes())
        data[len(data) // 2] ^= 0xFF  # inside the media data, so the size stays the same
        video.write_bytes(bytes(data))
    elif fault == MISSING_ACTIONS:
        (out / ACTIONS_FILE).unlink()
    elif fault == MAP_PIN_MISMATCH:
        raw = json.loads((out / MANIFEST_FILE).read_text())
        raw["action_map"]["sha256"] = hashlib.sha256(b"another map").hexdigest()
        (out / MANIFEST_FILE).write_text(json.dumps(raw, indent=2) + "\n")
    elif fault == EXTRA_COLUMN:
        # The manifest is rewritten to match, so only a check of the columns finds it.
        table = pq.read_table(out / ACTIONS_FILE)
        table = table.append_column(EXTRA_COLUMN_NAME, pa.array(["w"] * table.num_rows))
        pq.write_table(table, out / ACTIONS_FILE)
        data = (out / ACTIONS_FILE).read_bytes()
        raw = json.loads((out / MANIFEST_FILE).read_text())
        raw["files"][ACTIONS_FILE] = {
            "sha256": hashlib.sha256(data).hexdigest(),
            "bytes": len(data),
        }
        (out / MANIFEST_FILE).write_text(json.dumps(raw, indent=2) + "\n")
    return out


def _kept_local(clip: Path):
    """What stays on the player's machine: the events file unless sharing it was opted in."""
    track = open_bundle(clip).manifest.track
    local = {EVENTS_FILE} if track is not None and not track.events_shared else set()
    return lambda folder, names: [n for n in names if n in local]


def _clip(result) -> Path:
    assert result.returncode == 0, result.stderr
    return Path(result.stdout.strip())


def make_corpus(root: Path) -> Corpus:
    """Record the corpus into ``root`` (the caller has pointed Hindsight's folders at
    private temp dirs)."""
    from tests.recorder.actions.game_env import Keyboard, game_env
    from tests.recorder.cli_proc import run_cli

    clips_dir = root / "recorded"
    # Uploaded clips were given consent: their manifests carry its versions.
    for purpose in ("clips", "dataset"):
        granted = run_cli("consent", "grant", purpose, "--yes")
        assert granted.returncode == 0, granted.stderr
    with game_env(None) as env:
        rec = env.record("--fps", str(FPS), "--buffer-seconds", "20", "--clips-dir", str(clips_dir))
        kb = Keyboard(env.name)
        try:

            def play(seconds: float) -> None:
                """Press keys the map knows for ``seconds``: jump, move, fire."""
                end = time.monotonic() + seconds
                keys = ("space", "w", "d", "space", "a")
                i = 0
                while time.monotonic() < end:
                    kb.tap(keys[i % len(keys)], hold_s=0.08)
                    i += 1
                    time.sleep(0.25)

            play(5.0)
            first = _clip(run_cli("clip", "--seconds", "4"))
            play(1.5)
            # Reaching 8 s back, it overlaps the first by over a second unless the first
            # save and this command took 5.5 s between them (a loaded machine takes ~3).
            second = _clip(run_cli("clip", "--seconds", "8"))
            play(5.5)
            third = _clip(run_cli("clip", "--seconds", "3"))
            play(4.5)
            fourth = _clip(run_cli("clip", "--seconds", "3"))
        finally:
            kb.close()
            rec.stop()
    good = root / "good"
    good.mkdir()
    clips = []
    for clip in (first, second, third, fourth):
        clips.append(Path(shutil.copytree(clip, good / clip.name, ignore=_kept_local(clip))))
    return Corpus(
        folder=good,
        clips=tuple(clips),
        overlapping=(clips[0], clips[1]),
        scratch=root,
        originals=(first, second, third, fourth),
    )


@pytest.fixture(scope="session")
def corpus() -> Iterator[Corpus]:
    """The clips of one recorder run, made once per test session (about 30 s)."""
    with tempfile.TemporaryDirectory(prefix="hs-corpus-") as tmp:
        root = Path(tmp)
        with pytest.MonkeyPatch.context() as mp:
            # The session has no isolated_user_dirs: give the recorder its own folders.
            for name in ("CONFIG", "DATA", "LOG", "CLIPS", "CACHE"):
                mp.setenv(f"HINDSIGHT_{name}_DIR", str(root / "user" / name.lower()))
            sock_dir = Path(tempfile.mkdtemp(prefix="hs-", dir="/tmp"))
            os.chmod(sock_dir, 0o700)
            mp.setenv("HINDSIGHT_CONTROL", str(sock_dir / "control.sock"))
            try:
                made = make_corpus(root)
            finally:
                shutil.rmtree(sock_dir, ignore_errors=True)
        yield made


@dataclass(frozen=True)
class S3Corpus:
    """The good clips of a :class:`Corpus` in a bucket: ``url`` is ``s3://bucket/prefix``;
    ``env`` holds the AWS variables a child process needs to read it."""

    url: str
    bucket: str
    prefix: str
    endpoint_url: str
    env: dict[str, str]
    keys: tuple[str, ...]


def upload_clip(client, bucket: str, prefix: str, clip: Path) -> list[str]:
    """The clip's files as the uploader lays them out (events only if shared), manifest last."""
    m = open_bundle(clip).manifest
    shared_events = bool(m.track and m.track.events_shared)
    names = [n for n in sorted(m.files) if n != EVENTS_FILE or shared_events]
    names.sort(key=lambda n: n != m.video.file)
    keys = []
    for name in [*names, MANIFEST_FILE]:
        key = "/".join(p for p in (prefix, m.game_id, m.clip_id, name) if p)
        client.upload_file(str(clip / name), bucket, key)
        keys.append(key)
    return keys


_buckets = iter(range(1, 1_000_000))


@pytest.fixture(scope="session")
def s3_corpus(corpus: Corpus, seaweed) -> S3Corpus:
    """The good clips uploaded to a fresh bucket of the session's S3 server."""
    bucket = f"hs-dataset-{os.getpid()}-{next(_buckets)}"
    prefix = "uploads/v1"
    seaweed.create_bucket(bucket)
    client = seaweed.client()
    keys: list[str] = []
    for clip in corpus.clips:
        keys += upload_clip(client, bucket, prefix, clip)
    env = {
        "AWS_ACCESS_KEY_ID": seaweed.access_key,
        "AWS_SECRET_ACCESS_KEY": seaweed.secret_key,
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ENDPOINT_URL_S3": seaweed.endpoint_url,
    }
    return S3Corpus(
        url=f"s3://{bucket}/{prefix}",
        bucket=bucket,
        prefix=prefix,
        endpoint_url=seaweed.endpoint_url,
        env=env,
        keys=tuple(keys),
    )
