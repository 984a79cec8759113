"""The one-folder app (installer/hindsight.spec) runs where no Python and no checkout are.

One build per test session (``scripts/build-app``, a few minutes), reused by every test
here. Set ``HINDSIGHT_APP_DIST`` to a folder to keep the build between sessions:
build-app rebuilds only when the package, installer/ or the installed packages changed.
Each test runs the app from an empty folder with a fresh HOME and XDG folders, no
PYTHONPATH and a PATH of system folders only, so nothing of the checkout or of this
Python can be what the app finds.
"""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from importlib import resources
from pathlib import Path

import av
import pytest

from hindsight import __version__
from hindsight.bundle import open_bundle
from hindsight.demo.display import VirtualDisplay
from tests.x11 import moving_scene, xvfb  # noqa: F401

ROOT = Path(__file__).resolve().parents[2]
BUILD_TIMEOUT_S = 40 * 60  # two busy cores: a build takes 4-8 minutes, a cold one longer

# The first test here waits for the session's build, inside the per-test time limit.
pytestmark = [pytest.mark.slow, pytest.mark.x11, pytest.mark.timeout(BUILD_TIMEOUT_S + 300)]


@pytest.fixture(scope="session")
def frozen_app(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``<dist>/hindsight/hindsight``, built (or found up to date) once per session."""
    kept = os.environ.get("HINDSIGHT_APP_DIST")
    dist = Path(kept) if kept else tmp_path_factory.mktemp("app-dist")
    work = dist / ".work" if kept else tmp_path_factory.mktemp("app-work")
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "build-app"), "--dist", str(dist),
         "--work", str(work)],
        capture_output=True, text=True, timeout=BUILD_TIMEOUT_S, cwd=ROOT,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    facts = json.loads((dist / "hindsight.build.json").read_text())
    # The figures the README quotes; `pytest -rP` or `-s` shows them.
    print(result.stdout.strip().splitlines()[-1])
    print(json.dumps(facts, indent=2))
    return Path(facts["program"])


@pytest.fixture
def clean_env(tmp_path: Path) -> dict[str, str]:
    """A first-login user: fresh HOME and XDG folders, system PATH, no Python variables.

    Only the test's PulseAudio server is passed on, so the app records real sound.
    """
    home = tmp_path / "home"
    runtime = tmp_path / "run"
    for folder in (home, runtime):
        folder.mkdir()
    runtime.chmod(0o700)
    env = {
        "HOME": str(home),
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "LANG": "C.UTF-8",
        "XDG_CONFIG_HOME": str(home / ".config"),
        "XDG_DATA_HOME": str(home / ".local" / "share"),
        "XDG_CACHE_HOME": str(home / ".cache"),
        "XDG_STATE_HOME": str(home / ".local" / "state"),
        "XDG_RUNTIME_DIR": str(runtime),
    }
    env.update({k: v for k, v in os.environ.items() if k.startswith("PULSE_")})
    return env


def run_app(
    app: Path, *args: str, env: dict[str, str], cwd: Path, timeout_s: float = 120
) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(app), *args], env=env, cwd=cwd, capture_output=True, text=True, timeout=timeout_s
    )


@pytest.fixture
def cwd(tmp_path: Path) -> Path:
    """An empty working folder: no checkout where a relative import could find one."""
    folder = tmp_path / "cwd"
    folder.mkdir()
    return folder


def test_version(frozen_app: Path, clean_env: dict[str, str], cwd: Path) -> None:
    result = run_app(frozen_app, "--version", env=clean_env, cwd=cwd)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"hindsight {__version__}"


def test_dash_m_runs_the_bundled_modules(
    frozen_app: Path, clean_env: dict[str, str], cwd: Path
) -> None:
    # `sys.executable -m hindsight...` is how Hindsight starts its helpers (the demo game);
    # frozen, sys.executable is the app, which runs its bundled module for it.
    result = run_app(frozen_app, "-m", "hindsight", "--version", env=clean_env, cwd=cwd)
    assert result.returncode == 0 and result.stdout.strip() == f"hindsight {__version__}"
    refused = run_app(frozen_app, "-m", "json.tool", env=clean_env, cwd=cwd)
    assert refused.returncode == 2 and "Hindsight's own modules only" in refused.stderr


def test_shipped_action_maps_and_consent_texts_load(
    frozen_app: Path, clean_env: dict[str, str], cwd: Path
) -> None:
    shipped = resources.files("hindsight.action_maps")
    ids = sorted(
        p.name.removesuffix(".toml") for p in shipped.iterdir() if p.name.endswith(".toml")
    )
    listed = run_app(frozen_app, "maps", "list", env=clean_env, cwd=cwd)
    assert listed.returncode == 0, listed.stderr
    for game_id in ids:
        assert game_id in listed.stdout
    shown = run_app(frozen_app, "maps", "show", "valve.counter-strike-2", env=clean_env, cwd=cwd)
    assert shown.returncode == 0, shown.stderr
    assert 'id = "valve.counter-strike-2"' in shown.stdout

    consent = run_app(frozen_app, "consent", "show", "clips", env=clean_env, cwd=cwd)
    assert consent.returncode == 0, consent.stderr
    text = resources.files("hindsight.uploader").joinpath("consent", "clips.md").read_text()
    assert max(text.splitlines(), key=len) in consent.stdout  # the shipped text's longest line


def test_demo_saves_a_clip_that_plays_and_takes_an_overlay(
    frozen_app: Path, clean_env: dict[str, str], cwd: Path, tmp_path: Path
) -> None:
    clips = tmp_path / "clips"
    result = run_app(
        frozen_app, "demo", "--seconds", "3", "--clips-dir", str(clips),
        env=clean_env, cwd=cwd, timeout_s=180,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert "started a virtual display" in result.stdout
    (folder,) = (p for p in clips.iterdir() if not p.name.startswith("."))
    bundle = open_bundle(folder)
    assert bundle.verify() == []
    manifest = bundle.manifest
    # the demo game ran (started by the app as `hindsight -m hindsight.demo.game`) and
    # its shipped action map matched it
    assert manifest.game is not None and manifest.game.id == "hindsight.demo-game"
    assert bundle.actions_path is not None
    with av.open(str(bundle.video_path)) as container:
        assert len(container.streams.audio) >= 1  # libpulse, loaded through ctypes
        frames = sum(1 for _ in container.decode(video=0))
    assert frames == manifest.video.frames and 80 <= frames <= 130  # 3 s at 30 fps
    # the clip library was created and migrated inside the app
    assert (Path(clean_env["XDG_DATA_HOME"]) / "hindsight" / "library.db").is_file()

    # Qt inside the app: the overlay burned into a copy of the clip, frame for frame
    burned = run_app(
        frozen_app, "overlay", "render", str(folder), "--template", "keyboard_mouse",
        env=clean_env, cwd=cwd, timeout_s=180,
    )  # fmt: skip
    assert burned.returncode == 0, burned.stderr
    with av.open(burned.stdout.strip().splitlines()[-1]) as container:
        assert sum(1 for _ in container.decode(video=0)) == frames


class _Lines:
    """A process's stdout lines as they come."""

    def __init__(self, proc: subprocess.Popen) -> None:
        self.queue: queue.Queue[str] = queue.Queue()
        assert proc.stdout is not None
        stream = proc.stdout
        self.pump = threading.Thread(
            target=lambda: [self.queue.put(x) for x in stream], daemon=True
        )
        self.pump.start()

    def wait(self, prefix: str, timeout_s: float) -> str:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            try:
                line = self.queue.get(timeout=0.2).rstrip("\n")
            except queue.Empty:
                continue
            if line.startswith(prefix):
                return line
        raise AssertionError(f"no line starting {prefix!r} in {timeout_s} s")


def test_record_serves_the_overlay_page_and_clip_saves(
    frozen_app: Path,
    clean_env: dict[str, str],
    cwd: Path,
    tmp_path: Path,
    xvfb: VirtualDisplay,  # noqa: F811
    moving_scene,  # noqa: F811
) -> None:
    env = dict(clean_env, HINDSIGHT_CONTROL=str(tmp_path / "run" / "control.sock"))
    clips = tmp_path / "clips"
    proc = subprocess.Popen(
        [str(frozen_app), "record", "--display", xvfb.name, "--fps", "30", "--buffer-seconds",
         "10", "--bitrate", "2M", "--no-hotkey", "--overlay-port", "0",
         "--clips-dir", str(clips)],
        env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    lines = _Lines(proc)
    try:
        lines.wait("recording ", 60)
        url = lines.wait("overlay: ", 10).split()[-1]
        static = resources.files("hindsight.overlay.web").joinpath("static")
        with urllib.request.urlopen(url, timeout=10) as page:
            html = page.read().decode()
        for part in static.joinpath("overlay.html").read_text().split("__TOKEN__"):
            assert part in html  # the shipped page, with this run's token filled in
        script_url = url.replace("/overlay?", "/overlay.js?", 1)
        with urllib.request.urlopen(script_url, timeout=10) as script:
            assert script.read() == static.joinpath("overlay.js").read_bytes()
        time.sleep(3)
        status = run_app(frozen_app, "status", env=env, cwd=cwd, timeout_s=60)
        # libyuv is loaded by name at run time: the spec bundles it beside the libraries.
        assert "(converted by libyuv)" in status.stdout, status.stdout + status.stderr
        assert list((frozen_app.parent / "_internal").glob("libyuv.so*"))
        saved = run_app(frozen_app, "clip", "--seconds", "2", env=env, cwd=cwd, timeout_s=60)
        assert saved.returncode == 0, saved.stderr
        assert open_bundle(Path(saved.stdout.strip())).verify() == []
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
        try:
            code = proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            raise
        stderr = proc.stderr.read() if proc.stderr else ""
        lines.pump.join(10)
        for stream in (proc.stdout, proc.stderr):
            if stream is not None:
                stream.close()
    assert code == 0, stderr
