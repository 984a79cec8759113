"""The per-user secret in every live-channel URL, kept in the config folder (mode 0600).

It is made once and then kept, so the browser source URL a streamer pasted into
OBS keeps working across recorder restarts; deleting the file rotates it. A file
that other users can read is not trusted: it is replaced by a new token.
"""

from __future__ import annotations

import logging
import os
import secrets
import stat
from pathlib import Path

from hindsight import paths
from hindsight.recorder.errors import ConfigError

__all__ = ["TOKEN_FILE", "token_path", "load_or_create_token"]

log = logging.getLogger(__name__)

TOKEN_FILE = "overlay-token"
_TOKEN_BYTES = 24


def token_path() -> Path:
    return paths.config_dir() / TOKEN_FILE


def _valid(text: str) -> bool:
    return len(text) >= 32 and all(c.isalnum() or c in "-_" for c in text)


def load_or_create_token(path: Path | None = None) -> str:
    """The user's live-channel token; created (0600) on first use."""
    path = path or token_path()
    try:
        info = path.stat()
        if not info.st_mode & (stat.S_IRWXG | stat.S_IRWXO):
            text = path.read_text(encoding="ascii").strip()
            if _valid(text):
                return text
        log.warning("overlay token file %s was readable by others or damaged; made a new one", path)
    except FileNotFoundError:
        pass
    except (OSError, UnicodeDecodeError) as err:
        log.warning("cannot read the overlay token %s (%s); making a new one", path, err)
    token = secrets.token_urlsafe(_TOKEN_BYTES)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as fh:
            fh.write(token + "\n")
        os.chmod(
            tmp, 0o600
        )  # a umask cannot widen it, but an existing file may have had other bits
        os.replace(tmp, path)
    except OSError as err:
        raise ConfigError(f"cannot write the overlay token {path}: {err.strerror or err}") from None
    return token
