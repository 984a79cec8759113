"""Sound and picture stay together: a flash + beep stimulus recorded by the real
``hindsight record`` (PulseAudio backend, a real PulseAudio server, Xvfb) and, in the
same run, by FFmpeg as the reference.

The stimulus flashes the screen and starts a beep at the same clock moments (gaps of
0.6-1.4 s). The recorder keeps its buffer; once the stimulus is done, ``hindsight
clip`` saves it through the control channel, and every flash is paired with its beep
in the saved ``video.mp4``. Midway, a short clip is saved at a random moment: the
first beep after its start must be whole and on time.

Bounds (audio minus video): ``|median| <= 15 ms`` and ``spread (p90 - p10) <= 10 ms``.
Measured here (640x360 at 30 fps, 2 busy cores) the median is within a few ms and the
spread 3-4 ms; the bounds leave room for a loaded machine, not for a lost frame or a
stale latency. When the load disturbs the stimulus itself, FFmpeg recording the same
screen and sink shows it as well: the spread may then be FFmpeg's times 1.25, no more.
A reference run that did not pair the stimulus (FFmpeg's own inputs drifting apart on a
loaded machine) widens nothing: the bound is then 10 ms.
The figures are attached to the test report (``record_property``) and printed,
FFmpeg's beside ours.
"""

from __future__ import annotations

import json
import os
import random
import threading
import time
from pathlib import Path

import pytest

from hindsight.bundle import open_bundle
from hindsight.demo.display import VirtualDisplay
from tests.audio_server import PulseServer
from tests.av.measure import (
    BEEP,
    SyncSummary,
    beep_lengths,
    flash_onsets,
    measure_clip,
    pair,
    summarize,
)
from tests.av.rig import FfmpegReference, Stimulus, clock_check, pulse_env
from tests.recorder.cli_proc import RecorderProcess, run_cli

pytestmark = [pytest.mark.x11, pytest.mark.slow]

SIZE = (320, 180)
FPS = 30
STIMULUS_S = 26  # ~25 flash + beep pairs
MEDIAN_MS = 15.0
SPREAD_MS = 10.0
PEER_SPREAD_RATIO = 1.25


@pytest.fixture
def rig(audio_server: PulseServer, isolated_user_dirs):
    """The session's PulseAudio server and a small display of our own (full-screen flashes)."""
    display = VirtualDisplay(*SIZE).start()
    try:
        yield pulse_env(dict(os.environ), audio_server.env, display.name), display.name
    finally:
        display.stop()


def _clip(env: dict[str, str], seconds: int) -> Path:
    result = run_cli("clip", "--seconds", str(seconds), env=env)
    assert result.returncode == 0, result.stderr
    return Path(result.stdout.strip())


def _peer(path: Path) -> tuple[SyncSummary | None, str]:
    """FFmpeg's summary when its file pairs at least 20 flashes with their beeps, or why
    not. The reference only widens a bound: its own bad run (FFmpeg's pulse input falling
    a quarter second behind on a loaded machine, say) must not fail or pass our test."""
    try:
        theirs, _ = measure_clip(path)
    except ValueError as exc:  # nothing paired
        return None, f"no reference: {exc}"
    if theirs.pairs < 20:
        return None, f"no reference: {theirs.pairs} pairs"
    return theirs, ""


def test_flash_and_beep_stay_together(rig, tmp_path: Path, record_property) -> None:
    env, display = rig
    rec = RecorderProcess(
        "--display",
        display,
        "--fps",
        str(FPS),
        "--buffer-seconds",
        "40",
        "--bitrate",
        "2M",
        env=env,
    )
    reference: FfmpegReference | None = None
    stimulus: Stimulus | None = None
    try:
        rec.wait_line("recording ")
        reference = FfmpegReference(display, SIZE, FPS, tmp_path / "ffmpeg.mp4", env)
        time.sleep(1.0)  # both have started their sources
        stimulus = Stimulus(display, STIMULUS_S, tmp_path / "events.json", env, seed=11)
        # A short clip at a random moment of the run.
        short: list[Path] = []
        at = random.uniform(8, STIMULUS_S - 6)
        timer = threading.Timer(at, lambda: short.append(_clip(env, 3)))
        timer.start()
        log = stimulus.wait(STIMULUS_S + 30)
        timer.join(60)
        clip = _clip(env, 32)
        ffmpeg_mp4 = reference.stop()
        status = json.loads(run_cli("status", "--json", env=env).stdout)
    finally:
        if stimulus is not None:
            stimulus.kill()
        if reference is not None:
            reference.kill()
        rec.kill()

    manifest = open_bundle(clip).manifest
    assert manifest.audio is not None and manifest.audio.sources[0].backend == "pulse"
    video = clip / manifest.video.file
    ours, ours_frames = measure_clip(video)
    theirs, theirs_failed = _peer(ffmpeg_mp4)
    on_clock = clock_check(video, manifest.clock.first_frame_t_ns, log)
    figures = {
        "hindsight": ours.as_dict(with_offsets=True),
        "hindsight_frame_grid": ours_frames.as_dict(),
        "ffmpeg": theirs.as_dict(with_offsets=True) if theirs else theirs_failed,
        "hindsight_on_clock": on_clock.__dict__,
        "stimulus_stream_latency_ms": log["stream_latency_ms"],
        "stimulus_estimate_moved_ms": [
            round((e["beep_played_end_estimate_ns"] - e["beep_played_ns"]) / 1e6, 2)
            for e in log["events"]
            if e["beep_played_ns"]
        ],
        "audio_status": status.get("audio"),
    }
    record_property("av_sync", figures)
    print(json.dumps(figures, indent=1))

    events = len(log["events"])
    assert events >= 20
    assert ours.pairs >= 20, figures
    assert abs(ours.median_ms) <= MEDIAN_MS, figures
    # On a loaded machine the stimulus itself can be late (a beep played after its flash):
    # FFmpeg then hears it too. The bound is then FFmpeg's own spread, with a quarter more,
    # but only from a reference that saw the stimulus whole; without one it stays 10 ms.
    peer_bound_ms = theirs.spread_ms * PEER_SPREAD_RATIO if theirs else 0.0
    assert ours.spread_ms <= max(SPREAD_MS, peer_bound_ms), figures

    # The short clip: the first beep after the picture starts is whole and on time.
    assert short, "the short clip was not saved"
    short_manifest = open_bundle(short[0]).manifest
    short_video = short[0] / short_manifest.video.file
    beeps = [(t, length) for t, length in beep_lengths(short_video) if t >= 0]
    assert beeps, "no beep in the short clip"
    first_t, first_length = beeps[0]
    assert abs(first_length - BEEP.length_ms) <= 3.0, beeps
    flashes = flash_onsets(short_video)[0]
    paired = pair(flashes, [first_t])
    if paired:  # its flash is in the clip too (a flash on frame 0 has no onset to see)
        assert abs(summarize(paired).median_ms) <= MEDIAN_MS, paired
    # On time: on the clock (the manifest's first frame time plus its place in the file),
    # the beep is where the stimulus's stream played it.
    first_ns = short_manifest.clock.first_frame_t_ns + round(first_t * 1e9)
    played = [e["beep_played_ns"] for e in log["events"] if e["beep_played_ns"]]
    error_ms = min(((first_ns - p) / 1e6 for p in played), key=abs)
    short_figures = {"at_s": round(at, 2), "length_ms": first_length, "error_ms": error_ms}
    record_property("short_clip_first_beep", short_figures)
    print(json.dumps({"short_clip_first_beep": short_figures}))
    assert abs(error_ms) <= MEDIAN_MS, (error_ms, on_clock)
