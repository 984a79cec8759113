"""A logging reverse proxy in front of the S3 server, so tests count what the server saw.

Every byte passes through unchanged in both directions (the Host header too: a client
that signs for the proxy's address still verifies at SeaweedFS, which signs with the
Host it receives). Two threads pump each connection; a passive HTTP/1.1 parser on
each direction finds where requests and answers begin and end (Content-Length,
chunked, interim ``100 Continue``, HEAD) and records every request with its S3
operation, key, query, status and the order of events. A request is recorded before
its first byte reaches the server, and an answer before its first byte reaches the
client, so whatever either side saw is in the log.
"""

from __future__ import annotations

import itertools
import socket
import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from urllib.parse import parse_qs, unquote, urlsplit

__all__ = ["S3Proxy", "Seen", "manifest_written_last", "writes_per_key"]

_RECV = 256 * 1024


@dataclass
class Seen:
    """One request the server was sent, and its answer once there was one."""

    method: str
    path: str
    query: dict[str, str]
    sent_seq: int
    sent_s: float
    status: int | None = None
    answered_seq: int | None = None
    answered_s: float | None = None
    headers: dict[str, str] = field(default_factory=dict)  # as sent, names in lower case

    @property
    def bucket(self) -> str:
        return self.path.lstrip("/").partition("/")[0]

    @property
    def key(self) -> str:
        """The object key (path-style addressing: ``/bucket/key``); empty for bucket requests."""
        return self.path.lstrip("/").partition("/")[2]

    @property
    def part_number(self) -> int | None:
        number = self.query.get("partNumber")
        return int(number) if number is not None else None

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300

    @property
    def operation(self) -> str:
        """The S3 API operation the request is, named as in the S3 reference."""
        q, m, key = self.query, self.method, self.key
        if m == "PUT" and key:
            return "UploadPart" if "uploadId" in q else "PutObject"
        if m == "POST" and key:
            if "uploads" in q:
                return "CreateMultipartUpload"
            if "uploadId" in q:
                return "CompleteMultipartUpload"
        if m == "DELETE" and key:
            return "AbortMultipartUpload" if "uploadId" in q else "DeleteObject"
        if m == "GET" and key:
            return "ListParts" if "uploadId" in q else "GetObject"
        if m == "HEAD":
            return "HeadObject" if key else "HeadBucket"
        if m == "POST" and "delete" in q:
            return "DeleteObjects"
        if m == "GET" and "uploads" in q:
            return "ListMultipartUploads"
        if m == "GET":
            return "ListObjects"
        return f"{m} {self.path}"

    @property
    def writes_object(self) -> bool:
        """A request that makes an object visible at its key when it succeeds."""
        return self.operation in ("PutObject", "CompleteMultipartUpload")


class _MessageStream:
    """Follows one direction of an HTTP/1.1 connection without buffering bodies.

    ``on_head(head)`` is called with each message head (start line and headers, bytes)
    and returns how its body is delimited: ``("length", n)``, ``("chunked", 0)``,
    ``("none", 0)`` or ``("close", 0)`` (until the connection closes).
    """

    def __init__(self, on_head: Callable[[bytes], tuple[str, int]]) -> None:
        self._on_head = on_head
        self._buf = b""
        self._state = "head"
        self._left = 0

    def feed(self, data: bytes) -> None:
        buf = self._buf + data
        while buf:
            if self._state == "head":
                end = buf.find(b"\r\n\r\n")
                if end < 0:
                    break
                head, buf = buf[:end], buf[end + 4 :]
                self._state, self._left = self._on_head(head)
                if self._state == "chunked":
                    self._state = "chunk-size"
                elif self._state == "none" or (self._state == "length" and self._left == 0):
                    self._state = "head"
            elif self._state in ("length", "chunk-data"):
                take = min(self._left, len(buf))
                buf, self._left = buf[take:], self._left - take
                if self._left == 0:
                    self._state = "head" if self._state == "length" else "chunk-size"
            elif self._state == "chunk-size":
                end = buf.find(b"\r\n")
                if end < 0:
                    break
                size = int(buf[:end].split(b";")[0].strip(), 16)
                buf = buf[end + 2 :]
                if size == 0:
                    self._state = "trailers"
                else:
                    self._state, self._left = "chunk-data", size + 2  # the data and its CRLF
            elif self._state == "trailers":
                end = buf.find(b"\r\n")
                if end < 0:
                    break
                line, buf = buf[:end], buf[end + 2 :]
                if not line:
                    self._state = "head"
            else:  # "close": everything up to the end of the connection is body
                buf = b""
        self._buf = buf


def _headers(head: bytes) -> tuple[str, dict[str, str]]:
    lines = head.decode("latin-1").split("\r\n")
    fields = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        fields[name.strip().lower()] = value.strip()
    return lines[0], fields


def _body_of(fields: dict[str, str], *, default: str) -> tuple[str, int]:
    if "chunked" in fields.get("transfer-encoding", "").lower():
        return "chunked", 0
    if "content-length" in fields:
        return "length", int(fields["content-length"])
    return default, 0


