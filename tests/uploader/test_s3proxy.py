"""The logging proxy the S3 tests count with: bytes pass unchanged, every request is
recorded with its answer, on kept-alive connections with every kind of body.
"""

from __future__ import annotations

import hashlib
import http.client
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.uploader.s3proxy import S3Proxy

MiB = 2**20


class _Echo(BaseHTTPRequestHandler):
    """Answers each request with the SHA-256 of the body it received and the Host it was sent."""

    protocol_version = "HTTP/1.1"

    def _body(self) -> bytes:
        if "chunked" in self.headers.get("Transfer-Encoding", ""):
            data = b""
            while True:
                size = int(self.rfile.readline().split(b";")[0], 16)
                if size == 0:
                    self.rfile.readline()
                    return data
                data += self.rfile.read(size)
                self.rfile.readline()
        return self.rfile.read(int(self.headers.get("Content-Length", 0)))

    def _answer(self, status: int) -> None:
        body = f"{hashlib.sha256(self._body()).hexdigest()} {self.headers['Host']}".encode()
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def do_PUT(self) -> None:
        self._answer(200)

    def do_POST(self) -> None:
        self._answer(404 if "missing" in self.path else 200)

    def do_HEAD(self) -> None:
        self._answer(200)

    def do_DELETE(self) -> None:
        self._body()
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def proxy() -> Iterator[S3Proxy]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Echo)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        with S3Proxy(("127.0.0.1", server.server_address[1])) as proxy:
            yield proxy
    finally:
        server.shutdown()
        server.server_close()


def test_bodies_pass_unchanged_and_each_request_is_counted_with_its_answer(proxy) -> None:
    port = int(proxy.endpoint_url.rsplit(":", 1)[1])
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    part = bytes(range(256)) * (8 * MiB // 256) + b"tail"
    conn.request(
        "PUT",
        "/hs-b/clips/g/c/part-file.bin?partNumber=2&uploadId=u%2B1",
        body=part,
        headers={"Expect": "100-continue"},
    )
    answer = conn.getresponse().read().decode()
    assert answer == f"{hashlib.sha256(part).hexdigest()} 127.0.0.1:{port}"  # Host as sent
    conn.request("PUT", "/hs-b/clips/g/c/whole-file.bin", body=iter([b"ab", b"cd"]))  # chunked
    assert conn.getresponse().read().decode().startswith(hashlib.sha256(b"abcd").hexdigest())
    conn.request("HEAD", "/hs-b/clips/g/c/whole-file.bin")
    head = conn.getresponse()
    assert head.status == 200 and head.read() == b""
    conn.request("DELETE", "/hs-b/clips/g/c/part-file.bin?uploadId=u%2B1")
    deleted = conn.getresponse()
    assert deleted.status == 204 and deleted.read() == b""
    conn.request("POST", "/hs-b/missing?uploadId=x", body=b"<x/>")
    assert conn.getresponse().read()
    conn.close()
    seen = proxy.requests()
    assert [(s.operation, s.key, s.status) for s in seen] == [
        ("UploadPart", "clips/g/c/part-file.bin", 200),
        ("PutObject", "clips/g/c/whole-file.bin", 200),
        ("HeadObject", "clips/g/c/whole-file.bin", 200),
        ("AbortMultipartUpload", "clips/g/c/part-file.bin", 204),
        ("CompleteMultipartUpload", "missing", 404),
    ]
    assert seen[0].part_number == 2 and seen[0].query["uploadId"] == "u+1"
    assert [s.bucket for s in seen] == ["hs-b"] * 5
    order = [n for s in seen for n in (s.sent_seq, s.answered_seq)]
    assert order == sorted(order)  # one connection: each answer before the next request
    assert proxy.errors == []
