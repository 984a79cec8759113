"""Upload: `hindsight upload` vs a plain boto3 script: whole processes, same files, same server.

    python -m tests.bench.bench_upload [--mb 100] [--rounds 9]

A real SeaweedFS (``weed server -s3``) on loopback. Each round makes a clip folder of
about ``--mb`` MiB with the real manifest writer (the video's bytes are random: the
uploader never decodes them) and uploads it twice, alternating which goes first:

- ``hindsight upload --all`` in its own process (library, consent, resumable multipart,
  checksums, no cap), and
- ``tests/bench/boto3_upload.py`` in its own process: ``boto3.client(...).upload_file``
  with s3transfer's defaults, of the same files (the ones Hindsight uploads: all but
  events.parquet), to the same server.

Both are timed from process start to exit, so each pays its own imports and client.
Both run from compiled bytecode, as installed: pip compiled boto3's when it installed it
and the installer ships Hindsight's compiled, so Hindsight's is compiled here first (a
source checkout with PYTHONDONTWRITEBYTECODE set would otherwise compile it in every run).
Prints JSON: per-round seconds and CPU seconds (user + system) of each process, medians
and spread (min, max, interquartile range), and the ratio of throughputs (Hindsight /
boto3, target >= 1.0 in DESIGN section 10).
A last run checks the cap: ``--max-rate 8M`` over a 48 MiB clip, the achieved rate
(as the uploader reports it) over the rate asked for.
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

import hindsight
from hindsight.bundle import EVENTS_FILE
from tests.bench.common import HINDSIGHT, isolated_user_dirs, print_json, spread
from tests.uploader.bundles import make_bundle
from tests.uploader.s3server import SeaweedServer

MiB = 2**20
BOTO3_SCRIPT = Path(__file__).with_name("boto3_upload.py")


def _children_cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed(cmd: list[str], cpu: list[float] | None = None) -> tuple[float, str]:
    """Seconds from process start to exit; the process's stdout. Fails loudly.

    The process's own CPU (user + system) is appended to ``cpu``: the children's usage
    counts a process once it is reaped, and the server, still running, is not.
    """
    cpu_before = _children_cpu_s()
    started = time.perf_counter()
    result = subprocess.run(cmd, capture_output=True, text=True, env=os.environ.copy())
    elapsed = time.perf_counter() - started
    if cpu is not None:
        cpu.append(_children_cpu_s() - cpu_before)
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd[:4])} ... exited {result.returncode}: {result.stderr}")
    return elapsed, result.stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--mb", type=int, default=100, help="video size in MiB")
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--cap-mb", type=int, default=48, help="clip size of the capped run")
    args = parser.parse_args()
    compileall.compile_dir(Path(hindsight.__file__).parent, quiet=1)
    with isolated_user_dirs() as dirs:
        root = dirs["HOME"]
        clips = dirs["HINDSIGHT_CLIPS_DIR"]
        server = SeaweedServer(root / "weed")
        server.start()
        try:
            os.environ.update(
                AWS_ACCESS_KEY_ID=server.access_key,
                AWS_SECRET_ACCESS_KEY=server.secret_key,
                AWS_EC2_METADATA_DISABLED="true",
            )
            bucket = "hs-bench"
            server.create_bucket(bucket)
            target = ["--endpoint-url", server.endpoint_url, "--bucket", bucket]
            timed([*HINDSIGHT, "consent", "grant", "clips", "--yes"])
            ours: list[float] = []
            theirs: list[float] = []
            ours_cpu: list[float] = []
            theirs_cpu: list[float] = []
            sizes: list[int] = []
            for n in range(args.rounds):
                folder = make_bundle(clips, video_bytes=args.mb * MiB, seed=n)
                files = sorted(p for p in folder.iterdir() if p.name != EVENTS_FILE)
                sizes.append(sum(p.stat().st_size for p in files))
                for p in files:
                    p.read_bytes()  # both start from a warm page cache
                hindsight_cmd = [*HINDSIGHT, "upload", "--all", "--json", *target]
                boto3_cmd = [
                    sys.executable,
                    str(BOTO3_SCRIPT),
                    server.endpoint_url,
                    bucket,
                    f"plain/{n}",
                    *map(str, files),
                ]
                if n % 2 == 0:
                    ours_s, out = timed(hindsight_cmd, ours_cpu)
                    theirs_s, _ = timed(boto3_cmd, theirs_cpu)
                else:
                    theirs_s, _ = timed(boto3_cmd, theirs_cpu)
                    ours_s, out = timed(hindsight_cmd, ours_cpu)
                (clip,) = json.loads(out)["clips"]
                sent = {name for name, f in clip["files"].items() if not f["skipped"]}
                if not clip["ok"] or sent != {p.name for p in files}:
                    raise RuntimeError(f"hindsight uploaded {sorted(sent)}, expected {files}")
                ours.append(ours_s)
                theirs.append(theirs_s)
                shutil.rmtree(folder)  # keep the disk small; the library keeps its row
            ratios = [t / o for o, t in zip(ours, theirs, strict=True)]
            capped = make_bundle(clips, video_bytes=args.cap_mb * MiB, seed=99)
            _, out = timed([*HINDSIGHT, "upload", "--all", "--json", "--max-rate", "8M", *target])
            (clip,) = json.loads(out)["clips"]
            capped_rate = clip["bytes_sent"] / clip["seconds"] / (8 * 2**20)
            shutil.rmtree(capped)
        finally:
            server.stop()
    mib = statistics.median(sizes) / MiB
    print_json(
        {
            "bench": "upload_throughput",
            "server": "SeaweedFS weed server -s3 on loopback",
            "compares": "hindsight upload process vs boto3 upload_file script process, "
            "same files, same server, start to exit",
            "clip_mib": round(mib, 1),
            "files": sorted(p.name for p in files),
            "rounds": args.rounds,
            "hindsight_s": [round(x, 3) for x in ours],
            "boto3_script_s": [round(x, 3) for x in theirs],
            "hindsight_s_spread": spread(ours),
            "boto3_script_s_spread": spread(theirs),
            "hindsight_cpu_s": [round(x, 3) for x in ours_cpu],
            "boto3_script_cpu_s": [round(x, 3) for x in theirs_cpu],
            "hindsight_cpu_s_spread": spread(ours_cpu),
            "boto3_script_cpu_s_spread": spread(theirs_cpu),
            "hindsight_mib_per_s": round(mib / statistics.median(ours), 1),
            "boto3_script_mib_per_s": round(mib / statistics.median(theirs), 1),
            "throughput_ratio_per_round": [round(r, 3) for r in ratios],
            "throughput_ratio_median": round(statistics.median(ratios), 3),
            "throughput_ratio_spread": spread(ratios),
            "throughput_ratio_of_medians": round(
                statistics.median(theirs) / statistics.median(ours), 3
            ),
            "target": ">= 1.0",
            "cap_mib_per_s": 8,
            "capped_achieved_over_cap": round(capped_rate, 3),
        }
    )


if __name__ == "__main__":
    main()
