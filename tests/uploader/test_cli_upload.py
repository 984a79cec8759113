"""The real CLI against a real S3 server (SeaweedFS): consent, upload, kill and resume,
outages, delete.
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from hindsight.bundle import (
    ACTION_MAP_FILE,
    ACTIONS_FILE,
    EVENTS_FILE,
    MANIFEST_FILE,
    VIDEO_FILE,
    read_manifest,
)
from hindsight.uploader.config import UploadTarget
from tests.recorder.cli_proc import HINDSIGHT, run_cli
from tests.uploader.bundles import make_bundle
from tests.uploader.s3proxy import S3Proxy, manifest_written_last, writes_per_key
from tests.uploader.s3server import SeaweedServer

MiB = 2**20
UPLOADED = (VIDEO_FILE, ACTIONS_FILE, ACTION_MAP_FILE, MANIFEST_FILE)


def target_args(target: UploadTarget) -> list[str]:
    return [
        "--endpoint-url",
        target.endpoint_url,
        "--bucket",
        target.bucket,
        "--prefix",
        target.prefix,
    ]


def grant() -> None:
    result = run_cli("consent", "grant", "clips", "--yes")
    assert result.returncode == 0, result.stderr


def objects(client, bucket: str) -> dict[str, bytes]:
    keys = [
        o["Key"]
        for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket)
        for o in page.get("Contents", [])
    ]
    return {k: client.get_object(Bucket=bucket, Key=k)["Body"].read() for k in keys}


def open_multipart(client, bucket: str) -> list:
    return client.list_multipart_uploads(Bucket=bucket).get("Uploads", [])


def start_upload(*args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [*HINDSIGHT, "upload", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=os.environ.copy(),
    )


def video_key(target: UploadTarget, folder: Path) -> str:
    manifest = read_manifest(folder)
    return f"{target.prefix}/{manifest.game_id}/{manifest.clip_id}/{manifest.video.file}"


def wait_for_parts(
    client, bucket: str, key: str, at_least: int, timeout_s: float = 60
) -> list[dict]:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        for upload in open_multipart(client, bucket):
            if upload["Key"] == key:
                parts = client.list_parts(Bucket=bucket, Key=key, UploadId=upload["UploadId"]).get(
                    "Parts", []
                )
                if len(parts) >= at_least:
                    return parts
        time.sleep(0.05)
    raise AssertionError(f"no {at_least} parts of {key} within {timeout_s} s")


def test_no_consent_nothing_leaves_then_everything_arrives_intact(
    seaweed: SeaweedServer, proxied_target, s3_proxy: S3Proxy, isolated_user_dirs
) -> None:
    s3_target = proxied_target  # every request goes through the counting proxy
    clips = isolated_user_dirs["clips"]
    folders = [make_bundle(clips, video_bytes=size) for size in (9 * MiB + 17, 1000)]
    client = seaweed.client()
    refused = run_cli("upload", "--all", *target_args(s3_target))
    assert (
        refused.returncode == 1 and "consent" in refused.stderr and refused.stderr.count("\n") == 1
    )
    assert objects(client, s3_target.bucket) == {}
    assert s3_proxy.requests() == []  # not even a bucket check reached the server

    grant()
    result = run_cli("upload", "--all", "--json", *target_args(s3_target))
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert [c["ok"] for c in report["clips"]] == [True, True]
    stored = objects(client, s3_target.bucket)
    assert len(stored) == 2 * len(UPLOADED)  # one object per file, nothing else
    seen = s3_proxy.requests()
    assert (
        set(writes_per_key(seen).values()) == {1} and writes_per_key(seen).keys() == stored.keys()
    )
    for folder in folders:
        manifest = read_manifest(folder)
        prefix = f"clips/{manifest.game_id}/{manifest.clip_id}"
        assert manifest_written_last(seen, prefix, MANIFEST_FILE), [
            (s.operation, s.key, s.status) for s in seen
        ]
        for name in UPLOADED:
            local = (folder / name).read_bytes()
            assert (
                hashlib.sha256(stored[f"{prefix}/{name}"]).hexdigest()
                == hashlib.sha256(local).hexdigest()
            )
        assert f"{prefix}/{EVENTS_FILE}" not in stored  # its own opt-in
        head = client.head_object(Bucket=s3_target.bucket, Key=f"{prefix}/{VIDEO_FILE}")
        assert head["ContentType"] == "video/mp4"
        assert head["Metadata"]["sha256"] == manifest.files[VIDEO_FILE].sha256
        assert (
            head["Metadata"]["consent-clips"] == "clips-1"
            and head["Metadata"]["consent-dataset"] == "none"
        )
        assert "contributor" not in head["Metadata"]  # only with dataset consent
    listing = json.loads(run_cli("clips", "list", "--json").stdout)
    assert {c["state"] for c in listing} == {"uploaded"}
    table = run_cli("clips", "list").stdout
    assert "Counter-Strike 2" in table and "uploaded" in table and "SIZE" in table
    before = len(s3_proxy.requests())
    again = run_cli("upload", "--all", *target_args(s3_target))
    assert again.returncode == 0 and len(objects(client, s3_target.bucket)) == 2 * len(UPLOADED)
    assert writes_per_key(s3_proxy.requests()[before:]) == {}  # nothing was sent twice


def test_sigkill_mid_upload_then_resume_sends_no_finished_part_again(
    seaweed: SeaweedServer, proxied_target, s3_proxy: S3Proxy, isolated_user_dirs
) -> None:
    s3_target = proxied_target
    folder = make_bundle(isolated_user_dirs["clips"], video_bytes=72 * MiB + 5)
    grant()
    client = seaweed.client()
    key = video_key(s3_target, folder)
    proc = start_upload("--all", "--max-rate", "12M", *target_args(s3_target))
    try:
        wait_for_parts(client, s3_target.bucket, key, at_least=3)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
    time.sleep(0.5)
    finished = {p["PartNumber"] for p in wait_for_parts(client, s3_target.bucket, key, at_least=3)}
    assert len(finished) < 10  # it really was killed mid-file (72 MiB = 10 parts of 8 MiB)
    # What the server saw before the kill: the parts it confirmed, of one multipart upload.
    before = s3_proxy.requests()
    confirmed = {s.part_number for s in before if s.operation == "UploadPart" and s.ok}
    [upload_id] = {s.query["uploadId"] for s in before if s.operation == "UploadPart"}
    assert confirmed and confirmed <= finished

    result = run_cli("upload", "--json", *target_args(s3_target))
    assert result.returncode == 0, result.stderr
    video = json.loads(result.stdout)["clips"][0]["files"][VIDEO_FILE]
    assert set(video["parts_sent"]).isdisjoint(finished), (video, finished)
    assert finished <= set(video["parts_reused"])
    assert sorted(video["parts_sent"] + video["parts_reused"]) == list(range(1, 11))
    stored = objects(client, s3_target.bucket)
    assert stored[key] == (folder / VIDEO_FILE).read_bytes()
    assert len(stored) == len(UPLOADED) and open_multipart(client, s3_target.bucket) == []
    # The server's side of the resume: the same upload, no confirmed part sent again.
    after = s3_proxy.requests()[len(before) :]
    resent = [s.part_number for s in after if s.operation == "UploadPart"]
    assert confirmed.isdisjoint(resent), (sorted(confirmed), resent)
    assert set(resent) == set(video["parts_sent"])  # the uploader's report, as the server saw it
    assert {s.query["uploadId"] for s in after if s.key == key and "uploadId" in s.query} == {
        upload_id
    }
    assert writes_per_key(after)[key] == 1
    assert manifest_written_last(after, key.rsplit("/", 1)[0], MANIFEST_FILE)


def test_server_down_mid_upload_then_back_the_clip_ends_up_uploaded(
    restartable_seaweed: SeaweedServer, isolated_user_dirs
) -> None:
    server = restartable_seaweed
    server.create_bucket("hs-outage")
    target = UploadTarget(bucket="hs-outage", prefix="clips", endpoint_url=server.endpoint_url)
    folder = make_bundle(isolated_user_dirs["clips"], video_bytes=40 * MiB)
    grant()
    proc = start_upload("--all", "--max-rate", "8M", "--retry-for", "90", *target_args(target))
    wait_for_parts(server.client(), target.bucket, video_key(target, folder), at_least=1)
    server.stop()
    time.sleep(3)
    server.start()
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    assert "uploaded 1 clip" in out
    stored = objects(server.client(), target.bucket)
    assert stored[video_key(target, folder)] == (folder / VIDEO_FILE).read_bytes()
    assert len(stored) == len(UPLOADED)


def test_withdrawn_consent_stops_a_running_upload(
    seaweed: SeaweedServer, proxied_target, s3_proxy: S3Proxy, isolated_user_dirs
) -> None:
    s3_target = proxied_target
    folder = make_bundle(isolated_user_dirs["clips"], video_bytes=48 * MiB)
    grant()
    client = seaweed.client()
    # Slow enough that the upload is still running when the withdrawing command, which
    # may take seconds to start on a loaded machine, gets to the library.
    proc = start_upload("--all", "--max-rate", "2M", *target_args(s3_target))
    wait_for_parts(client, s3_target.bucket, video_key(s3_target, folder), at_least=1)
    withdrawn = run_cli("consent", "withdraw", "clips")
    assert withdrawn.returncode == 0 and "withdrawn" in withdrawn.stdout
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 1 and "consent withdrawn" in err, (out, err)
    assert (
        objects(client, s3_target.bucket) == {} and open_multipart(client, s3_target.bucket) == []
    )
    seen = s3_proxy.requests()
    assert writes_per_key(seen) == {}  # nothing was ever visible: no file, no manifest
    assert any(s.operation == "AbortMultipartUpload" and s.ok for s in seen)
    listing = json.loads(run_cli("clips", "list", "--json").stdout)
    assert [(c["state"], c["reason"]) for c in listing] == [("local", "consent withdrawn")]
    again = run_cli("upload", "--all", *target_args(s3_target))
    assert again.returncode == 1 and "consent" in again.stderr


def test_delete_removes_local_files_remote_objects_and_marks_the_row(
    seaweed: SeaweedServer, s3_target, isolated_user_dirs
) -> None:
    keep, gone = (make_bundle(isolated_user_dirs["clips"], video_bytes=6 * MiB) for _ in range(2))
    grant()
    assert run_cli("upload", "--all", *target_args(s3_target)).returncode == 0
    client = seaweed.client()
    clip_id = read_manifest(gone).clip_id
    result = run_cli("clips", "delete", clip_id[:8], "--yes")
    assert result.returncode == 0, result.stderr
    assert f"{len(UPLOADED)} uploaded object(s) deleted" in result.stdout
    assert not gone.exists() and keep.exists()
    remaining = objects(client, s3_target.bucket)
    assert len(remaining) == len(UPLOADED) and not any(clip_id in k for k in remaining)
    deleted = json.loads(run_cli("clips", "list", "--json", "--state", "deleted").stdout)
    assert [(c["id"], c["remote_delete_pending"]) for c in deleted] == [(clip_id, False)]
    assert deleted[0]["deleted_ms"]


def test_delete_while_the_server_is_down_finishes_when_it_is_back(
    restartable_seaweed: SeaweedServer, isolated_user_dirs
) -> None:
    server = restartable_seaweed
    server.create_bucket("hs-later")
    target = UploadTarget(bucket="hs-later", prefix="clips", endpoint_url=server.endpoint_url)
    folder = make_bundle(isolated_user_dirs["clips"], video_bytes=1000)
    grant()
    assert run_cli("upload", "--all", *target_args(target)).returncode == 0
    server.stop()
    clip_id = read_manifest(folder).clip_id
    result = run_cli("clips", "delete", clip_id, "--yes")
    assert result.returncode == 1 and "hindsight upload" in result.stderr
    assert not folder.exists()  # the local copy goes at once
    server.start()
    assert len(objects(server.client(), target.bucket)) == len(UPLOADED)
    assert run_cli("upload", *target_args(target)).returncode == 0
    assert objects(server.client(), target.bucket) == {}


def test_target_problems_are_one_clear_line_and_keep_the_secret(
    seaweed: SeaweedServer, s3_target, isolated_user_dirs, monkeypatch
) -> None:
    make_bundle(isolated_user_dirs["clips"], video_bytes=1000)
    grant()
    missing = run_cli(
        "upload", "--all", *target_args(s3_target)[:-4], "--bucket", "hs-no-such-bucket"
    )
    assert (
        missing.returncode == 1
        and "hs-no-such-bucket" in missing.stderr
        and "does not exist" in missing.stderr
    )
    assert missing.stderr.count("\n") == 1
    wrong_secret = "wrong-secret-" + "x" * 20
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", wrong_secret)
    rejected = run_cli("upload", "--all", *target_args(s3_target))
    assert rejected.returncode == 1 and rejected.stderr.count("\n") == 1
    assert wrong_secret not in rejected.stderr + rejected.stdout
    assert seaweed.access_key not in rejected.stderr + rejected.stdout
    dead = run_cli(
        "upload",
        "--all",
        "--retry-for",
        "0",
        "--endpoint-url",
        "http://127.0.0.1:9",
        "--bucket",
        s3_target.bucket,
    )
    assert dead.returncode == 1 and "did not answer" in dead.stderr and dead.stderr.count("\n") == 1
    state = json.loads(run_cli("clips", "list", "--json").stdout)[0]
    assert state["state"] in ("queued", "failed")  # still waiting; nothing saved was lost


def test_a_user_deleted_folder_fails_alone_and_the_rest_upload(
    seaweed: SeaweedServer, s3_target, isolated_user_dirs
) -> None:
    import shutil

    clips = isolated_user_dirs["clips"]
    fine = make_bundle(clips, video_bytes=1000)
    lost = make_bundle(clips, video_bytes=1000)
    assert run_cli("clips", "list").returncode == 0  # registered
    shutil.rmtree(lost)
    grant()
    result = run_cli("upload", "--all", *target_args(s3_target))
    assert result.returncode == 1 and "is gone" in result.stderr
    listing = {c["path"]: c for c in json.loads(run_cli("clips", "list", "--json").stdout)}
    assert listing[str(fine.resolve())]["state"] == "uploaded"
    assert listing[str(lost.resolve())]["state"] == "failed"
    assert "(folder missing)" in run_cli("clips", "list").stdout


def test_consent_show_grant_withdraw(isolated_user_dirs) -> None:
    shown = run_cli("consent", "show")
    assert (
        shown.returncode == 0
        and "clips: not granted" in shown.stdout
        and "dataset: not granted" in shown.stdout
    )
    text = run_cli("consent", "show", "dataset").stdout
    assert "training data" in text and "dataset-1" in text
    no_tty = subprocess.run(
        [*HINDSIGHT, "consent", "grant", "dataset"],
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
    )
    assert no_tty.returncode == 2 and "--yes" in no_tty.stderr
    assert run_cli("consent", "grant", "dataset", "--yes").returncode == 0
    assert "dataset: granted (dataset-1" in run_cli("consent", "show").stdout
    assert run_cli("consent", "withdraw", "dataset").returncode == 0
    assert "dataset: withdrawn" in run_cli("consent", "show").stdout
    history = run_cli("consent", "show", "dataset", "--history").stdout.splitlines()
    assert [line.split("  ")[-1] for line in history[1:]] == [
        "dataset: granted (dataset-1)",
        "dataset: withdrawn (dataset-1)",
    ]


def test_settings_supply_the_target_and_refuse_secrets(
    seaweed: SeaweedServer, s3_target, isolated_user_dirs
) -> None:
    config = isolated_user_dirs["config"]
    config.mkdir(parents=True, exist_ok=True)
    (config / "settings.toml").write_text(
        f'[upload]\nbucket = "{s3_target.bucket}"\n'
        f'endpoint_url = "{s3_target.endpoint_url}"\nprefix = "p1"\n'
    )
    make_bundle(isolated_user_dirs["clips"], video_bytes=1000)
    grant()
    assert run_cli("upload", "--all").returncode == 0
    assert all(k.startswith("p1/") for k in objects(seaweed.client(), s3_target.bucket))
    (config / "settings.toml").write_text(
        '[upload]\nbucket = "x-bucket"\naws_secret_access_key = "abc"\n'
    )
    refused = run_cli("upload", "--all")
    assert refused.returncode == 2 and "do not belong in the settings file" in refused.stderr
    assert "abc" not in refused.stderr


def test_clips_show_and_open(isolated_user_dirs, tmp_path: Path) -> None:
    folder = make_bundle(isolated_user_dirs["clips"], video_bytes=1000)
    clip_id = read_manifest(folder).clip_id
    shown = run_cli("clips", "show", clip_id[:8])
    assert shown.returncode == 0 and clip_id in shown.stdout and "local" in shown.stdout
    opener = tmp_path / "opener.py"
    marker = tmp_path / "opened"
    opener.write_text(
        f"#!{sys.executable}\nimport sys, pathlib\n"
        f"pathlib.Path({str(marker)!r}).write_text(sys.argv[1])\n"
    )
    opener.chmod(0o755)
    opened = run_cli(
        "clips", "open", clip_id[:8], env={**os.environ, "HINDSIGHT_OPENER": str(opener)}
    )
    assert opened.returncode == 0, opened.stderr
    deadline = time.monotonic() + 10
    while not marker.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert marker.read_text() == str(folder.resolve())
    unknown = run_cli("clips", "show", "zzzz")
    assert unknown.returncode == 2 and "no clip" in unknown.stderr


def test_login_stores_the_key_in_the_keyring_and_uploads_use_it(
    seaweed: SeaweedServer, isolated_user_dirs, tmp_path: Path
) -> None:
    """`upload --login` on a terminal (a pty), then an upload with no AWS variables at all."""
    import pty

    bucket = "hs-keyring"
    seaweed.create_bucket(bucket)
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(
        PYTHON_KEYRING_BACKEND="keyrings.alt.file.PlaintextKeyring",
        XDG_DATA_HOME=str(tmp_path / "xdg"),
        AWS_CONFIG_FILE=str(tmp_path / "none"),
        AWS_SHARED_CREDENTIALS_FILE=str(tmp_path / "none"),
        AWS_EC2_METADATA_DISABLED="true",
    )
    args = ["upload", "--login", "--endpoint-url", seaweed.endpoint_url, "--bucket", bucket]
    pid, fd = pty.fork()
    if pid == 0:  # the child: the real CLI on a terminal
        os.execve(sys.executable, [sys.executable, "-m", "hindsight", *args], env)
    transcript = b""
    for answer in (seaweed.access_key, seaweed.secret_key):
        while b"access key" not in transcript.split(b"\n")[-1]:
            transcript += os.read(fd, 1024)
        os.write(fd, answer.encode() + b"\n")
        transcript += os.read(fd, 1024)
    while True:
        try:
            chunk = os.read(fd, 1024)
        except OSError:
            break
        if not chunk:
            break
        transcript += chunk
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0, transcript
    assert b"stored in the OS keyring" in transcript
    assert seaweed.secret_key.encode() not in transcript  # getpass does not echo it

    make_bundle(isolated_user_dirs["clips"], video_bytes=1000)
    subprocess.run(
        [*HINDSIGHT, "consent", "grant", "clips", "--yes"], env=env, check=True, capture_output=True
    )
    result = subprocess.run(
        [*HINDSIGHT, "upload", "--all", "--endpoint-url", seaweed.endpoint_url, "--bucket", bucket],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert len(objects(seaweed.client(), bucket)) == len(UPLOADED)
    settings_and_logs = [
        p
        for root in (isolated_user_dirs["config"], isolated_user_dirs["data"])
        if root.exists()
        for p in root.rglob("*")
        if p.is_file()
    ]
    for path in settings_and_logs:  # only the keyring holds it
        assert seaweed.secret_key.encode() not in path.read_bytes(), path
