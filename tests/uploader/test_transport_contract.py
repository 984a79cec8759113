"""One contract, two transports: MemoryTransport and S3Transport against a real SeaweedFS.

Where the two legitimately differ the test says so and asserts what each really does:

* SeaweedFS verifies ``ChecksumSHA256`` on UploadPart and PutObject and answers
  ``BadDigest`` (with a misleading Content-MD5 message); both transports raise
  ChecksumMismatch and store nothing.
* SeaweedFS keeps superseded copies of a re-sent part and ``list_parts`` lists them all
  (in no order) until completion; completion uses the etag given, so the result is right.
* Completing an already completed upload succeeds again on both (like AWS), and leaves
  the object unchanged; aborting a completed or unknown upload is not an error.
"""

from __future__ import annotations

import os
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from hindsight.uploader.config import UploadTarget
from hindsight.uploader.credentials import Credentials
from hindsight.uploader.errors import (
    BucketMissing,
    ChecksumMismatch,
    CredentialsRejected,
    ServerUnreachable,
    UploadConfigError,
    UploadGone,
)
from hindsight.uploader.ratelimit import RateLimiter
from hindsight.uploader.transport import (
    CompletedPart,
    MemoryTransport,
    ObjectMissing,
    Transport,
    create_transport,
    forget_memory_buckets,
    memory_bucket,
    sha256_b64,
)
from hindsight.uploader.transport.s3 import NO_CREDENTIALS_MESSAGE, S3Transport
from tests.uploader.conftest import new_bucket_name
from tests.uploader.s3server import free_ports

MiB = 2**20
PART = 5 * MiB
META = {"clip-id": "01HX", "Game": "celeste"}


@pytest.fixture(params=["memory", "s3"])
def transport(request) -> Transport:
    if request.param == "memory":
        yield MemoryTransport("hs-contract")
        return
    target = request.getfixturevalue("s3_target")
    with S3Transport(target) as s3:  # credentials from the AWS env vars the fixture set
        yield s3


def key(name: str) -> str:
    return f"clips/game/clip/{name}"


def upload(t: Transport, k: str, upload_id: str, number: int, data: bytes, **kw) -> CompletedPart:
    checksum = sha256_b64(data)
    return CompletedPart(
        number, t.upload_part(k, upload_id, number, data, sha256_b64=checksum, **kw), checksum
    )


def test_multipart_roundtrip(transport):
    data = os.urandom(2 * PART + 1000)
    chunks = [data[:PART], data[PART : 2 * PART], data[2 * PART :]]
    k = key("video.mp4")
    upload_id = transport.create_multipart(k, content_type="video/mp4", metadata=META)
    assert transport.list_multipart_uploads("clips/") == [(k, upload_id)]
    with ThreadPoolExecutor(3) as pool:  # parts go out in parallel in the engine too
        parts = list(
            pool.map(lambda n: upload(transport, k, upload_id, n, chunks[n - 1]), (1, 2, 3))
        )
    transport.complete_multipart(k, upload_id, parts)
    assert transport.get_object(k) == data
    head = transport.head_object(k)
    assert (head.key, head.size, head.content_type) == (k, len(data), "video/mp4")
    assert head.metadata == {"clip-id": "01HX", "game": "celeste"}  # names come back lower case
    assert transport.list_multipart_uploads("clips/") == []


def test_resending_a_part_replaces_it(transport):
    k = key("resend.mp4")
    first, second = os.urandom(PART), os.urandom(PART)
    upload_id = transport.create_multipart(k, content_type="video/mp4", metadata={})
    old = upload(transport, k, upload_id, 1, first)
    new = upload(transport, k, upload_id, 1, second)
    tail = upload(transport, k, upload_id, 2, b"tail")
    listed = transport.list_parts(k, upload_id)
    etags_of_1 = {p.etag for p in listed if p.part_number == 1}
    if isinstance(transport, MemoryTransport):
        assert [(p.part_number, p.etag, p.size) for p in listed] == [
            (1, new.etag, PART),
            (2, tail.etag, 4),
        ]
    else:
        # SeaweedFS lists the superseded copy as well (see the module docstring).
        assert new.etag in etags_of_1 and etags_of_1 <= {old.etag, new.etag}
    transport.complete_multipart(k, upload_id, [new, tail])
    assert transport.get_object(k) == second + b"tail"


def test_list_parts_after_two_of_three(transport):
    k = key("partial.mp4")
    upload_id = transport.create_multipart(k, content_type="video/mp4", metadata={})
    done = [upload(transport, k, upload_id, n, bytes([n]) * PART) for n in (1, 2)]
    listed = transport.list_parts(k, upload_id)
    assert [(p.part_number, p.etag, p.size) for p in listed] == [
        (1, done[0].etag, PART),
        (2, done[1].etag, PART),
    ]


