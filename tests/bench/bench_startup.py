"""Start-up of the quick commands: `hindsight status` and `hindsight clip` as whole processes.

    python -m tests.bench.bench_startup [--rounds 15]

A recorder runs on a small Xvfb scene (640x360, 30 fps, sound off) so the commands have
someone to ask. Each round runs, one after another, ``python -c pass`` (the peer: what
any Python command costs before its first line), ``hindsight status --json`` and
``hindsight clip --seconds 2``, and takes each child's CPU (user + system, from
``wait4``) and wall time. The figure is the command's own start-up: its CPU minus the
peer's, median over the rounds; ``clip`` includes asking the recorder, not the save.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time

from tests.bench.common import (
    HINDSIGHT,
    RecorderCli,
    isolated_user_dirs,
    print_json,
    reference_scene,
)


def run_timed(cmd: list[str], env: dict[str, str]) -> tuple[float, float]:
    """(CPU seconds, wall seconds) of one child process run to its end."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd[2:5])} exited {proc.returncode}")
    return usage.ru_utime + usage.ru_stime, wall


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=15)
    args = ap.parse_args()
    with isolated_user_dirs(), reference_scene(640, 360, 30) as display:
        recorder = RecorderCli(
            "--display",
            display,
            "--fps",
            "30",
            "--audio",
            "none",
            "--no-hotkey",
            env={"DISPLAY": display},
        )
        try:
            time.sleep(3)  # a buffer to save from
            env = recorder.env
            samples: dict[str, list[tuple[float, float]]] = {"python": [], "status": [], "clip": []}
            for _ in range(args.rounds):
                samples["python"].append(run_timed([sys.executable, "-c", "pass"], env))
                samples["status"].append(run_timed([*HINDSIGHT, "status", "--json"], env))
                samples["clip"].append(run_timed([*HINDSIGHT, "clip", "--seconds", "2"], env))
        finally:
            recorder.stop()

    def med(name: str, i: int) -> float:
        return round(statistics.median(s[i] for s in samples[name]) * 1000, 1)

    result: dict = {"rounds": args.rounds, "peer": "python -c pass"}
    for name in samples:
        result[f"{name}_cpu_ms"] = med(name, 0)
        result[f"{name}_wall_ms"] = med(name, 1)
    for name in ("status", "clip"):
        result[f"{name}_own_cpu_ms"] = round(result[f"{name}_cpu_ms"] - result["python_cpu_ms"], 1)
    result["load_average_1m"] = round(os.getloadavg()[0], 2)
    print_json(result)


if __name__ == "__main__":
    main()
