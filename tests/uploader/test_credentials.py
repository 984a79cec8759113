"""Credentials: the AWS chain first, then the OS keyring; never a secret in a repr or message."""

from __future__ import annotations

import json
from pathlib import Path

import keyring
import keyring.backends.fail
import keyring.core
import pytest
from keyrings.alt.file import PlaintextKeyring

from hindsight.uploader.config import UploadTarget
from hindsight.uploader.credentials import (
    KEYRING_SERVICE,
    Credentials,
    forget_credentials,
    resolve_credentials,
    store_credentials,
)
from hindsight.uploader.errors import UploadConfigError

TARGET = UploadTarget(bucket="hs-creds", endpoint_url="http://127.0.0.1:9")
SECRET = "s3cr3t-DO-NOT-SHOW"
KEY_ID = "AKIDSHOULDNOTSHOW"


@pytest.fixture
def file_keyring(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """An explicitly chosen plain-file keyring under this test's own XDG_DATA_HOME."""
    previous = keyring.get_keyring()
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyrings.alt.file.PlaintextKeyring")
    keyring.core.init_backend()
    backend = keyring.get_keyring()
    assert isinstance(backend, PlaintextKeyring)
    assert str(tmp_path) in backend.file_path  # nothing touches the real user's keyring
    yield backend
    keyring.set_keyring(previous)


@pytest.fixture
def no_keyring(monkeypatch: pytest.MonkeyPatch):
    previous = keyring.get_keyring()
    keyring.set_keyring(keyring.backends.fail.Keyring())
    yield
    keyring.set_keyring(previous)


def test_repr_redacts_both_keys():
    creds = Credentials(KEY_ID, SECRET, "token-xyz")
    for text in (repr(creds), str(creds), f"{creds}", repr([creds])):
        assert SECRET not in text and KEY_ID not in text and "token-xyz" not in text
    assert "***" in repr(creds)


def test_credentials_need_both_halves():
    with pytest.raises(UploadConfigError, match="access key id and a secret"):
        Credentials("", SECRET)


def test_store_resolve_forget_through_the_keyring(file_keyring):
    assert resolve_credentials(TARGET) is None
    store_credentials(TARGET, Credentials(KEY_ID, SECRET))
    stored = json.loads(file_keyring.get_password(KEYRING_SERVICE, TARGET.endpoint_url))
    assert stored == {"access_key_id": KEY_ID, "secret_access_key": SECRET}
    assert resolve_credentials(TARGET) == Credentials(KEY_ID, SECRET)
    # Another endpoint has its own entry; AWS itself is stored under "aws".
    aws = UploadTarget(bucket="hs-creds")
    assert resolve_credentials(aws) is None
    store_credentials(aws, Credentials("AKIAAWS", "aws-secret", "tok"))
    assert file_keyring.get_password(KEYRING_SERVICE, "aws") is not None
    assert resolve_credentials(aws) == Credentials("AKIAAWS", "aws-secret", "tok")
    assert forget_credentials(TARGET) is True
    assert forget_credentials(TARGET) is False
    assert resolve_credentials(TARGET) is None


def test_env_chain_wins_over_keyring(file_keyring, monkeypatch):
    store_credentials(TARGET, Credentials(KEY_ID, SECRET))
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDFROMENV")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "env-secret")
    assert resolve_credentials(TARGET) == Credentials("AKIDFROMENV", "env-secret")


def test_profile_from_shared_files(monkeypatch, tmp_path):
    creds_file = tmp_path / "aws-credentials"
    creds_file.write_text(
        "[clips]\naws_access_key_id = AKIDPROFILE\naws_secret_access_key = profile-secret\n"
    )
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(creds_file))
    target = UploadTarget(bucket="hs-creds", profile="clips")
    assert resolve_credentials(target) == Credentials("AKIDPROFILE", "profile-secret")


def test_unknown_profile_is_a_config_error():
    with pytest.raises(UploadConfigError, match="AWS profile 'nope'"):
        resolve_credentials(UploadTarget(bucket="hs-creds", profile="nope"))


def test_no_keyring_backend(no_keyring):
    # Nothing stored anywhere is not an error when resolving...
    assert resolve_credentials(TARGET) is None
    # ...but storing or forgetting needs a keyring, and says what to do instead.
    with pytest.raises(UploadConfigError, match="no usable OS keyring") as err:
        store_credentials(TARGET, Credentials(KEY_ID, SECRET))
    assert "AWS_ACCESS_KEY_ID" in str(err.value) and SECRET not in str(err.value)
    with pytest.raises(UploadConfigError, match="no usable OS keyring"):
        forget_credentials(TARGET)


def test_plaintext_keyring_is_refused_unless_chosen(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))
    monkeypatch.delenv("PYTHON_KEYRING_BACKEND", raising=False)
    monkeypatch.setattr(keyring.core, "load_config", lambda: None)
    previous = keyring.get_keyring()
    keyring.set_keyring(PlaintextKeyring())  # what keyring picks when nothing better exists
    try:
        with pytest.raises(UploadConfigError, match="unencrypted"):
            store_credentials(TARGET, Credentials(KEY_ID, SECRET))
        assert not (tmp_path / "xdg-data").exists()
    finally:
        keyring.set_keyring(previous)


def test_unreadable_keyring_entry(file_keyring):
    file_keyring.set_password(KEYRING_SERVICE, TARGET.endpoint_url, "not json " + SECRET)
    with pytest.raises(UploadConfigError, match="unreadable") as err:
        resolve_credentials(TARGET)
    assert SECRET not in str(err.value)