class _Connection:
    """One client connection relayed to the server, its requests paired with their answers."""

    def __init__(self, proxy: S3Proxy, client: socket.socket) -> None:
        self.proxy = proxy
        self.client = client
        self.upstream = socket.create_connection(proxy.upstream, timeout=None)
        self.waiting: deque[Seen] = deque()  # sent, not yet answered (HTTP/1.1 answers in order)
        self.requests = _MessageStream(self._request_head)
        self.answers = _MessageStream(self._answer_head)

    def run(self) -> None:
        up = threading.Thread(
            target=self._pump, args=(self.client, self.upstream, self.requests), daemon=True
        )
        up.start()
        self._pump(self.upstream, self.client, self.answers)
        up.join()

    def _pump(self, src: socket.socket, dst: socket.socket, stream: _MessageStream) -> None:
        parsing = True
        try:
            while True:
                data = src.recv(_RECV)
                if not data:
                    break
                if parsing:
                    try:
                        stream.feed(data)
                    except Exception as err:  # keep relaying; the test sees the error
                        self.proxy.errors.append(f"{type(err).__name__}: {err}")
                        parsing = False
                dst.sendall(data)
        except OSError:
            pass
        finally:
            # Either side gone: end both, as a broken connection does.
            for sock in (self.client, self.upstream):
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def _request_head(self, head: bytes) -> tuple[str, int]:
        start, fields = _headers(head)
        method, target, _ = start.split(" ", 2)
        parts = urlsplit(target)
        query = {k: v[0] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
        seen = self.proxy._record(method, unquote(parts.path), query, fields)
        self.waiting.append(seen)
        return _body_of(fields, default="none")

    def _answer_head(self, head: bytes) -> tuple[str, int]:
        start, fields = _headers(head)
        status = int(start.split(" ", 2)[1])
        if 100 <= status < 200:
            return "none", 0  # interim (100 Continue): the final answer follows
        seen = self.waiting.popleft() if self.waiting else None
        if seen is not None:
            self.proxy._answered(seen, status)
        if (seen is not None and seen.method == "HEAD") or status in (204, 304):
            return "none", 0
        return _body_of(fields, default="close")


class S3Proxy:
    """A threaded logging reverse proxy on 127.0.0.1 in front of ``upstream`` (host, port)."""

    def __init__(self, upstream: tuple[str, int]) -> None:
        self.upstream = upstream
        self.errors: list[str] = []
        self._seen: list[Seen] = []
        self._lock = threading.Lock()
        self._seq = itertools.count(1)
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._closed = False
        self._thread = threading.Thread(target=self._accept, name="s3-proxy", daemon=True)

    @classmethod
    def in_front_of(cls, endpoint_url: str) -> S3Proxy:
        parts = urlsplit(endpoint_url)
        return cls((parts.hostname or "127.0.0.1", parts.port or 80))

    @property
    def endpoint_url(self) -> str:
        return f"http://127.0.0.1:{self._listener.getsockname()[1]}"

    def start(self) -> S3Proxy:
        self._thread.start()
        return self

    def close(self) -> None:
        self._closed = True
        self._listener.close()

    def requests(self) -> list[Seen]:
        """A copy of everything sent so far, in the order the requests began."""
        with self._lock:
            return [Seen(**vars(s)) for s in self._seen]

    def wait_for(self, match: Callable[[Seen], bool], timeout_s: float = 60) -> Seen:
        """The first request ``match`` accepts, waiting for one to arrive."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            found = next((s for s in self.requests() if match(s)), None)
            if found is not None:
                return found
            time.sleep(0.02)
        raise AssertionError(f"the server was sent no such request within {timeout_s} s")

    def _record(
        self, method: str, path: str, query: dict[str, str], headers: dict[str, str]
    ) -> Seen:
        with self._lock:
            seen = Seen(method, path, query, next(self._seq), time.monotonic(), headers=headers)
            self._seen.append(seen)
            return seen

    def _answered(self, seen: Seen, status: int) -> None:
        with self._lock:
            seen.status, seen.answered_seq, seen.answered_s = (
                status,
                next(self._seq),
                time.monotonic(),
            )

    def _accept(self) -> None:
        while not self._closed:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _serve(self, client: socket.socket) -> None:
        try:
            connection = _Connection(self, client)
        except OSError as err:  # the server is down: the client sees a dropped connection
            self.errors.append(f"upstream {self.upstream}: {err}")
            client.close()
            return
        try:
            connection.run()
        finally:
            client.close()
            connection.upstream.close()

    def __enter__(self) -> S3Proxy:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def writes_per_key(seen: Iterable[Seen]) -> Counter[str]:
    """How many times each key was written with success (PutObject, CompleteMultipartUpload)."""
    return Counter(s.key for s in seen if s.writes_object and s.ok)


def manifest_written_last(seen: Iterable[Seen], key_prefix: str, manifest_name: str) -> bool:
    """Whether the clip under ``key_prefix`` had its manifest written exactly once, sent only
    after the server had confirmed every other file of the clip, and nothing of the clip
    was written after it."""
    name = f"{key_prefix}/{manifest_name}"
    attempts = [s for s in seen if s.writes_object and s.key.startswith(key_prefix + "/")]
    manifest = [s for s in attempts if s.key == name and s.ok]
    others = [s for s in attempts if s.key != name]
    if len(manifest) != 1 or not any(o.ok for o in others):
        return False
    last = manifest[0]
    return all(o.sent_seq < last.sent_seq for o in others) and all(
        o.answered_seq is not None and o.answered_seq < last.sent_seq for o in others if o.ok
    )
