"""Audio vs video: the flash + beep stimulus recorded by ``hindsight record`` and by FFmpeg.

    python -m tests.bench.bench_av_sync [--seconds 60] [--size 1280x720] [--fps 60] [--seed 1]

A private PulseAudio server (null sink ``hs_null`` as the default) and an Xvfb display
of ``--size``; on it the stimulus (:mod:`tests.av.stimulus`) flashes the screen and
starts a beep at the same clock moments, every 0.6-1.4 s, for ``--seconds``. Recording
it at the same time:

* ``hindsight record`` with its defaults (sound from the default backend, PulseAudio
  here), saving the whole span through its control channel (``hindsight clip``);
* FFmpeg: ``x11grab`` + ``pulse`` (``hs_null.monitor``) into H.264 + AAC, with
  ``-copyts`` so both inputs keep the wall clock they are stamped with.

Printed as JSON for each: the offset of every beep from its flash (audio minus video,
ms; the flash onset refined to a fraction of a frame by its ramp): median, spread
(p90 - p10), drift (ms per minute), extremes; the same on the bare frame grid; and
for the recorder, where it put beeps and flashes on the clock against where the
stimulus played and drew them.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

from hindsight.bundle import open_bundle
from hindsight.demo.display import VirtualDisplay
from tests.audio_server import PulseServer
from tests.av.measure import measure_clip
from tests.av.rig import FfmpegReference, Stimulus, clock_check, pulse_env
from tests.bench.common import RecorderCli, isolated_user_dirs, print_json


def run(seconds: float, size: tuple[int, int], fps: int, seed: int) -> dict:
    work = Path(tempfile.mkdtemp(prefix="hs-avsync-", dir="/tmp"))
    with PulseServer() as pulse, VirtualDisplay(*size) as display:
        env = pulse_env(dict(os.environ), pulse.env, display.name)
        os.environ.pop("HINDSIGHT_AUDIO_BACKEND", None)  # the default backend: pulse
        buffer_s = int(seconds) + 15
        rec = RecorderCli(
            "--display",
            display.name,
            "--fps",
            str(fps),
            "--buffer-seconds",
            str(buffer_s),
            "--clip-seconds",
            str(buffer_s),
            env={**pulse.env, "DISPLAY": display.name},
        )
        reference = None
        stimulus = None
        try:
            reference = FfmpegReference(display.name, size, fps, work / "ffmpeg.mp4", env)
            time.sleep(1.5)
            stimulus = Stimulus(display.name, seconds, work / "events.json", env, seed=seed)
            log = stimulus.wait(seconds + 60)
            time.sleep(0.5)
            clip = rec.save(int(seconds) + 4)
            status = rec.status()
            ffmpeg_mp4 = reference.stop()
            manifest = open_bundle(clip).manifest
            video = clip / manifest.video.file
            ours, ours_grid = measure_clip(video)
            theirs, theirs_grid = measure_clip(ffmpeg_mp4)
            on_clock = clock_check(video, manifest.clock.first_frame_t_ns, log)
        finally:
            if stimulus is not None:
                stimulus.kill()
            if reference is not None:
                reference.kill()
            rec.stop()
    audio = status.get("audio") or {}
    return {
        "benchmark": "av_sync",
        "seconds": seconds,
        "size": f"{size[0]}x{size[1]}",
        "fps": fps,
        "stimulus_onsets": len(log["events"]),
        "stimulus_stream_latency_ms": log["stream_latency_ms"],
        "hindsight": ours.as_dict(),
        "ffmpeg": theirs.as_dict(),
        "hindsight_frame_grid": ours_grid.as_dict(),
        "ffmpeg_frame_grid": theirs_grid.as_dict(),
        "hindsight_on_clock_ms": {
            "audio": on_clock.audio_ms,
            "video": on_clock.video_ms,
            "audio_spread": _spread(on_clock.audio_errors_ms),
            "video_spread": _spread(on_clock.video_errors_ms),
        },
        "hindsight_audio_status": audio.get("sources"),
        "hindsight_offsets_ms": ours.offsets_ms,
        "ffmpeg_offsets_ms": theirs.offsets_ms,
    }


def _spread(values: tuple[float, ...]) -> float | None:
    if not values:
        return None
    s = sorted(values)
    return round(s[round(0.9 * (len(s) - 1))] - s[round(0.1 * (len(s) - 1))], 3)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--size", default="1280x720")
    parser.add_argument("--fps", type=int, default=60)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    w, h = (int(v) for v in args.size.split("x"))
    with isolated_user_dirs():
        print_json(run(args.seconds, (w, h), args.fps, args.seed))


if __name__ == "__main__":
    main()
