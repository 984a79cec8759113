"""Privacy, tested: a secret typed in chat and unmapped keys never reach any artifact.

The real recorder records the test game; the player jumps, opens chat, types a
secret sentence, closes chat, presses keys no binding names and moves/clicks the
mouse. The clip is uploaded at once (instant policy, consent given) to a real S3
server. Then every artifact (the clip folder, logs, config and data folders with
the library database, the recorder's output, every uploaded object) is scanned for
the secret, the key names and the window title, while the mapped actions are there
and the chat span is marked.
"""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path

import pandas as pd
import pytest

from hindsight.bundle import (
    ACTION_MAP_FILE,
    ACTIONS_FILE,
    BUNDLE_FILES,
    MANIFEST_FILE,
    Manifest,
    open_bundle,
)
from hindsight.bundle import schema as col
from tests.recorder.actions.game_env import GAME_TITLE, Keyboard, game_env
from tests.recorder.cli_proc import run_cli
from tests.recorder.raw_inputs import raw_input_traces
from tests.uploader.s3server import SeaweedServer

pytestmark = pytest.mark.x11

SECRET = "correct horse battery staple 471180932657"
# the number is long enough that no hash or count in an artifact holds it by chance
SECRET_WORDS = ["correct", "horse", "battery", "staple", "471180932657"]
# Keys no binding in the test map names, by their physical names and X keysym names.
UNMAPPED = {
    "F5": "key:F5",
    "k": "key:K",
    "semicolon": "key:Semicolon",
    "9": "key:9",
    "Home": "key:Home",
}


def upload_everything_at_once(
    s3: SeaweedServer, dirs: dict[str, Path], bucket: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    s3.create_bucket(bucket)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", s3.access_key)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", s3.secret_key)
    dirs["config"].mkdir(parents=True, exist_ok=True)
    (dirs["config"] / "settings.toml").write_text(
        f'[upload]\nbucket = "{bucket}"\nendpoint_url = "{s3.endpoint_url}"\npolicy = "instant"\n'
        "include_events = true\n"
    )
    assert run_cli("consent", "grant", "clips", "--yes").returncode == 0
    assert run_cli("consent", "grant", "dataset", "--yes").returncode == 0


def uploaded_objects(s3: SeaweedServer, bucket: str, count: int) -> dict[str, bytes]:
    client = s3.client()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        keys = [o["Key"] for o in client.list_objects_v2(Bucket=bucket).get("Contents", [])]
        if any(k.endswith(f"/{MANIFEST_FILE}") for k in keys) and len(keys) >= count:
            return {k: client.get_object(Bucket=bucket, Key=k)["Body"].read() for k in keys}
        time.sleep(0.3)
    raise AssertionError(f"the clip was not uploaded to {bucket} in 60 s")


def artifacts(*roots: Path) -> list[Path]:
    return [p for root in roots if root.exists() for p in root.rglob("*") if p.is_file()]


