"""Translator throughput: raw input events per second through a shipped map, into the timeline.

    python -m tests.bench.bench_translator [--events 200000]

A realistic mix for Counter-Strike 2: mouse motion dominates (1000 Hz mice), then
WASD, buttons, a pad's sticks and triggers, and unmapped keys. There is no external
peer for this work; the figure that matters is the share of one core a 1000 Hz
mouse costs.
"""

from __future__ import annotations

import argparse
import random
import time

from hindsight.actionmap.registry import MapRegistry
from hindsight.recorder.actions.timeline import ActionTimeline
from hindsight.recorder.actions.translator import ActionTranslator
from hindsight.recorder.input.base import RawInput
from tests.bench.common import isolated_user_dirs, print_json


def make_events(n: int, seed: int = 1) -> list[RawInput]:
    rng = random.Random(seed)
    keys = [
        "key:W",
        "key:A",
        "key:S",
        "key:D",
        "key:Space",
        "key:LeftCtrl",
        "key:R",
        "key:K",
        "key:F5",
    ]
    out = []
    held: set[str] = set()
    t = 0
    for _ in range(n):
        t += rng.randint(100_000, 1_000_000)
        r = rng.random()
        if r < 0.6:
            out.append(RawInput(t, "mouse:delta", rng.uniform(-20, 20), rng.uniform(-20, 20)))
        elif r < 0.85:
            k = rng.choice(keys)
            down = k not in held
            (held.add if down else held.discard)(k)
            out.append(RawInput(t, k, 1.0 if down else 0.0))
        elif r < 0.95:
            out.append(RawInput(t, "pad:left_stick", rng.uniform(-1, 1), rng.uniform(-1, 1)))
        else:
            out.append(RawInput(t, "pad:right_trigger", rng.random()))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    amap = MapRegistry(log_errors=False).get("valve.counter-strike-2")
    events = make_events(args.events)
    best = float("inf")
    emitted = 0
    for _ in range(args.rounds):
        timeline = ActionTimeline(60)
        translator = ActionTranslator(timeline.append)
        translator.set_game(amap, 0)
        t0 = time.perf_counter()
        for raw in events:
            translator.feed(raw)
        best = min(best, time.perf_counter() - t0)
        emitted = len(timeline)
    print_json(
        {
            "benchmark": "translator",
            "map": amap.ref,
            "events": args.events,
            "action_events_out": emitted,
            "events_per_s": round(args.events / best),
            "us_per_event": round(best / args.events * 1e6, 3),
            "mouse_1000hz_cpu_share_pct": round(1000 * best / args.events * 100, 3),
        }
    )


if __name__ == "__main__":
    with isolated_user_dirs():  # never the user's own settings, maps or clips
        main()
