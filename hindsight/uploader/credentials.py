"""Where S3 credentials come from: the standard AWS chain first, then the OS keyring.

Credentials never go into the settings file or a log. The keyring holds one JSON value
per endpoint (service ``hindsight-s3``, user = endpoint URL or ``aws``). A keyring that
stores secrets as a plain file is refused unless the user chose it explicitly.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from typing import TYPE_CHECKING

from hindsight.uploader.config import UploadTarget
from hindsight.uploader.errors import UploadConfigError

if TYPE_CHECKING:  # boto3 loads slowly; only when credentials are looked up
    import boto3

__all__ = [
    "KEYRING_SERVICE",
    "Credentials",
    "forget_credentials",
    "keyring_user",
    "resolve_credentials",
    "store_credentials",
]

KEYRING_SERVICE = "hindsight-s3"
_NO_KEYRING = (
    "no usable OS keyring is available ({why}); set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY "
    "or an AWS profile instead"
)
# Backends that write secrets unencrypted to a file: only used when named explicitly
# (PYTHON_KEYRING_BACKEND or keyringrc.cfg), never picked up by default.
_PLAINTEXT_BACKENDS = {"keyrings.alt.file.PlaintextKeyring", "keyring.backends.null.Keyring"}


@dataclass(frozen=True)
class Credentials:
    """An S3 access key pair (and optional session token); ``repr`` never shows them."""

    access_key_id: str
    secret_access_key: str
    session_token: str | None = None

    def __post_init__(self) -> None:
        if not self.access_key_id or not self.secret_access_key:
            raise UploadConfigError(
                "credentials need both an access key id and a secret access key"
            )

    def __repr__(self) -> str:
        token = "None" if self.session_token is None else "'***'"
        return f"Credentials(access_key_id='***', secret_access_key='***', session_token={token})"

    __str__ = __repr__


def keyring_user(target: UploadTarget) -> str:
    """The keyring user name the credentials of ``target`` are stored under."""
    return target.endpoint_url or "aws"


def resolve_credentials(
    target: UploadTarget, session: boto3.Session | None = None
) -> Credentials | None:
    """Credentials for ``target``: AWS env vars / shared files / profile, else the keyring; None if
    neither.

    ``session`` is the boto3 session the S3 client will be made from, when the caller has one:
    the AWS chain is then read once, not once here and again for the client.
    """
    found = _from_aws_chain(target, session)
    if found is not None:
        return found
    try:
        backend = _keyring_backend()
    except UploadConfigError:
        return None  # no keyring is the same as nothing stored there
    import keyring.errors

    try:
        stored = backend.get_password(KEYRING_SERVICE, keyring_user(target))
    except keyring.errors.KeyringError as err:
        raise UploadConfigError(
            f"the OS keyring could not be read ({type(err).__name__}); unlock it, or set "
            "AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or an AWS profile instead"
        ) from None
    if stored is None:
        return None
    try:
        value = json.loads(stored)
        return Credentials(
            value["access_key_id"], value["secret_access_key"], value.get("session_token")
        )
    except (ValueError, KeyError, TypeError, UploadConfigError):
        raise UploadConfigError(
            f"the credentials stored in the OS keyring for {keyring_user(target)} are unreadable; "
            "store them again with `hindsight upload --login`"
        ) from None


def store_credentials(target: UploadTarget, creds: Credentials) -> None:
    """Save ``creds`` for ``target``'s endpoint in the OS keyring (replacing any earlier ones)."""
    backend = _keyring_backend()
    value = {"access_key_id": creds.access_key_id, "secret_access_key": creds.secret_access_key}
    if creds.session_token:
        value["session_token"] = creds.session_token
    import keyring.errors

    try:
        backend.set_password(KEYRING_SERVICE, keyring_user(target), json.dumps(value))
    except keyring.errors.KeyringError as err:
        raise UploadConfigError(
            _NO_KEYRING.format(why=f"saving failed: {type(err).__name__}")
        ) from None


def forget_credentials(target: UploadTarget) -> bool:
    """Remove ``target``'s credentials from the OS keyring; False if none were stored."""
    backend = _keyring_backend()
    import keyring.errors

    try:
        backend.delete_password(KEYRING_SERVICE, keyring_user(target))
    except keyring.errors.PasswordDeleteError:
        return False
    except keyring.errors.KeyringError as err:
        raise UploadConfigError(
            _NO_KEYRING.format(why=f"deleting failed: {type(err).__name__}")
        ) from None
    return True


def _from_aws_chain(
    target: UploadTarget, session: boto3.Session | None = None
) -> Credentials | None:
    import boto3
    import botocore.exceptions

    try:
        found = (session or boto3.Session(profile_name=target.profile)).get_credentials()
    except botocore.exceptions.ProfileNotFound:
        raise UploadConfigError(
            f"AWS profile {target.profile!r} is not in ~/.aws/config or ~/.aws/credentials; "
            "fix the profile name or remove it from the upload settings"
        ) from None
    except botocore.exceptions.BotoCoreError as err:
        # Never echo the error text: a broken shared file's message may quote its lines.
        raise UploadConfigError(
            f"the AWS credential settings cannot be read ({type(err).__name__}); "
            "check AWS_* variables and ~/.aws files"
        ) from None
    if found is None:
        return None
    frozen = found.get_frozen_credentials()
    if not frozen.access_key or not frozen.secret_key:
        return None
    return Credentials(frozen.access_key, frozen.secret_key, frozen.token)


def _keyring_backend():
    """The OS keyring backend, or UploadConfigError if there is none we should use."""
    try:
        import keyring
        import keyring.backends.fail
    except ImportError:
        raise UploadConfigError(
            _NO_KEYRING.format(why="the keyring package is not installed")
        ) from None
    backend = keyring.get_keyring()
    # A ChainerBackend wraps several; it is usable if one of them is.
    kinds = list(backend.backends) if hasattr(backend, "backends") else [backend]
    if all(isinstance(b, keyring.backends.fail.Keyring) for b in kinds):
        raise UploadConfigError(_NO_KEYRING.format(why="no keyring backend found"))
    path = f"{type(backend).__module__}.{type(backend).__qualname__}"
    if path in _PLAINTEXT_BACKENDS and not _chosen_explicitly():
        raise UploadConfigError(
            _NO_KEYRING.format(why=f"only {path}, which stores secrets unencrypted")
        )
    return backend


def _chosen_explicitly() -> bool:
    if os.environ.get("PYTHON_KEYRING_BACKEND"):
        return True
    import keyring.core

    try:
        return keyring.core.load_config() is not None
    except Exception:  # a broken keyringrc.cfg is not a choice
        return False
