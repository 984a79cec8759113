"""No credential reaches a log: library debug output stays off at -vv; a filter masks the rest."""

from __future__ import annotations

import logging
import os
import subprocess
import sys

import pytest

from hindsight.cli.logs import RedactCredentials

KEY_ID = "hsadmin1f2e3d4c"
SECRET = "0a1b2c3d4e5f60718293a4b5c6d7e8f901234567"
# What botocore.endpoint logs at DEBUG for every S3 request.
BOTOCORE_LINE = (
    "Sending http request: <AWSPreparedRequest stream_output=False, method=PUT, "
    "url=http://127.0.0.1:8333/b/k, headers={'Authorization': b'AWS4-HMAC-SHA256 "
    f"Credential={KEY_ID}/20261202/us-east-1/s3/aws4_request, "
    "SignedHeaders=host;x-amz-date, Signature=9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822c'}>"
)


def redacted(message: str, *args: object) -> str:
    record = logging.LogRecord("botocore.endpoint", logging.DEBUG, __file__, 1, message, args, None)
    assert RedactCredentials().filter(record) is True  # masks, never drops
    return record.getMessage()


def test_the_filter_masks_key_ids_signatures_and_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", KEY_ID)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET)
    line = redacted("%s", BOTOCORE_LINE)
    assert KEY_ID not in line and "9f86d081884c7d65" not in line
    assert "Credential=[redacted]/20261202" in line and "url=http://127.0.0.1:8333/b/k" in line
    assert SECRET not in redacted("config %s", {"aws_secret_access_key": SECRET})
    assert "AKIAIOSFODNN7EXAMPLE" not in redacted("key AKIAIOSFODNN7EXAMPLE in use")
    assert "wJalrXUtnFEMI" not in redacted("aws_secret_access_key = wJalrXUtnFEMI/K7MDENG")
    # A value of the AWS variables is masked wherever it appears, even unlabelled.
    assert SECRET not in redacted(f"odd message {SECRET}")
    assert redacted("saved /tmp/clips/x in 0.2 s") == "saved /tmp/clips/x in 0.2 s"


def test_at_debug_libraries_stay_at_warning_and_hindsight_logs_pass_masked() -> None:
    script = f"""
import logging
from hindsight.cli.logs import setup_logging
setup_logging(2)
logging.getLogger("botocore.endpoint").debug({BOTOCORE_LINE!r})
logging.getLogger("urllib3.connectionpool").debug("GET /{KEY_ID}")
logging.getLogger("botocore.credentials").warning("warned about %s", {KEY_ID!r})
logging.getLogger("hindsight.uploader").debug("hindsight debug line")
"""
    result = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        timeout=30,
        env={**os.environ, "AWS_ACCESS_KEY_ID": KEY_ID},
    )
    assert result.returncode == 0, result.stderr
    lines = result.stderr.splitlines()
    assert "hindsight: DEBUG: hindsight debug line" in lines
    assert "hindsight: WARNING: warned about [redacted]" in lines
    assert len(lines) == 2 and KEY_ID not in result.stderr
