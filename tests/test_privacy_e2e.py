"""Privacy of the default recorder, end to end: nothing the player typed, pressed or pointed at, and
nothing naming them, is found anywhere.

The real ``hindsight record`` runs as a user runs it: the F8 listener on, the whole
Xvfb screen captured, the test game matched by its action map in the user's config
folder, the clip library uploading each clip at once to a real S3 server (SeaweedFS,
``clips`` and ``dataset`` consent given), and the overlay server on. It runs twice: at
``-vv`` with the display on the command line, and with every setting from
``settings.toml`` at the default verbosity. HOME and the XDG folders point into the
test's own folder, so state and cache files are scanned too.

The player types a secret in chat letter by letter, presses keys the map does not
bind, moves the pointer to distinctive absolute positions, switches to another window
and types there, then saves with F8 and with ``hindsight clip``; the overlay's event
stream is read throughout. Then everything is scanned (``tests/privacy_scan.py``):
every file under the test's folder (clips, library database with its WAL and SHM,
config, data, state, cache), the recorder's stdout and stderr, ``status --json``,
the ``clip`` reply, the event stream, and every uploaded object's key, headers and
body; in what was uploaded, also for the host name, user name and home paths.
"""

from __future__ import annotations

import getpass
import http.client
import json
import os
import shutil
import socket
import subprocess
import threading
import time
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from hindsight.bundle import MANIFEST_FILE, open_bundle
from hindsight.recorder.clip_reply import ClipReply
from hindsight.recorder.status import RecorderStatus
from tests.privacy_scan import (
    Finding,
    Needles,
    key_spelling,
    scan_objects,
    scan_text,
    scan_tree,
)
from tests.recorder.actions.game_env import GAME_TITLE, MAPS_DIR, Keyboard, game_env, start_game
from tests.recorder.cli_proc import RecorderProcess, run_cli
from tests.uploader.s3proxy import S3Proxy, Seen
from tests.uploader.s3server import SeaweedServer

pytestmark = [pytest.mark.x11, pytest.mark.slow]

GAME_ID = "test.hs-testgame"
CHAT_SECRET = "marmalade lighthouse quixotic zeppelin"
OTHER_SECRET = "juniper volcano"  # typed into another program's window
OTHER_TITLE = "Private Notes 5309"
# Keys the test map binds (gameplay and its chat switch); every other typed key is unmapped.
BOUND = {"w", "a", "s", "d", "t", "space", "Return", "Escape"}
EXTRA_UNMAPPED = ("F5", "k", "semicolon", "Home", "bracketleft", "q", "z")
# Absolute pointer positions: off the game, over the game, over the other window.
POSITIONS = ((1013, 587), (1187, 431), (263, 309), (913, 523))
# The README's [record] example: what a desktop user's settings.toml holds.
DESKTOP_RECORD = (
    'fps = 60\nbuffer_seconds = 30\nmax_buffer_mb = 1024\nbitrate = "12M"\nencoder = "auto"\n'
    'clip_seconds = 30\nhotkey = "F8"\n'
)
REAL_HOME = str(Path.home())  # before a test points HOME at its own folder


def unmapped_keysyms() -> list[str]:
    typed = {c for c in CHAT_SECRET + OTHER_SECRET if c != " "} | set(EXTRA_UNMAPPED)
    return sorted(typed - BOUND)


class EventStream:
    """The overlay server's ``/events``, read on a thread; keeps everything it sent."""

    def __init__(self, url: str) -> None:
        parts = urlsplit(url)
        token = parse_qs(parts.query)["token"][0]
        conn = http.client.HTTPConnection("127.0.0.1", parts.port, timeout=60)
        conn.connect()
        self.sock = conn.sock  # the response keeps reading it after the connection lets go
        conn.request("GET", f"/events?token={token}")
        self.reply = conn.getresponse()
        assert self.reply.status == 200
        self.raw = bytearray()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        try:
            while chunk := self.reply.read1(65536):
                self.raw += chunk
        except (OSError, ValueError):
            pass

    def close(self) -> str:
        self.sock.shutdown(socket.SHUT_RDWR)
        self.reader.join(10)
        self.reply.close()
        return self.raw.decode(errors="replace")


def isolate_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """HOME and the XDG folders inside the test's folder: whatever a library writes is scanned."""
    home = tmp_path / "home"
    for var, sub in (
        ("XDG_CONFIG_HOME", ".config"),
        ("XDG_DATA_HOME", ".local/share"),
        ("XDG_STATE_HOME", ".local/state"),
        ("XDG_CACHE_HOME", ".cache"),
    ):
        (home / sub).mkdir(parents=True)
        monkeypatch.setenv(var, str(home / sub))
    monkeypatch.setenv("HOME", str(home))
    return home