def test_upload_gone_after_complete(transport):
    k = key("done.mp4")
    upload_id = transport.create_multipart(k, content_type="video/mp4", metadata={})
    part = upload(transport, k, upload_id, 1, b"only part")
    transport.complete_multipart(k, upload_id, [part])
    with pytest.raises(UploadGone, match="start the upload again"):
        transport.list_parts(k, upload_id)
    with pytest.raises(UploadGone):
        upload(transport, k, upload_id, 2, b"late")
    # Completing twice is harmless on both (a lost answer to the first complete is retried).
    transport.complete_multipart(k, upload_id, [part])
    assert transport.get_object(k) == b"only part"
    transport.abort_multipart(k, upload_id)  # not an error either
    assert transport.get_object(k) == b"only part"


def test_upload_gone_after_abort(transport):
    k = key("aborted.mp4")
    upload_id = transport.create_multipart(k, content_type="video/mp4", metadata={})
    part = upload(transport, k, upload_id, 1, b"x" * 100)
    transport.abort_multipart(k, upload_id)
    with pytest.raises(UploadGone):
        transport.list_parts(k, upload_id)
    with pytest.raises(UploadGone):
        upload(transport, k, upload_id, 2, b"late")
    with pytest.raises(UploadGone):
        transport.complete_multipart(k, upload_id, [part])
    transport.abort_multipart(k, upload_id)  # twice is fine
    transport.abort_multipart(k, "no-such-upload-id")
    assert transport.list_multipart_uploads("") == []
    assert transport.head_object(k) is None


def test_put_head_get_list_delete(transport):
    keys = [key("a.mp4"), key("manifest.json"), "clips/game/other/a.mp4", "clipsx/z", "else/y"]
    for n, k in enumerate(keys):
        body = f"body {n}".encode()
        transport.put_object(
            k,
            body,
            content_type="application/json",
            metadata={"n": str(n)},
            sha256_b64=sha256_b64(body),
        )
    head = transport.head_object(keys[1])
    assert (head.size, head.content_type, head.metadata) == (6, "application/json", {"n": "1"})
    assert transport.get_object(keys[2]) == b"body 2"
    assert transport.list_keys("clips/") == sorted(keys[:3])
    assert transport.list_keys("clips/game/clip/") == sorted(keys[:2])
    assert transport.list_keys("") == sorted(keys)
    transport.delete_objects([keys[0], keys[1], "clips/never/was"])
    assert transport.list_keys("clips/") == [keys[2]]
    assert transport.head_object(keys[0]) is None
    transport.delete_objects([])


def test_delete_goes_in_batches_of_1000(transport):
    present = [f"clips/g/c{n}/f" for n in range(3)]
    for k in present:
        transport.put_object(
            k, b"1", content_type="text/plain", metadata={}, sha256_b64=sha256_b64(b"1")
        )
    batches = []
    if isinstance(transport, MemoryTransport):

        def count() -> int:
            return transport.requests["delete_objects"]
    else:
        transport._client.meta.events.register(
            "before-call.s3.DeleteObjects", lambda params, **_: batches.append(len(params["body"]))
        )

        def count() -> int:
            return len(batches)

    transport.delete_objects([f"clips/missing/{n}" for n in range(1001)] + present)
    assert count() == 2
    assert transport.list_keys("clips/") == []


def test_missing_object(transport):
    assert transport.head_object(key("nothing.mp4")) is None
    with pytest.raises(ObjectMissing, match="does not exist"):
        transport.get_object(key("nothing.mp4"))
    assert transport.list_keys("clips/nothing/") == []


def test_wrong_checksum_is_rejected(transport):
    # SeaweedFS really verifies x-amz-checksum-sha256 on both calls (answering BadDigest).
    k = key("bad.mp4")
    upload_id = transport.create_multipart(k, content_type="video/mp4", metadata={})
    with pytest.raises(ChecksumMismatch, match="SHA-256"):
        transport.upload_part(k, upload_id, 1, b"a" * 1000, sha256_b64=sha256_b64(b"b" * 1000))
    assert transport.list_parts(k, upload_id) == []  # nothing kept of the bad part
    good = upload(transport, k, upload_id, 1, b"a" * 1000)
    transport.complete_multipart(k, upload_id, [good])
    with pytest.raises(ChecksumMismatch):
        transport.put_object(
            key("bad.json"),
            b"{}",
            content_type="application/json",
            metadata={},
            sha256_b64=sha256_b64(b"[]"),
        )
    assert transport.head_object(key("bad.json")) is None


def test_missing_bucket(transport, request):
    if isinstance(transport, MemoryTransport):
        missing = MemoryTransport("hs-missing", exists=False)
    else:
        seaweed = request.getfixturevalue("seaweed")
        missing = S3Transport(
            UploadTarget(bucket=new_bucket_name(), endpoint_url=seaweed.endpoint_url)
        )
    transport.check_bucket()
    with pytest.raises(BucketMissing, match="create it or fix the bucket name") as err:
        missing.check_bucket()
    assert err.value.retryable is False
    with pytest.raises(BucketMissing):
        missing.check_bucket()  # and checking did not create it


