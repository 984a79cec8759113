"""The ``hindsight`` command: one parser, subcommands registered by each package.

Every error a user can cause is a :class:`HindsightError`; it is printed as one line
(``hindsight: error: ...``) with a non-zero exit. Anything else is a bug and keeps
its traceback.
"""

from __future__ import annotations

import argparse
import logging
import os
import re
import sys
from collections.abc import Sequence

from hindsight import __version__
from hindsight.errors import HindsightError

__all__ = ["main", "build_parser", "RedactCredentials", "QUIET_LIBRARIES"]

# Libraries whose DEBUG output holds request details: botocore logs every request's
# Authorization header, which names the access key id. Their warnings still show.
QUIET_LIBRARIES = ("botocore", "boto3", "s3transfer", "urllib3")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="hindsight",
        description=(
            "Retroactive gameplay clip recorder: keeps the last seconds of the screen "
            "and saves them on a hotkey. With no command, starts the desktop app: a tray "
            "icon that runs the recorder in the background."
        ),
    )
    parser.add_argument("--version", action="version", version=f"hindsight {__version__}")
    parser.add_argument(
        "-v", "--verbose", action="count", default=0, help="more log output (-vv for debug)"
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    from hindsight.cli import audio as cli_audio
    from hindsight.cli import autostart as cli_autostart
    from hindsight.cli import clips as cli_clips
    from hindsight.cli import consent as cli_consent
    from hindsight.cli import dataset as cli_dataset
    from hindsight.cli import demo as demo_cli
    from hindsight.cli import maps as cli_maps
    from hindsight.cli import overlay as overlay_cli
    from hindsight.cli import pause as cli_pause
    from hindsight.cli import record as recorder_cli
    from hindsight.cli import upload as uploader_cli

    recorder_cli.register(sub)
    demo_cli.register(sub)
    cli_audio.register(sub)
    cli_maps.register(sub)
    overlay_cli.register(sub)
    cli_clips.register(sub)
    uploader_cli.register(sub)
    cli_consent.register(sub)
    cli_autostart.register(sub)
    cli_pause.register(sub)
    cli_dataset.register(sub)
    return parser


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


def _setup_logging(verbosity: int) -> None:
    level = logging.WARNING if verbosity <= 0 else logging.INFO if verbosity == 1 else logging.DEBUG
    logging.basicConfig(
        level=level, format="hindsight: %(levelname)s: %(message)s", stream=sys.stderr
    )
    for name in QUIET_LIBRARIES:
        logging.getLogger(name).setLevel(max(level, logging.WARNING))
    for handler in logging.getLogger().handlers:
        if not any(isinstance(f, RedactCredentials) for f in handler.filters):
            handler.addFilter(RedactCredentials())


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    _setup_logging(args.verbose)
    func = getattr(args, "func", None)
    if func is None:
        from hindsight.cli.desktop import cmd_app

        func = cmd_app
    try:
        return int(func(args) or 0)
    except HindsightError as err:
        print(f"hindsight: error: {err}", file=sys.stderr)
        return err.exit_code
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
