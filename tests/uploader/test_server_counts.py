"""Upload promises proven by what the S3 server was sent, counted by a logging proxy in front
of SeaweedFS: a changed video is never completed, a recorder and a terminal upload never
write a clip twice, withdrawn consent publishes nothing, ``game_exit`` waits for the game.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from hindsight.bundle import MANIFEST_FILE, VIDEO_FILE, read_manifest
from hindsight.uploader.config import UploadTarget
from tests.recorder.actions.game_env import MAPS_DIR, game_env
from tests.recorder.cli_proc import RecorderProcess, run_cli
from tests.uploader.bundles import make_bundle
from tests.uploader.s3proxy import S3Proxy, Seen, manifest_written_last, writes_per_key
from tests.uploader.test_cli_upload import (
    grant,
    objects,
    open_multipart,
    start_upload,
    target_args,
    video_key,
)
from tests.x11 import moving_scene, xvfb  # noqa: F401

MiB = 2**20


def write_settings(config_dir: Path, target: UploadTarget, **upload: str | int) -> None:
    """``[upload]`` of settings.toml: the target plus ``upload`` (policy, max_rate, ...)."""
    config_dir.mkdir(parents=True, exist_ok=True)
    lines = [
        f'bucket = "{target.bucket}"',
        f'endpoint_url = "{target.endpoint_url}"',
        f'prefix = "{target.prefix}"',
    ]
    lines += [f"{k} = {json.dumps(v)}" for k, v in upload.items()]
    (config_dir / "settings.toml").write_text("[upload]\n" + "\n".join(lines) + "\n")


def clip_states() -> dict[str, str]:
    return {c["id"]: c["state"] for c in json.loads(run_cli("clips", "list", "--json").stdout)}


def wait_states(ids: set[str], state: str, timeout_s: float = 90) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        states = clip_states()
        if all(states.get(i) == state for i in ids):
            return
        time.sleep(0.3)
    raise AssertionError(f"not all {state} within {timeout_s} s: {states}")


def trace(seen: list[Seen]) -> list[tuple[str, str, int | None]]:
    """The requests in a readable form, for assertion messages."""
    return [(s.operation, s.key, s.status) for s in seen]


def test_a_video_changed_during_its_upload_is_never_completed(
    seaweed, proxied_target: UploadTarget, s3_proxy: S3Proxy, isolated_user_dirs
) -> None:
    target = proxied_target
    # Six parts (the last of 1 MiB), four sent at once: the fifth is read while they go,
    # the sixth only once one of them is done.
    folder = make_bundle(isolated_user_dirs["clips"], video_bytes=41 * MiB)
    grant()
    key = video_key(target, folder)
    proc = start_upload("--all", "--max-rate", "16M", *target_args(target))
    try:
        s3_proxy.wait_for(lambda s: s.operation == "UploadPart" and s.key == key)
        with open(folder / VIDEO_FILE, "r+b") as video:  # one byte of part 6, same size
            video.seek(40 * MiB + 12345)
            byte = video.read(1)[0]
            video.seek(40 * MiB + 12345)
            video.write(bytes([byte ^ 0xFF]))
        out, err = proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert proc.returncode == 1 and "has changed since" in err, (out, err)
    seen = s3_proxy.requests()
    operations = [s.operation for s in seen if s.key == key]
    assert "UploadPart" in operations and "CompleteMultipartUpload" not in operations, trace(seen)
    assert any(s.operation == "AbortMultipartUpload" and s.ok for s in seen if s.key == key)
    assert writes_per_key(seen) == {}  # no file of the clip, its manifest least of all
    client = seaweed.client()
    assert objects(client, target.bucket) == {} and open_multipart(client, target.bucket) == []
    assert clip_states() == {read_manifest(folder).clip_id: "failed"}  # and it is not retried


def recorder(xvfb_name: str, bitrate: str = "4M") -> RecorderProcess:
    rec = RecorderProcess(
        "--display",
        xvfb_name,
        "--fps",
        "30",
        "--buffer-seconds",
        "8",
        "--bitrate",
        bitrate,
        "--no-hotkey",
    )
    try:
        rec.wait_line("recording ", timeout_s=90)
    except BaseException:
        rec.kill()
        raise
    return rec


@pytest.mark.x11
def test_a_recorder_and_a_terminal_upload_at_once_write_each_object_once(
    xvfb,  # noqa: F811
    moving_scene,  # noqa: F811
    seaweed,
    proxied_target: UploadTarget,
    s3_proxy: S3Proxy,
    isolated_user_dirs,
) -> None:
    dirs = isolated_user_dirs
    write_settings(dirs["config"], proxied_target, policy="instant", max_rate="4M")
    grant()
    # Clips from before (a --no-library run, another machine): only `hindsight upload` adds them.
    waiting = [make_bundle(dirs["clips"], video_bytes=s) for s in (9 * MiB, 3 * MiB) * 3]
    rec = recorder(xvfb.name)
    try:
        time.sleep(2)
        terminal = start_upload("--all", "--json")
        # The recorder's own clip wakes its background uploader, which then claims clips of the
        # queue the terminal is working through.
        saved = run_cli("clip", "--seconds", "2", "--json")
        assert saved.returncode == 0, saved.stderr
        own = json.loads(saved.stdout)["clip_id"]
        out, err = terminal.communicate(timeout=120)
        assert terminal.returncode == 0, err
        queue = {read_manifest(f).clip_id for f in waiting}
        ids = queue | {own}
        wait_states(ids, "uploaded")
    finally:
        rec.stop()
    by_terminal = {c["clip_id"] for c in json.loads(out)["clips"] if c["ok"]}
    assert by_terminal and queue - by_terminal, by_terminal  # both took clips of one queue
    seen = s3_proxy.requests()
    stored = objects(seaweed.client(), proxied_target.bucket)
    writes = writes_per_key(seen)
    assert writes.keys() == stored.keys() and set(writes.values()) == {1}, writes
    prefixes = {k.rsplit("/", 1)[0] for k in stored}
    assert len(prefixes) == len(ids)
    for prefix in prefixes:
        assert manifest_written_last(seen, prefix, MANIFEST_FILE), trace(seen)
    assert open_multipart(seaweed.client(), proxied_target.bucket) == []


@pytest.mark.x11
def test_consent_withdrawn_while_the_recorder_uploads_publishes_nothing(
    xvfb,  # noqa: F811
    moving_scene,  # noqa: F811
    seaweed,
    proxied_target: UploadTarget,
    s3_proxy: S3Proxy,
    isolated_user_dirs,
) -> None:
    dirs = isolated_user_dirs
    # 5 MiB parts one at a time under a 512 KiB/s cap: each part takes 10 s to go up.
    write_settings(
        dirs["config"],
        proxied_target,
        policy="instant",
        max_rate="512k",
        part_size_mb=5,
        concurrency=1,
    )
    grant()
    rec = recorder(xvfb.name, bitrate="24M")
    try:
        time.sleep(5)
        saved = run_cli("clip", "--seconds", "6", "--json")
        assert saved.returncode == 0, saved.stderr
        clip = json.loads(saved.stdout)
        folder = Path(clip["path"])
        assert (folder / VIDEO_FILE).stat().st_size > 5 * MiB  # a multipart upload
        key = video_key(proxied_target, folder)
        s3_proxy.wait_for(lambda s: s.operation == "UploadPart" and s.key == key)
        withdrawn = run_cli("consent", "withdraw", "clips")
        assert withdrawn.returncode == 0, withdrawn.stderr
        deadline = time.monotonic() + 60
        while not any(s.operation == "AbortMultipartUpload" and s.ok for s in s3_proxy.requests()):
            assert time.monotonic() < deadline, trace(s3_proxy.requests())
            time.sleep(0.2)
        time.sleep(1)  # anything the uploader would still send comes now
    finally:
        rec.stop()
    seen = s3_proxy.requests()
    ours = [s for s in seen if clip["clip_id"] in s.key]
    operations = {s.operation for s in ours}
    assert "CompleteMultipartUpload" not in operations, trace(ours)
    assert writes_per_key(ours) == {}, trace(ours)  # no manifest, no other file either
    abort = next(s for s in ours if s.operation == "AbortMultipartUpload" and s.ok)
    assert abort.key == key
    assert not any(s.operation == "UploadPart" and s.sent_seq > abort.sent_seq for s in ours)
    client = seaweed.client()
    assert objects(client, proxied_target.bucket) == {}
    assert open_multipart(client, proxied_target.bucket) == []
    listing = json.loads(run_cli("clips", "list", "--json").stdout)
    assert [(c["state"], c["reason"]) for c in listing] == [("local", "consent withdrawn")]


@pytest.mark.x11
def test_game_exit_policy_sends_nothing_until_the_game_process_exits(
    seaweed, proxied_target: UploadTarget, s3_proxy: S3Proxy, isolated_user_dirs
) -> None:
    write_settings(isolated_user_dirs["config"], proxied_target, policy="game_exit")
    grant()
    with game_env(None) as env:
        rec = RecorderProcess(
            *("--display", env.name, "--region", "0,0,640,360", "--no-hotkey"),
            *("--maps-dir", str(MAPS_DIR), "--fps", "30", "--buffer-seconds", "6"),
            env=env.env,
        )
        try:
            rec.wait_line("recording ", timeout_s=90)
            deadline = time.monotonic() + 30
            while json.loads(run_cli("status", "--json").stdout)["actions"]["game_id"] is None:
                assert time.monotonic() < deadline, "the test game was not recognised"
                time.sleep(0.2)
            time.sleep(2)
            saved = run_cli("clip", "--seconds", "1", "--json")
            assert saved.returncode == 0, saved.stderr
            clip_id = json.loads(saved.stdout)["clip_id"]
            # Queueing wakes the background uploader at once: it looks, and holds the clip.
            time.sleep(4)
            assert clip_states() == {clip_id: "queued"}
            assert [s for s in s3_proxy.requests() if clip_id in s.key] == []
            env.game.terminate()
            env.game.wait(10)
            exited = time.monotonic()
            wait_states({clip_id}, "uploaded", timeout_s=30)
        finally:
            rec.stop()
    seen = s3_proxy.requests()
    ours = [s for s in seen if clip_id in s.key]
    assert ours and all(s.sent_s > exited for s in ours), trace(ours)
    writes = writes_per_key(ours)
    assert set(writes.values()) == {1}
    assert writes.keys() == objects(seaweed.client(), proxied_target.bucket).keys()
    assert manifest_written_last(ours, next(iter(writes)).rsplit("/", 1)[0], MANIFEST_FILE)
