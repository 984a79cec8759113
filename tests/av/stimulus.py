"""The sync stimulus: the screen flashes and a beep sounds at the same clock moments.

    python -m tests.av.stimulus --display :N --seconds 60 --log events.json [--seed 1]

A full-screen override-redirect window stays black; at each onset ``T`` (gaps drawn
from 0.6-1.4 s) it is redrawn every millisecond as a :data:`~tests.av.measure.FLASH`
(a step, a ramp to white, a hold), and at the same ``T`` a
:data:`~tests.av.measure.BEEP` starts in the PulseAudio default sink (or ``--sink``).

The sound goes through one playback stream that is fed all the time (silence and
beeps), so the stream's sample clock never restarts. After every write the stream
is asked for its latency: the sample written next will be played ``latency`` from
now, which gives the clock time of the stream's sample 0. Each beep is then put at
the sample that plays at ``T`` (the writer keeps only ~20 ms ahead, so the estimate
is fresh), and the log records both the intended ``T`` and the play time the
stream reported afterwards for the beep's first sample.

Prints ``ready`` once the window is up and the stream plays; writes the log on exit
(``--seconds`` elapsed, SIGTERM or SIGINT). Times are :func:`hindsight.clock.now_ns`.
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import json
import os
import signal
import statistics
import sys
import threading
import time
from collections import deque
from dataclasses import asdict
from pathlib import Path

import numpy as np

from hindsight.clock import NS_PER_S, now_ns, sleep_until_ns
from tests.av.measure import BEEP, FLASH

RATE = 48_000
CHANNELS = 2
CHUNK = 240  # 5 ms per write
TARGET_MS = 40  # what the stream keeps buffered ahead of play: room for a busy machine

__all__ = ["RATE", "schedule", "PulsePlayer", "main"]


def schedule(start_ns: int, seconds: float, seed: int) -> list[int]:
    """Onsets from ``start_ns`` with gaps of 0.6-1.4 s, all within ``seconds``."""
    rng = np.random.default_rng(seed)
    out, t = [], start_ns
    end = start_ns + int(seconds * NS_PER_S)
    while t < end:
        out.append(t)
        t += int(rng.uniform(0.6, 1.4) * NS_PER_S)
    return out


# ---- sound: libpulse-simple, one stream fed without a break ------------------------------


class _SampleSpec(ctypes.Structure):
    _fields_ = [("format", ctypes.c_int), ("rate", ctypes.c_uint32), ("channels", ctypes.c_uint8)]


class _BufferAttr(ctypes.Structure):
    _fields_ = [
        (name, ctypes.c_uint32) for name in ("maxlength", "tlength", "prebuf", "minreq", "fragsize")
    ]


_PA_STREAM_PLAYBACK = 1
_PA_SAMPLE_FLOAT32LE = 5


class PulsePlayer:
    """One playback stream; :meth:`run` feeds it until stopped, beeps at scheduled times."""

    def __init__(
        self, onsets_ns: list[int], sink: str | None = None, target_ms: int = TARGET_MS
    ) -> None:
        self._lib = ctypes.CDLL("libpulse-simple.so.0")
        self._lib.pa_simple_new.restype = ctypes.c_void_p
        self._lib.pa_simple_write.argtypes = [
            ctypes.c_void_p,
            ctypes.c_void_p,
            ctypes.c_size_t,
            ctypes.POINTER(ctypes.c_int),
        ]
        self._lib.pa_simple_get_latency.restype = ctypes.c_uint64
        self._lib.pa_simple_get_latency.argtypes = [ctypes.c_void_p, ctypes.POINTER(ctypes.c_int)]
        self._lib.pa_simple_free.argtypes = [ctypes.c_void_p]
        spec = _SampleSpec(_PA_SAMPLE_FLOAT32LE, RATE, CHANNELS)
        frame_bytes = 4 * CHANNELS
        tlength = target_ms * RATE // 1000 * frame_bytes
        attr = _BufferAttr(2**22, tlength, 0xFFFFFFFF, CHUNK * frame_bytes, 0xFFFFFFFF)
        err = ctypes.c_int(0)
        self._pa = self._lib.pa_simple_new(
            None,
            b"hindsight-sync-stimulus",
            _PA_STREAM_PLAYBACK,
            sink.encode() if sink else None,
            b"flash and beep",
            ctypes.byref(spec),
            None,
            ctypes.byref(attr),
            ctypes.byref(err),
        )
        if not self._pa:
            raise RuntimeError(f"cannot open a PulseAudio playback stream (error {err.value})")
        self._pending = deque(sorted(onsets_ns))
        self._beep = np.repeat(BEEP.samples(RATE)[:, None], CHANNELS, axis=1)
        self._written = 0
        self._bases: deque[int] = deque(maxlen=64)  # clock time of sample 0, per write
        #: (onset, first sample, its play time as the stream estimated it when placed)
        self.placed: list[tuple[int, int, int]] = []
        self.latencies_us: list[int] = []
        self.stop = threading.Event()
        self.playing = threading.Event()

    @property
    def base_ns(self) -> int:
        return int(statistics.median(self._bases))

    def played_ns(self, sample: int) -> int:
        """When the stream says ``sample`` plays (its current estimate)."""
        return self.base_ns + sample * NS_PER_S // RATE

    def _write(self, pcm: np.ndarray) -> None:
        data = np.ascontiguousarray(pcm, dtype="<f4").tobytes()
        err = ctypes.c_int(0)
        if self._lib.pa_simple_write(self._pa, data, len(data), ctypes.byref(err)) < 0:
            raise RuntimeError(f"PulseAudio write failed (error {err.value})")
        self._written += len(pcm)
        latency = self._lib.pa_simple_get_latency(self._pa, ctypes.byref(err))
        now = now_ns()
        self.latencies_us.append(int(latency))
        # The sample written next plays `latency` from now: sample 0 played that much earlier.
        self._bases.append(now + int(latency) * 1000 - self._written * NS_PER_S // RATE)

    def run(self) -> None:
        """Feed the stream until :attr:`stop`; beeps are placed as their samples come up."""
        # Warm up: enough to start playback and settle the latency estimate.
        for _ in range(40):
            self._write(np.zeros((CHUNK, CHANNELS), np.float32))
        self.playing.set()
        tail = np.zeros((0, CHANNELS), np.float32)  # beep samples spilling into the next chunks
        while not self.stop.is_set():
            chunk = np.zeros((CHUNK, CHANNELS), np.float32)
            n = min(len(tail), CHUNK)
            chunk[:n] = tail[:n]
            tail = tail[n:]
            start, end = self._written, self._written + CHUNK
            while self._pending:
                first = (self._pending[0] - self.base_ns) * RATE // NS_PER_S
                if first >= end:
                    break
                onset = self._pending.popleft()
                if first < start:  # too late to place exactly: skip this one, it is not logged
                    continue
                self.placed.append((onset, int(first), self.played_ns(int(first))))
                at = int(first - start)
                beep = self._beep
                n = min(len(beep), CHUNK - at)
                chunk[at : at + n] += beep[:n]
                if len(beep) > n:
                    rest = beep[n:]
                    if len(tail) < len(rest):
                        tail = np.concatenate([tail, np.zeros((len(rest) - len(tail), CHANNELS))])
                    tail[: len(rest)] += rest
            self._write(chunk)

    def close(self) -> None:
        if self._pa:
            self._lib.pa_simple_free(self._pa)
            self._pa = None


# ---- picture: one full-screen window, redrawn through each flash ---------------------------


class Screen:
    def __init__(self, display_name: str) -> None:
        from Xlib import X, display

        self._X = X
        self.d = display.Display(display_name)
        screen = self.d.screen()
        self.width, self.height = screen.width_in_pixels, screen.height_in_pixels
        self.win = screen.root.create_window(
            0,
            0,
            self.width,
            self.height,
            0,
            screen.root_depth,
            X.InputOutput,
            X.CopyFromParent,
            background_pixel=0,
            override_redirect=True,
            event_mask=X.ExposureMask | X.StructureNotifyMask,
        )
        self.win.set_wm_name("Hindsight sync stimulus")
        self.gc = self.win.create_gc(foreground=0)
        self.win.map()
        self.d.sync()
        self.draw(FLASH.base, sync=True)

    def draw(self, grey: int, sync: bool = False) -> None:
        self.gc.change(foreground=(grey << 16) | (grey << 8) | grey)
        self.win.fill_rectangle(self.gc, 0, 0, self.width, self.height)
        if sync:
            self.d.sync()
        else:
            self.d.flush()

    def flash(self, onset_ns: int) -> int:
        """Draw one flash starting at ``onset_ns``; returns when its first step was drawn."""
        sleep_until_ns(onset_ns - 2_000_000)
        while now_ns() < onset_ns:  # the last 2 ms without the scheduler's slack
            pass
        self.draw(FLASH.step, sync=True)
        drawn = now_ns()
        end = onset_ns + int(FLASH.length_ms * 1_000_000)
        while (t := now_ns()) < end:
            self.draw(FLASH.value_at((t - onset_ns) / 1e6))
            time.sleep(0.001)
        self.draw(FLASH.base, sync=True)
        return drawn

    def close(self) -> None:
        self.win.destroy()
        self.d.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--display", required=True)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--log", type=Path, required=True)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--sink", default=None, help="PulseAudio sink (default: the default)")
    parser.add_argument("--lead", type=float, default=1.0, help="seconds before the first onset")
    parser.add_argument(
        "--buffer-ms", type=int, default=TARGET_MS, help="what the playback stream keeps queued"
    )
    args = parser.parse_args(argv)

    with contextlib.suppress(OSError):
        os.nice(-5)  # ahead of the recorders under test when the machine is busy (if allowed)
    stopping = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopping.set())
    signal.signal(signal.SIGINT, lambda *_: stopping.set())

    screen = Screen(args.display)
    start_ns = now_ns() + int(args.lead * NS_PER_S)
    onsets = schedule(start_ns, args.seconds, args.seed)
    player = PulsePlayer(onsets, args.sink, args.buffer_ms)
    feeder = threading.Thread(target=player.run, name="stimulus-sound", daemon=True)
    feeder.start()
    if not player.playing.wait(10):
        raise RuntimeError("the playback stream did not start")
    print("ready", flush=True)
    events = []
    for onset in onsets:
        if stopping.is_set():
            break
        if onset < now_ns():
            continue
        drawn = screen.flash(onset)
        events.append({"t_ns": onset, "flash_drawn_ns": drawn})
    stopping.wait(0.3) if not stopping.is_set() else None
    player.stop.set()
    feeder.join(5)
    placed = {onset: (sample, played) for onset, sample, played in player.placed}
    for event in events:
        sample, played = placed.get(event["t_ns"], (None, None))
        event["beep_sample"] = sample
        event["beep_played_ns"] = played
        # the same sample by the stream's final estimate: differs after an underrun
        event["beep_played_end_estimate_ns"] = (
            player.played_ns(sample) if sample is not None else None
        )
    player.close()
    screen.close()
    lat = sorted(player.latencies_us[40:]) or [0]
    args.log.write_text(
        json.dumps(
            {
                "rate": RATE,
                "flash": asdict(FLASH),
                "beep": asdict(BEEP),
                "stream_latency_ms": {
                    "median": lat[len(lat) // 2] / 1000,
                    "min": lat[0] / 1000,
                    "max": lat[-1] / 1000,
                },
                "events": events,
            },
            indent=1,
        )
    )
    print(f"done {len(events)}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