def upload_at_once(
    s3: SeaweedServer,
    config: Path,
    bucket: str,
    record: str,
    monkeypatch: pytest.MonkeyPatch,
    endpoint_url: str,
) -> None:
    """An instant upload policy to ``bucket`` through ``endpoint_url``, both consents given, the
    game's map installed."""
    for name in list(os.environ):
        if name.startswith("AWS_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config.parent / "aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(config.parent / "aws-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", s3.access_key)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", s3.secret_key)
    monkeypatch.delenv("HINDSIGHT_TRANSPORT", raising=False)
    s3.create_bucket(bucket)
    (config / "action_maps").mkdir(parents=True)
    shutil.copy(MAPS_DIR / f"{GAME_ID}.toml", config / "action_maps")
    (config / "settings.toml").write_text(
        f'{record}\n[upload]\nbucket = "{bucket}"\nendpoint_url = "{endpoint_url}"\n'
        'policy = "instant"\n'
    )
    for purpose in ("clips", "dataset"):
        result = run_cli("consent", "grant", purpose, "--yes")
        assert result.returncode == 0, result.stderr


def uploaded(s3: SeaweedServer, bucket: str, clips: int) -> dict[str, tuple[bytes, dict]]:
    """Every object in ``bucket`` once ``clips`` manifests are there: key -> (body, headers)."""
    client = s3.client()
    deadline = time.monotonic() + 60
    while True:
        keys = [o["Key"] for o in client.list_objects_v2(Bucket=bucket).get("Contents", [])]
        if sum(k.endswith(f"/{MANIFEST_FILE}") for k in keys) >= clips:
            break
        assert time.monotonic() < deadline, f"{clips} clips were not uploaded in 60 s: {keys}"
        time.sleep(0.3)
    objects = {}
    for key in keys:
        got = client.get_object(Bucket=bucket, Key=key)
        headers = {**got["ResponseMetadata"]["HTTPHeaders"], **got["Metadata"]}
        objects[key] = (got["Body"].read(), headers)
    return objects


def play(env, other_window: int, stream_url: str, rec: RecorderProcess) -> dict:
    """The player's session; returns what the control channel and the overlay stream said."""
    kb = Keyboard(env.name)
    stream = EventStream(stream_url)
    xdo = {"env": env.env, "check": True, "timeout": 30}
    try:
        for _ in range(2):
            kb.tap("space")
            time.sleep(0.1)
        kb.tap("t")  # chat: a marker context
        time.sleep(0.2)
        subprocess.run(["xdotool", "type", "--delay", "30", CHAT_SECRET], **xdo)
        kb.tap("Return")
        time.sleep(0.2)
        for keysym in EXTRA_UNMAPPED:
            kb.tap(keysym)
            time.sleep(0.05)
        for x, y in POSITIONS[:3]:
            subprocess.run(["xdotool", "mousemove", str(x), str(y)], **xdo)
            time.sleep(0.1)
        kb.click(1)
        env.focus(other_window)  # another program: nothing it gets may count
        time.sleep(0.3)
        subprocess.run(["xdotool", "type", "--delay", "30", OTHER_SECRET], **xdo)
        subprocess.run(["xdotool", "mousemove", *map(str, POSITIONS[3])], **xdo)
        kb.tap("k")
        env.focus()
        time.sleep(0.3)
        kb.tap("space")
        kb.tap("F8")  # the hotkey, as a player saves
        rec.wait_line("saved ")
        clip = run_cli("clip", "--json")
        assert clip.returncode == 0, clip.stderr
        status = run_cli("status", "--json")
        assert status.returncode == 0, status.stderr
        time.sleep(0.3)
    finally:
        events = stream.close()
        kb.close()
    return {"clip --json": clip.stdout, "status --json": status.stdout, "/events": events}


def record_and_scan(
    tmp_path: Path,
    s3: SeaweedServer,
    dirs: dict[str, Path],
    monkeypatch: pytest.MonkeyPatch,
    *,
    verbose: int,
    settings: bool,
) -> None:
    home = isolate_home(tmp_path, monkeypatch)
    bucket = f"hs-privacy-{os.getpid()}-{verbose}"
    with game_env(None) as env:
        record = f'[record]\ndisplay = "{env.name}"\n' + DESKTOP_RECORD if settings else ""
        # Every request the uploader sends passes a logging proxy: its headers are scanned too.
        proxy = S3Proxy.in_front_of(s3.endpoint_url).start()
        upload_at_once(s3, dirs["config"], bucket, record, monkeypatch, proxy.endpoint_url)
        spellings = needles(env.name, home, tmp_path, s3)
        other, other_window = start_game(
            env.name, name="hs-notes", size="400x300", position="800,400", title=OTHER_TITLE
        )
        # Any free overlay port, as tests run side by side; everything else is the default.
        args = (
            ("--overlay-port", "0") if settings else ("--display", env.name, "--overlay-port", "0")
        )
        rec = RecorderProcess(*args, env=env.env, verbose=verbose)
        try:
            rec.wait_line("recording ")
            url = rec.wait_line("overlay: ").split()[-1]
            wait_for_game()
            said = play(env, other_window, url, rec)
            objects = uploaded(s3, bucket, clips=2)
            # While the recorder runs, the library's WAL and SHM files exist: scan them now.
            live_files, found = scan_tree(dirs["data"], spellings)
        finally:
            rec.stop()
            other.kill()
            other.wait(10)
            proxy.close()
    output = "".join(rec.stdout) + "".join(rec.stderr)
    status = RecorderStatus.from_json(json.loads(said["status --json"]))
    assert status.actions is not None and status.actions.game_id == GAME_ID
    counts = status.actions.inputs
    # What the player did was seen, and only counted.
    assert counts.redacted_dropped >= len(CHAT_SECRET.replace(" ", ""))
    assert counts.unmapped_dropped >= len(EXTRA_UNMAPPED)
    assert counts.unfocused_dropped >= len(OTHER_SECRET.replace(" ", ""))
    assert '"jump"' in said["/events"] and "chat" in said["/events"]
    clip = open_bundle(Path(ClipReply.from_json(json.loads(said["clip --json"])).path))
    assert clip.verify() == [] and clip.manifest.game is not None
    assert any(p.name.endswith("-wal") for p in live_files), live_files
    assert status.outputs["overlay"].details["url"] == url
    # The libraries' request logs at -vv would name the access key id.
    assert s3.access_key not in output and s3.secret_key not in output

    files, found_after = scan_tree(tmp_path, spellings)
    assert {".parquet", ".mp4", ".db"} <= {p.suffix for p in files}
    found += found_after
    found += scan_text("recorder stdout+stderr", output, spellings)
    for name, text in said.items():
        found += scan_text(name, text, spellings)
    scratch = tmp_path.parent / f"{tmp_path.name}-objects"
    scratch.mkdir()
    found += scan_objects(objects, spellings, scratch)
    found += scan_requests(proxy.requests(), spellings)
    assert found == [], "\n".join([*map(str, found[:30]), f"({len(found)} findings)"])


def scan_requests(requests: list[Seen], spellings: Needles) -> list[Finding]:
    """Every request line and header sent to the S3 server.

    The Authorization header carries the access key id to the server it belongs to, so
    it is scanned for the identity needles alone.
    """
    assert any(r.method == "PUT" for r in requests), "the uploads did not pass the proxy"
    identity = Needles(identity=spellings.identity)
    found: list[Finding] = []
    for r in requests:
        where = f"S3 request {r.method} {r.path}"
        headers = {k: v for k, v in r.headers.items() if k != "authorization"}
        text = "\n".join(
            [f"{r.method} {r.path} {r.query}", *(f"{k}: {v}" for k, v in headers.items())]
        )
        found += scan_text(where, text, spellings)
        found += scan_text(where, r.headers.get("authorization", ""), identity)
    return found


def wait_for_game(timeout_s: float = 15) -> None:
    deadline = time.monotonic() + timeout_s
    while json.loads(run_cli("status", "--json").stdout)["actions"]["game_id"] != GAME_ID:
        assert time.monotonic() < deadline, "the test game was not recognised"
        time.sleep(0.2)


def needles(display_name: str, home: Path, tmp_path: Path, s3: SeaweedServer) -> Needles:
    """Everything that must not be found, with the key spellings asked of the X server."""
    return Needles(
        words=(
            *CHAT_SECRET.split(),
            *OTHER_SECRET.split(),
            GAME_TITLE,
            OTHER_TITLE,
            s3.access_key,
            s3.secret_key,
        ),
        keys=tuple(key_spelling(k, display_name) for k in unmapped_keysyms()),
        positions=POSITIONS,
        identity=(socket.gethostname(), getpass.getuser(), REAL_HOME, str(home), str(tmp_path)),
    )


def test_default_recorder_at_debug_verbosity_leaks_nothing(
    tmp_path: Path, seaweed: SeaweedServer, isolated_user_dirs, monkeypatch
) -> None:
    record_and_scan(tmp_path, seaweed, isolated_user_dirs, monkeypatch, verbose=2, settings=False)


def test_desktop_defaults_from_settings_leak_nothing(
    tmp_path: Path, seaweed: SeaweedServer, isolated_user_dirs, monkeypatch
) -> None:
    record_and_scan(tmp_path, seaweed, isolated_user_dirs, monkeypatch, verbose=0, settings=True)