def test_limiter_paces_the_body(transport):
    k = key("paced.mp4")
    upload_id = transport.create_multipart(k, content_type="video/mp4", metadata={})
    start = time.monotonic()
    upload(transport, k, upload_id, 1, bytes(MiB), limiter=RateLimiter(4 * MiB))
    assert time.monotonic() - start >= 0.2  # 1 MiB at 4 MiB/s, less the small burst


def test_body_is_read_exactly_once(transport):
    class Counting(RateLimiter):
        paid = 0

        def acquire(self, n: int) -> float:
            Counting.paid += n
            return 0.0

    k = key("once.mp4")
    upload_id = transport.create_multipart(k, content_type="video/mp4", metadata={})
    upload(transport, k, upload_id, 1, bytes(PART), limiter=Counting(10**9))
    assert Counting.paid == PART  # no hashing pass for payload signing, no checksum pass
    Counting.paid = 0
    transport.put_object(
        key("once.json"),
        b"{}" * 1000,
        content_type="application/json",
        metadata={},
        sha256_b64=sha256_b64(b"{}" * 1000),
        limiter=Counting(10**9),
    )
    assert Counting.paid == 2000


# -- S3 only: credentials and reachability --------------------------------------------


def test_wrong_secret_is_rejected_without_showing_it(s3_target, seaweed):
    secret = "wrong-secret-" + "z" * 20
    creds = Credentials(seaweed.access_key, secret)
    with S3Transport(s3_target, credentials=creds) as s3:
        for call in (
            s3.check_bucket,
            lambda: s3.put_object(
                key("x"), b"1", content_type="text/plain", metadata={}, sha256_b64=sha256_b64(b"1")
            ),
        ):
            with pytest.raises(CredentialsRejected, match="refused the credentials") as err:
                call()
            shown = (
                str(err.value)
                + repr(err.value)
                + repr(err.value.__cause__)
                + repr(err.value.__context__)
            )
            assert secret not in shown and seaweed.access_key not in shown
            assert err.value.retryable is False
    with S3Transport(s3_target, credentials=Credentials("AKIDUNKNOWN", secret)) as s3:
        with pytest.raises(CredentialsRejected) as err:
            s3.list_keys("")
        assert "AKIDUNKNOWN" not in str(err.value)


def test_no_credentials_at_all(s3_target, monkeypatch):
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    with S3Transport(s3_target) as s3:
        with pytest.raises(CredentialsRejected) as err:
            s3.check_bucket()
    assert NO_CREDENTIALS_MESSAGE in str(err.value)


def test_server_not_listening_is_unreachable_quickly():
    (port,) = free_ports(1)
    target = UploadTarget(bucket="hs-nowhere", endpoint_url=f"http://127.0.0.1:{port}")
    start = time.monotonic()
    with S3Transport(target, credentials=Credentials("AKID", "secret")) as s3:
        with pytest.raises(ServerUnreachable, match=f"127.0.0.1:{port} did not answer") as err:
            s3.check_bucket()
    assert time.monotonic() - start < 10
    assert err.value.retryable is True


def test_server_killed_mid_part_then_back(restartable_seaweed):
    server = restartable_seaweed
    bucket = new_bucket_name()
    server.create_bucket(bucket)
    target = UploadTarget(bucket=bucket, endpoint_url=server.endpoint_url)
    k = key("outage.mp4")
    first, second = os.urandom(PART), os.urandom(PART)
    with S3Transport(target, connect_timeout_s=1, read_timeout_s=5) as s3:
        upload_id = s3.create_multipart(k, content_type="video/mp4", metadata={})
        done = upload(s3, k, upload_id, 1, first)
        with ThreadPoolExecutor(1) as pool:
            # Paced to ~1 s so the server dies while the part is on the wire.
            pending = pool.submit(upload, s3, k, upload_id, 2, second, limiter=RateLimiter(5 * MiB))
            time.sleep(0.3)
            server.kill()
            with pytest.raises(ServerUnreachable):
                pending.result(timeout=30)
        server.start()
        assert [(p.part_number, p.etag) for p in s3.list_parts(k, upload_id)] == [(1, done.etag)]
        again = upload(s3, k, upload_id, 2, second)
        s3.complete_multipart(k, upload_id, [done, again])
        assert s3.get_object(k) == first + second


# -- the chooser ---------------------------------------------------------------------------


def test_create_transport_honours_the_env(monkeypatch, s3_target):
    forget_memory_buckets()
    monkeypatch.setenv("HINDSIGHT_TRANSPORT", "memory")
    one = create_transport(s3_target)
    assert isinstance(one, MemoryTransport) and one is create_transport(s3_target)
    assert one is memory_bucket(s3_target.bucket)
    monkeypatch.setenv("HINDSIGHT_TRANSPORT", "ftp")
    with pytest.raises(UploadConfigError, match="expected one of s3, memory"):
        create_transport(s3_target)
    monkeypatch.delenv("HINDSIGHT_TRANSPORT")
    with create_transport(s3_target) as s3:
        assert isinstance(s3, S3Transport)
        s3.check_bucket()
        assert "secret" not in s3.describe() and s3_target.bucket in s3.describe()
    forget_memory_buckets()
