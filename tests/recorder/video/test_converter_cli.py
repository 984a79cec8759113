"""The frame converter in the running recorder: each one, through ``hindsight record``, saves
frames that decode whole and in order; the status says which one runs; a bad override is
one line."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import av
import pytest

from hindsight.bundle import open_bundle
from hindsight.recorder.frame_queue import QUEUE_FRAMES
from hindsight.recorder.video import read_counter
from tests.recorder.cli_proc import RecorderProcess, record_start_error, run_cli
from tests.x11 import xvfb  # noqa: F401

pytestmark = pytest.mark.x11


def _record(display: str, converter: str) -> RecorderProcess:
    env = dict(os.environ, HINDSIGHT_CONVERTER=converter, HINDSIGHT_AUDIO_BACKEND="none")
    return RecorderProcess(
        "--display", display, "--capture-source", "fake", "--region", "0,0,640,360",
        "--fps", "60", "--buffer-seconds", "8", "--bitrate", "4M", "--no-hotkey",
        "--no-input", "--no-overlay-server", "--no-library",
        env=env,
    )  # fmt: skip


@pytest.mark.parametrize("converter", ["libyuv", "swscale"])
def test_every_saved_frame_is_the_one_captured_for_its_slot(
    converter: str,
    xvfb,  # noqa: F811
    isolated_user_dirs,
) -> None:
    rec = _record(xvfb.name, converter)
    try:
        rec.wait_line("recording ")
        time.sleep(4)
        status = json.loads(run_cli("status", "--json").stdout)["capture"]
        human = run_cli("status").stdout
        saved = run_cli("clip", "--seconds", "3")
        assert saved.returncode == 0, saved.stderr
    finally:
        rec.kill()
    assert status["converter"] == converter
    assert f"(converted by {converter})" in human
    if converter == "libyuv":
        # The pool holds what is alive at once: the queue, the encoder's frame, the one being
        # converted. Nothing is made per frame.
        assert 1 <= status["converter_buffers"] <= QUEUE_FRAMES + 2
    else:
        assert status["converter_buffers"] == 0
    bundle = Path(saved.stdout.strip())
    manifest = open_bundle(bundle).manifest
    with av.open(str(bundle / manifest.video.file)) as container:
        counters = [read_counter(frame) for frame in container.decode(video=0)]
    assert len(counters) == manifest.video.frames >= 170
    # The fake source numbers its frames; a buffer written over before the encoder took it
    # would show as a number out of order. Repeats (an encoder behind) repeat the last one.
    steps = {b - a for a, b in zip(counters, counters[1:], strict=False)}
    assert steps <= {0, 1}, sorted(steps)
    assert counters[-1] - counters[0] >= len(counters) // 2


def test_a_bad_converter_override_is_one_line(xvfb, isolated_user_dirs) -> None:  # noqa: F811
    env = dict(os.environ, HINDSIGHT_CONVERTER="fast", HINDSIGHT_AUDIO_BACKEND="none")
    assert record_start_error(xvfb.name, env) == (
        "hindsight: error: HINDSIGHT_CONVERTER='fast': must be one of auto, libyuv, swscale"
    )
