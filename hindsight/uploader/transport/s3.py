"""The S3 transport: the uploader's few bucket operations on boto3, with our error types.

Bodies are read exactly once per attempt: payload signing is off (so botocore does not
hash the body before sending it, which it otherwise does over plain http) and we pass
``ChecksumSHA256`` ourselves, so the server verifies every part and object. botocore
retries once; the caller's queue does the real backoff. A rate limiter paces the body
as the HTTP client reads it.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager

import boto3
import botocore.exceptions as bex
from botocore.config import Config

from hindsight.uploader.config import UploadTarget
from hindsight.uploader.credentials import Credentials
from hindsight.uploader.errors import (
    BucketMissing,
    ChecksumMismatch,
    CredentialsRejected,
    ServerUnreachable,
    TransportError,
    UploadConfigError,
    UploadGone,
)
from hindsight.uploader.ratelimit import RateLimiter, ThrottledReader
from hindsight.uploader.transport.base import (
    DELETE_BATCH_MAX,
    CompletedPart,
    ObjectMissing,
    RemoteObject,
    RemotePart,
    Transport,
    permanent_error,
)

__all__ = ["NO_CREDENTIALS_MESSAGE", "S3Transport"]

NO_CREDENTIALS_MESSAGE = (
    "no credentials: set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, an AWS profile, "
    "or store them with `hindsight upload --login`"
)
_PROFILE_MISSING = (
    "AWS profile {profile!r} is not in ~/.aws/config or ~/.aws/credentials; "
    "fix the profile name or remove it from the upload settings"
)
_CREDENTIAL_CODES = {
    "InvalidAccessKeyId",
    "SignatureDoesNotMatch",
    "AccessDenied",
    "InvalidToken",
    "ExpiredToken",
    "TokenRefreshRequired",
    "AllAccessDisabled",
    "403",
}
_CHECKSUM_CODES = {"BadDigest", "XAmzContentChecksumMismatch", "InvalidDigest", "InvalidChecksum"}
_RETRYABLE_CODES = {
    "RequestTimeout",
    "SlowDown",
    "Throttling",
    "ThrottlingException",
    "InternalError",
    "ServiceUnavailable",
    "OperationAborted",
}
_UNREACHABLE = (
    bex.HTTPClientError,
    bex.ConnectionError,
    bex.ResponseStreamingError,
    bex.IncompleteReadError,
)


class S3Transport(Transport):
    """One bucket at one S3 endpoint (AWS, SeaweedFS, MinIO, ...) through boto3."""

    name = "s3"

    def __init__(
        self,
        target: UploadTarget,
        *,
        credentials: Credentials | None = None,
        max_pool_connections: int = 10,
        connect_timeout_s: float = 3,
        read_timeout_s: float = 60,
        session: boto3.Session | None = None,
    ) -> None:
        self.target = target
        self.bucket = target.bucket
        self._where = target.endpoint_url or f"AWS S3 ({target.region})"
        config = Config(
            region_name=target.region,
            signature_version="s3v4",
            # Path style for self-hosted servers (no wildcard DNS); AWS itself wants virtual hosts.
            s3={
                "addressing_style": "path" if target.endpoint_url else "virtual",
                "payload_signing_enabled": False,
            },
            request_checksum_calculation="when_required",
            response_checksum_validation="when_required",
            retries={"max_attempts": 2, "mode": "standard"},
            connect_timeout=connect_timeout_s,
            read_timeout=read_timeout_s,
            max_pool_connections=max_pool_connections,
            user_agent_extra="hindsight",
        )
        keys = {}
        if credentials is not None:
            keys = {
                "aws_access_key_id": credentials.access_key_id,
                "aws_secret_access_key": credentials.secret_access_key,
                "aws_session_token": credentials.session_token,
            }
        try:
            if session is None:
                session = boto3.Session(
                    profile_name=None if credentials else target.profile,
                    region_name=target.region,
                )
            self._client = session.client(
                "s3", endpoint_url=target.endpoint_url, config=config, **keys
            )
        except bex.ProfileNotFound:
            raise UploadConfigError(_PROFILE_MISSING.format(profile=target.profile)) from None

    @staticmethod
    def session(target: UploadTarget) -> boto3.Session:
        """A boto3 session for ``target``: to resolve credentials with, then to make the client
        from (one session, so the AWS chain and the profile are read once)."""
        try:
            return boto3.Session(profile_name=target.profile, region_name=target.region)
        except bex.ProfileNotFound:
            raise UploadConfigError(_PROFILE_MISSING.format(profile=target.profile)) from None

    def describe(self) -> str:
        return f"s3://{self.bucket} at {self._where}"

    def check_bucket(self) -> None:
        with self._calling("check_bucket"):
            self._client.head_bucket(Bucket=self.bucket)

    def create_multipart(self, key: str, *, content_type: str, metadata: Mapping[str, str]) -> str:
        with self._calling("create_multipart", key):
            answer = self._client.create_multipart_upload(
                Bucket=self.bucket,
                Key=key,
                ContentType=content_type,
                Metadata=dict(metadata),
                ChecksumAlgorithm="SHA256",
            )
        return answer["UploadId"]

    def upload_part(
        self,
        key: str,
        upload_id: str,
        part_number: int,
        data: bytes | memoryview,
        *,
        sha256_b64: str,
        limiter: RateLimiter | None = None,
    ) -> str:
        body = ThrottledReader(data, limiter)
        with self._calling("upload_part", key, upload_id):
            answer = self._client.upload_part(
                Bucket=self.bucket,
                Key=key,
                UploadId=upload_id,
                PartNumber=part_number,
                Body=body,
                ContentLength=len(body),
                ChecksumSHA256=sha256_b64,
            )
        return answer["ETag"]

    def list_parts(self, key: str, upload_id: str) -> list[RemotePart]:
        parts: list[RemotePart] = []
        with self._calling("list_parts", key, upload_id):
            pages = self._client.get_paginator("list_parts").paginate(
                Bucket=self.bucket, Key=key, UploadId=upload_id
            )
            for page in pages:
                parts.extend(
                    RemotePart(p["PartNumber"], p["ETag"], p["Size"]) for p in page.get("Parts", ())
                )
        # Stable sort: SeaweedFS lists superseded copies of a re-sent part too, in no order.
        return sorted(parts, key=lambda p: p.part_number)

    def complete_multipart(self, key: str, upload_id: str, parts: Sequence[CompletedPart]) -> None:
        listed = [
            {"PartNumber": p.part_number, "ETag": p.etag, "ChecksumSHA256": p.sha256_b64}
            for p in parts
        ]
        with self._calling("complete_multipart", key, upload_id):
            self._client.complete_multipart_upload(
                Bucket=self.bucket, Key=key, UploadId=upload_id, MultipartUpload={"Parts": listed}
            )

    def abort_multipart(self, key: str, upload_id: str) -> None:
        try:
            with self._calling("abort_multipart", key, upload_id):
                self._client.abort_multipart_upload(Bucket=self.bucket, Key=key, UploadId=upload_id)
        except UploadGone:
            pass  # already gone is what we wanted

    def put_object(
        self,
        key: str,
        data: bytes,
        *,
        content_type: str,
        metadata: Mapping[str, str],
        sha256_b64: str,
        limiter: RateLimiter | None = None,
    ) -> None:
        body = ThrottledReader(data, limiter)
        with self._calling("put_object", key):
            self._client.put_object(
                Bucket=self.bucket,
                Key=key,
                Body=body,
                ContentLength=len(body),
                ContentType=content_type,
                Metadata=dict(metadata),
                ChecksumSHA256=sha256_b64,
            )

    def head_object(self, key: str) -> RemoteObject | None:
        try:
            with self._calling("head_object", key):
                answer = self._client.head_object(Bucket=self.bucket, Key=key)
        except ObjectMissing:
            return None
        return RemoteObject(
            key,
            answer["ContentLength"],
            answer.get("ContentType"),
            {k.lower(): v for k, v in answer.get("Metadata", {}).items()},
        )

    def get_object(self, key: str) -> bytes:
        with self._calling("get_object", key):
            answer = self._client.get_object(Bucket=self.bucket, Key=key)
            with answer["Body"] as body:
                return body.read()

    def list_keys(self, prefix: str) -> list[str]:
        keys: list[str] = []
        with self._calling("list_keys", prefix):
            for page in self._client.get_paginator("list_objects_v2").paginate(
                Bucket=self.bucket, Prefix=prefix
            ):
                keys.extend(item["Key"] for item in page.get("Contents", ()))
        return sorted(keys)

    def delete_objects(self, keys: Sequence[str]) -> None:
        keys = list(keys)
        for start in range(0, len(keys), DELETE_BATCH_MAX):
            batch = keys[start : start + DELETE_BATCH_MAX]
            with self._calling("delete_objects", batch[0]):
                answer = self._client.delete_objects(
                    Bucket=self.bucket,
                    Delete={"Objects": [{"Key": k} for k in batch], "Quiet": True},
                )
            failed = [e for e in answer.get("Errors", ()) if e.get("Code") != "NoSuchKey"]
            if failed:
                first = failed[0]
                raise TransportError(
                    f"{self.describe()}: {len(failed)} of {len(batch)} deletions failed, first "
                    f"{first.get('Key')}: {first.get('Code')} {first.get('Message', '')}".rstrip()
                )

    def list_multipart_uploads(self, prefix: str) -> list[tuple[str, str]]:
        found: list[tuple[str, str]] = []
        with self._calling("list_multipart_uploads", prefix):
            pages = self._client.get_paginator("list_multipart_uploads").paginate(
                Bucket=self.bucket, Prefix=prefix
            )
            for page in pages:
                found.extend((u["Key"], u["UploadId"]) for u in page.get("Uploads", ()))
        return found

    def close(self) -> None:
        self._client.close()

    # -- error mapping ----------------------------------------------------------------

    @contextmanager
    def _calling(
        self, operation: str, key: str | None = None, upload_id: str | None = None
    ) -> Iterator[None]:
        try:
            yield
        except bex.ClientError as err:
            raise self._client_error(err, operation, key, upload_id) from None
        except bex.NoCredentialsError:
            raise CredentialsRejected(f"{self.describe()}: {NO_CREDENTIALS_MESSAGE}") from None
        except _UNREACHABLE as err:
            raise ServerUnreachable(
                f"S3 endpoint {self._where} did not answer ({type(err).__name__}); check that the "
                "server "
                "is running and the endpoint URL is right"
            ) from err
        except bex.FlexibleChecksumError:
            raise ChecksumMismatch(
                f"{self.describe()}: {key} came back with a wrong checksum; fetch it again"
            ) from None
        except bex.ParamValidationError as err:
            raise permanent_error(
                f"S3 {operation} on {self.describe()}: invalid request ({err})"
            ) from None
        except bex.BotoCoreError as err:
            raise TransportError(
                f"S3 {operation} on {self.describe()} failed: {type(err).__name__}"
            ) from err

    def _client_error(
        self, err: bex.ClientError, operation: str, key: str | None, upload_id: str | None
    ) -> TransportError:
        code = str(err.response.get("Error", {}).get("Code", ""))
        status = err.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0
        what = f"{operation} {key}" if key else operation
        if code in _CREDENTIAL_CODES or status == 403:
            # Never quote the server's message: some echo the access key id.
            return CredentialsRejected(
                f"{self._where} refused the credentials for bucket {self.bucket!r} "
                f"({code or status}); "
                "check the access key, the secret (`hindsight upload --login`) and the bucket's "
                "permissions"
            )
        if code == "NoSuchBucket" or (operation == "check_bucket" and status == 404):
            return BucketMissing(
                f"bucket {self.bucket!r} does not exist at {self._where}; "
                "create it or fix the bucket name"
            )
        if code == "NoSuchUpload":
            return UploadGone(
                f"{self._where} no longer knows multipart upload {upload_id} of {key}; it was "
                "completed, aborted or expired, so start the upload again"
            )
        if code in _CHECKSUM_CODES:
            return ChecksumMismatch(
                f"{self.describe()} rejected {key}: the bytes received do not match "
                f"their SHA-256 checksum ({code}); send them again"
            )
        if code in ("NoSuchKey", "404", "NotFound") and operation in ("head_object", "get_object"):
            return ObjectMissing(f"{self.describe()}: object {key} does not exist")
        if code in (
            "PermanentRedirect",
            "AuthorizationHeaderMalformed",
            "IllegalLocationConstraintException",
        ):
            return permanent_error(
                f"bucket {self.bucket!r} is in another region than {self.target.region} "
                f"({code}); set the upload region to the bucket's"
            )
        if code == "RequestTimeTooSkewed":
            return permanent_error(
                f"{self._where} says this computer's clock is wrong ({code}); "
                "set the clock right and try again"
            )
        message = str(err.response.get("Error", {}).get("Message", "")).strip()
        error = TransportError(
            f"S3 {what} on {self.describe()} failed: {code or status}"
            + (f" {message}" if message else "")
        )
        error.retryable = status >= 500 or status in (408, 429) or code in _RETRYABLE_CODES
        return error
