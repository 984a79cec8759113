"""The upload benchmark's peer: a plain boto3 script uploading files with ``upload_file``.

    python tests/bench/boto3_upload.py ENDPOINT BUCKET PREFIX FILE...

One process, as a user's own script would be: make a client, upload each file with
s3transfer's defaults to ``PREFIX/<file name>``, exit. Credentials come from the AWS
environment variables. Run as a file (not ``-m``) so it imports boto3 and nothing else.
"""

from __future__ import annotations

import sys
from pathlib import Path

import boto3


def main(argv: list[str]) -> int:
    endpoint, bucket, prefix, *files = argv
    client = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1")
    for name in files:
        client.upload_file(name, bucket, f"{prefix}/{Path(name).name}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