@pytest.mark.parametrize("wm", ["openbox", None], ids=["openbox", "no-wm"])
def test_secret_and_unmapped_keys_leave_no_trace(
    wm: str | None, isolated_user_dirs, seaweed, monkeypatch
) -> None:
    s3 = seaweed
    dirs = isolated_user_dirs
    bucket = f"hs-privacy-{wm or 'nowm'}"
    upload_everything_at_once(s3, dirs, bucket, monkeypatch)
    with game_env(wm) as env:
        rec = env.record("--fps", "30", "--buffer-seconds", "20", verbose=2)
        try:
            kb = Keyboard(env.name)
            for _ in range(3):
                kb.tap("space")
                time.sleep(0.15)
            kb.tap("t")  # opens chat: a marker context
            time.sleep(0.2)
            subprocess.run(["xdotool", "type", "--delay", "40", SECRET], env=env.env, check=True)
            time.sleep(0.2)
            kb.tap("Return")  # back to gameplay
            time.sleep(0.2)
            for keysym in UNMAPPED:
                kb.tap(keysym)
                time.sleep(0.1)
            kb.tap("space")
            kb.warp(320, 180)  # over the game window
            kb.mouse_move(40, -25)
            kb.click(1)
            time.sleep(0.5)
            status = json.loads(run_cli("status", "--json").stdout)
            result = run_cli("clip", "--seconds", "15")
            assert result.returncode == 0, result.stderr
            bundle = Path(result.stdout.strip())
            kb.close()
            uploaded = uploaded_objects(s3, bucket, count=5)
        finally:
            rec.stop()
    counts = status["actions"]["inputs"]
    assert counts["redacted_dropped"] >= len(SECRET)  # the typed text was dropped, only counted
    assert counts["unmapped_dropped"] >= len(UNMAPPED)

    # The mapped actions are there and the chat span is marked.
    clip = open_bundle(bundle)
    assert clip.verify() == [] and clip.actions_path is not None and clip.events_path is not None
    df = pd.read_parquet(clip.actions_path)
    assert int(df[col.button_columns("jump")[1]].sum()) == 4
    assert int(df[col.button_columns("attack")[1]].sum()) == 1
    look_dx, look_dy = col.delta_columns("look")
    assert df[look_dx].sum() == pytest.approx(40) and df[look_dy].sum() == pytest.approx(25)
    chat = df[df[col.CONTEXT] == "chat"]
    assert len(chat) > 10 and not chat[col.VALID].any()
    assert (
        not chat[[c for c in df.columns if col.is_action_column(c)]].astype(float).to_numpy().any()
    )
    privacy = clip.manifest.privacy
    # The flag is the writer's constant; what the folder holds is what proves it.
    assert privacy.raw_inputs_stored is False
    assert raw_input_traces(bundle, {"move", "look", "jump", "attack", "throttle"}) == []
    assert privacy.contexts_redacted is not None and "chat" in privacy.contexts_redacted
    assert privacy.redacted_frames is not None and privacy.redacted_frames >= len(chat)
    events = pd.read_parquet(clip.events_path)
    assert set(events[col.EVENT_ACTION]) <= {"move", "look", "jump", "attack", "throttle"}
    assert tuple(events.columns) == col.EVENT_COLUMNS

    # Nothing anywhere: the clip folder, config/data/log folders, and what the recorder printed.
    files = artifacts(dirs["clips"], dirs["config"], dirs["data"], dirs["logs"])
    assert any(p.name == ACTIONS_FILE for p in files)
    output = ("".join(rec.stdout) + "".join(rec.stderr)).encode()
    assert any(p.name == "library.db" for p in files)
    assert {k.rsplit("/", 1)[-1] for k in uploaded} == {*BUNDLE_FILES, MANIFEST_FILE}
    assert Manifest.from_json(
        uploaded[next(k for k in uploaded if k.endswith(MANIFEST_FILE))]
    ).privacy.contributor
    blobs = (
        {str(p): p.read_bytes() for p in files}
        | {"recorder output": output}
        | {f"s3://{bucket}/{k}": v for k, v in uploaded.items()}
    )
    actionmap_text = (bundle / ACTION_MAP_FILE).read_bytes()
    for where, blob in blobs.items():
        lowered = blob.lower()
        assert SECRET.encode() not in blob, where
        for word in SECRET_WORDS:
            assert word.encode() not in lowered, f"{word!r} in {where}"
        assert GAME_TITLE.encode().lower() not in lowered, f"window title in {where}"
        for keysym, name in UNMAPPED.items():
            assert name.encode() not in blob, f"{name} in {where}"
            if blob != actionmap_text and not where.endswith((".mp4", ".parquet")):
                # Key and keysym names in text artifacts (binary files hold random short byte runs).
                assert f'"{keysym}"'.encode() not in blob and f"'{keysym}'".encode() not in blob, (
                    where
                )
        assert b"keycode" not in lowered and b"scancode" not in lowered, where
    # The decoded tables hold action names and numbers only.
    for table in (df, events):
        for column in table.columns:
            if table[column].dtype == object or str(table[column].dtype) == "category":
                assert set(map(str, table[column].unique())) <= {
                    "gameplay",
                    "chat",
                    "unfocused",
                    "move",
                    "look",
                    "jump",
                    "attack",
                    "throttle",
                    "press",
                    "release",
                    "value",
                }, column
