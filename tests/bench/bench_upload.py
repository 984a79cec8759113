"""Upload throughput against plain boto3 ``upload_file`` of the same file, same server, same run.

    python -m tests.bench.bench_upload [--mb 200] [--rounds 3]

A real SeaweedFS (``weed server -s3``) on loopback. Each round uploads one clip with
Hindsight's uploader (library, resumable multipart, checksums, no cap) and the same
video file with ``boto3.client.upload_file`` (s3transfer's defaults), alternating
which goes first. Both use a client made before the rounds (making one is a
once-per-process cost for either). The figure is the ratio of throughputs (Hindsight / boto3, target
>= 0.9), median over rounds. A second figure checks the cap: a capped upload's
achieved rate over the rate asked for.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

from hindsight.bundle import VIDEO_FILE
from hindsight.uploader.config import UploadConfig, UploadTarget
from hindsight.uploader.library import ClipLibrary
from hindsight.uploader.worker import UploadRunner
from tests.bench.common import print_json
from tests.uploader.bundles import make_bundle
from tests.uploader.s3server import SeaweedServer

MiB = 2**20


def hindsight_upload(
    library: ClipLibrary,
    folder: Path,
    target: UploadTarget,
    transport,  # type: ignore[no-untyped-def]
    max_rate: int | None = None,
) -> float:
    clip = library.register(folder)
    library.queue(clip.id)
    runner = UploadRunner(
        library, UploadConfig(target=target, max_rate_bytes_per_s=max_rate), transport=transport
    )
    started = time.perf_counter()
    outcomes = runner.run_until_idle([clip.id])
    elapsed = time.perf_counter() - started
    assert outcomes and outcomes[0].ok, outcomes
    return elapsed


def boto3_upload(client, path: Path, bucket: str, key: str) -> float:  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    client.upload_file(str(path), bucket, key)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mb", type=int, default=200, help="video size in MiB")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="hs-bench-upload-") as tmp:
        root = Path(tmp)
        server = SeaweedServer(root / "weed")
        server.start()
        try:
            os.environ.update(
                AWS_ACCESS_KEY_ID=server.access_key,
                AWS_SECRET_ACCESS_KEY=server.secret_key,
                AWS_EC2_METADATA_DISABLED="true",
            )
            server.create_bucket("hs-bench")
            client = server.client()
            target = UploadTarget(
                bucket="hs-bench", prefix="bench", endpoint_url=server.endpoint_url
            )
            library = ClipLibrary.open(f"sqlite:///{root / 'lib.db'}")
            library.record_consent("clips", True)
            from hindsight.uploader.transport import create_transport

            transport = create_transport(target)
            ours, theirs = [], []
            for n in range(args.rounds):
                folder = make_bundle(root / "clips", video_bytes=args.mb * MiB, seed=n)
                video = folder / VIDEO_FILE
                video.read_bytes()  # both start from a warm page cache
                if n % 2 == 0:
                    ours.append(hindsight_upload(library, folder, target, transport))
                    theirs.append(boto3_upload(client, video, "hs-bench", f"plain/{n}/video.mp4"))
                else:
                    theirs.append(boto3_upload(client, video, "hs-bench", f"plain/{n}/video.mp4"))
                    ours.append(hindsight_upload(library, folder, target, transport))
            # Hindsight also sends the clip's three small files and its library bookkeeping.
            ratios = [t / o for o, t in zip(ours, theirs, strict=True)]
            cap_rate = 8 * MiB
            capped_folder = make_bundle(root / "clips", video_bytes=48 * MiB, seed=99)
            capped_s = hindsight_upload(
                library, capped_folder, target, transport, max_rate=cap_rate
            )
            print_json(
                {
                    "bench": "upload_throughput",
                    "file_mib": args.mb,
                    "rounds": args.rounds,
                    "hindsight_s": [round(x, 3) for x in ours],
                    "boto3_upload_file_s": [round(x, 3) for x in theirs],
                    "hindsight_mib_per_s": round(args.mb / statistics.median(ours), 1),
                    "boto3_mib_per_s": round(args.mb / statistics.median(theirs), 1),
                    "throughput_ratio_per_round": [round(r, 3) for r in ratios],
                    "throughput_ratio_median": round(statistics.median(ratios), 3),
                    "throughput_ratio_of_medians": round(
                        statistics.median(theirs) / statistics.median(ours), 3
                    ),
                    "target": ">= 0.9",
                    "cap_mib_per_s": cap_rate / MiB,
                    "capped_achieved_over_cap": round((48 + 0.01) / capped_s / (cap_rate / MiB), 3),
                }
            )
            library.close()
        finally:
            server.stop()


if __name__ == "__main__":
    main()
