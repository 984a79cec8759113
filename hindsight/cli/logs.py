"""The command line's log output: one format on stderr, chatty libraries quieted, credentials
masked.

Set up by :func:`hindsight.cli.main.main` before a command runs; ``clip`` and ``status``,
which log nothing, skip it so that they start without the logging module.
"""

from __future__ import annotations

import logging
import os
import re
import sys

__all__ = ["setup_logging", "RedactCredentials", "QUIET_LIBRARIES"]

# Libraries whose DEBUG output holds request details: botocore logs every request's
# Authorization header, which names the access key id. Their warnings still show.
QUIET_LIBRARIES = ("botocore", "boto3", "s3transfer", "urllib3")


class RedactCredentials(logging.Filter):
    """Masks credentials in every record a handler writes, whoever logged it.

    The quiet libraries above are the known source; this catches the rest (a library
    logging a request at WARNING, an error quoting a header): SigV4 credential scopes
    and signatures, AWS-style key ids, ``key = value`` pairs naming a secret, and the
    values of the AWS credential variables of this process.
    """

    _PATTERNS = (
        re.compile(r"(Credential=)[^/\s,'\"]+"),
        re.compile(r"(Signature=)[0-9a-fA-F]+"),
        re.compile(r"()\b(?:AKIA|ASIA)[A-Z0-9]{16}\b"),
        re.compile(
            r"(?i)((?:aws_)?(?:access_key(?:_id)?|secret_access_key|secret_key|session_token"
            r"|security_token|x-amz-security-token)['\"]?\s*[:=]\s*b?['\"]?)[^'\"\s,}]+"
        ),
    )
    _ENV = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN")

    def redact(self, text: str) -> str:
        for pattern in self._PATTERNS:
            text = pattern.sub(r"\1[redacted]", text)
        for name in self._ENV:
            value = os.environ.get(name)
            if value and len(value) >= 4:
                text = text.replace(value, "[redacted]")
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = self.redact(message)
        if redacted != message:
            record.msg, record.args = redacted, None
        return True


def setup_logging(verbosity: int) -> None:
    """Log records at ``verbosity`` (0 warnings, 1 info, 2 debug) to stderr, masked."""
    level = logging.WARNING if verbosity <= 0 else logging.INFO if verbosity == 1 else logging.DEBUG
    logging.basicConfig(
        level=level, format="hindsight: %(levelname)s: %(message)s", stream=sys.stderr
    )
    for name in QUIET_LIBRARIES:
        logging.getLogger(name).setLevel(max(level, logging.WARNING))
    for handler in logging.getLogger().handlers:
        if not any(isinstance(f, RedactCredentials) for f in handler.filters):
            handler.addFilter(RedactCredentials())
