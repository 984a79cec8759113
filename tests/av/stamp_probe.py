"""Where the PulseAudio source stamps each beep, against where the stimulus's stream played it.

    python -m tests.av.stamp_probe [--seconds 14] [--buffer-ms 40] [--seed 3]

A private PulseAudio server and a small Xvfb; the stimulus (:mod:`tests.av.stimulus`)
plays its beeps into the default sink while this process records the sink's monitor
with the recorder's own PulseAudio source and places the blocks on an
:class:`~hindsight.recorder.audio.timeline.AudioTimeline`, as the recorder does. For
each beep it prints, in ms against the play time the stimulus's playback stream
reported: the error of the block's own stamp (``stamp``) and of its place on the
timeline's grid (``grid``), with the timeline's resyncs and its current error.
No encoder, no video: this isolates the sound's stamps from everything else.

``--buffer-ms`` is how much the stimulus's stream keeps queued; the sink's latency
follows it, so running it at 15 and at 100 shows whether the stamps follow the sink.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

from hindsight.clock import NS_PER_S, now_ns
from hindsight.demo.display import VirtualDisplay
from tests.audio_server import PulseServer
from tests.av.rig import Stimulus, pulse_env

RATE = 48_000


def probe(seconds: float, buffer_ms: int, seed: int) -> dict:
    work = Path(tempfile.mkdtemp(prefix="hs-probe-", dir="/tmp"))
    with PulseServer() as pulse, VirtualDisplay(320, 180) as display:
        os.environ.update(pulse.env)
        from hindsight.recorder.audio.pulse import PulseBackend
        from hindsight.recorder.audio.source import AudioKind
        from hindsight.recorder.audio.timeline import AudioTimeline

        source = PulseBackend().source(AudioKind.SYSTEM)
        source.open()
        origin = now_ns()
        timeline = AudioTimeline(origin)
        # (stamp, mono pcm, grid sample of the block's first sample, resyncs, error)
        blocks: list[tuple[int, np.ndarray, int, int, int]] = []
        stop = threading.Event()

        def read() -> None:
            position = 0
            while not stop.is_set():
                block = source.read(0.05)
                if block is None:
                    continue
                placed = timeline.place(block.t_ns, block.frames)
                position += placed.silence
                blocks.append(
                    (
                        block.t_ns,
                        block.pcm[:, 0].copy(),
                        position - placed.skip,
                        timeline.resyncs,
                        timeline.error_ns,
                    )
                )
                position += block.frames - placed.skip

        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        time.sleep(2)  # the timeline settles on the idle sink, as a recorder started first does
        env = pulse_env(dict(os.environ), pulse.env, display.name)
        stimulus = Stimulus(display.name, seconds, work / "events.json", env, seed, buffer_ms)
        log = stimulus.wait(seconds + 30)
        stop.set()
        reader.join(5)
        source.close()
    played = np.asarray([e["beep_played_ns"] for e in log["events"] if e["beep_played_ns"]])
    rows = []
    last_loud = -(10**18)
    for t_ns, pcm, grid, resyncs, error_ns in blocks:
        for j in np.flatnonzero(np.abs(pcm) > 0.2):
            t = t_ns + int(j) * NS_PER_S // RATE
            if t - last_loud > 300_000_000 and len(played):
                g = origin + (grid + int(j)) * NS_PER_S // RATE
                i = int(np.argmin(np.abs(played - t)))
                rows.append(
                    {
                        "at_s": round((played[i] - played[0]) / 1e9, 2),
                        "stamp_ms": round((t - played[i]) / 1e6, 2),
                        "grid_ms": round((g - played[i]) / 1e6, 2),
                        "resyncs": resyncs,
                        "timeline_error_ms": round(error_ns / 1e6, 2),
                    }
                )
            last_loud = t
    stamps = [r["stamp_ms"] for r in rows]
    grids = [r["grid_ms"] for r in rows]
    return {
        "buffer_ms": buffer_ms,
        "stimulus_stream_latency_ms": log["stream_latency_ms"],
        "beeps": len(rows),
        "stamp_median_ms": round(float(np.median(stamps)), 2) if stamps else None,
        "grid_median_ms": round(float(np.median(grids)), 2) if grids else None,
        "rows": rows,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=14.0)
    parser.add_argument("--buffer-ms", type=int, default=40)
    parser.add_argument("--seed", type=int, default=3)
    args = parser.parse_args()
    print(json.dumps(probe(args.seconds, args.buffer_ms, args.seed), indent=1))


if __name__ == "__main__":
    main()
