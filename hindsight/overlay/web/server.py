"""The live overlay server: the OBS browser source page, action events (SSE), the game's layout and
scenes.

It binds 127.0.0.1 only and every request must carry the user's token
(``?token=``), else 403. Routes:

- ``/overlay?token=..&template=keyboard_mouse``: the browser source page
  (``static/overlay.html``; transparent canvas; no template: the game's own choice);
- ``/overlay.js?token=..``: its script (``static/overlay.js``), a generic painter of scenes;
- ``/scene?token=..&template=..``: the template laid out for the focused game, as the
  primitives the Qt templates paint too (:mod:`hindsight.overlay.model.templates`);
- ``/events?token=..``: Server-Sent Events with action names and values only
  (``action``, ``state``, ``context``, ``layout`` events), never a key or a character;
- ``/layout?token=..``: the focused (or last focused) game's actions and the default
  binding's key caps to light, from the shipped action map (the overlay window reads it).

Each events client is one thread reading its own bounded subscription of the
capture's fan-out; a client that falls behind loses events (counted) and is sent a
fresh ``state`` snapshot from the timeline instead. Without an action capture
(``--no-input``) the server still serves the page, with the fallback layout.
"""

from __future__ import annotations

import errno
import hmac
import html
import json
import logging
import threading
import time
from dataclasses import asdict
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, quote, urlsplit

from hindsight.actionmap.model import ActionKind, ActionMap
from hindsight.clock import now_ns
from hindsight.overlay.model.layout import OverlayLayout, build_layout
from hindsight.overlay.model.state import ARROWS, StateConfig
from hindsight.overlay.model.templates import build_scene
from hindsight.overlay.model.theme import BASE_UNIT_PX, DEFAULT_TEMPLATE, TEMPLATE_NAMES
from hindsight.overlay.web import DEFAULT_PORT
from hindsight.overlay.web.token import load_or_create_token
from hindsight.recorder.actions.events import VALUE, ActionEvent, ContextEvent
from hindsight.recorder.errors import ConfigError

if TYPE_CHECKING:
    from hindsight.recorder.actions.capture import ActionCapture

__all__ = ["DEFAULT_PORT", "HOST", "LiveServer", "fallback_layout", "check_port"]

log = logging.getLogger(__name__)

HOST = "127.0.0.1"
_HEARTBEAT_S = 10.0
_BATCH_S = 0.008  # events arriving within this are sent together (mouse motion is coalesced)
_ALLOWED_HOSTS = ("127.0.0.1", "localhost")
_TOKEN_MARK = "__TOKEN__"


def check_port(port: int) -> int:
    if not 0 <= port <= 65535:
        raise ConfigError(f"--overlay-port {port}: must be 0..65535 (0: any free port)")
    return port


def _static(name: str) -> bytes:
    """A file of the page, read with importlib.resources so a frozen app finds it too."""
    return resources.files("hindsight.overlay.web").joinpath("static", name).read_bytes()


def fallback_layout() -> OverlayLayout:
    """Shown before any game had focus: the demo game's plain WASD + mouse, so OBS has something to
    place."""
    from hindsight.actionmap.load import load_map
    from hindsight.actionmap.registry import SHIPPED_DIR

    layout = build_layout(load_map(SHIPPED_DIR / "hindsight.demo-game.toml"))
    return OverlayLayout(
        None,
        None,
        layout.template,
        layout.contexts,
        layout.actions,
        layout.keys,
        layout.keys_w,
        layout.keys_h,
        layout.mouse,
        layout.pad,
    )


class LiveServer:
    """The loopback HTTP server of one recorder run; see the module docstring."""

    def __init__(
        self, capture: ActionCapture | None, *, port: int = DEFAULT_PORT, token: str | None = None
    ) -> None:
        self.capture = capture  # None: no input capture, the page shows the fallback layout unlit
        self.requested_port = check_port(port)
        self.token = token or load_or_create_token()
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self._map: ActionMap | None = None
        self._layout: OverlayLayout = fallback_layout()
        self.layout_version = 0
        self.clients = 0
        self.resyncs = 0

    # ---- lifecycle -------------------------------------------------------------------

    def start(self) -> LiveServer:
        try:
            httpd = _Httpd((HOST, self.requested_port), _Handler)
        except OSError as err:
            if err.errno != errno.EADDRINUSE or self.requested_port == 0:
                raise ConfigError(
                    f"cannot start the overlay server on {HOST}:{self.requested_port}: "
                    f"{err.strerror or err}"
                ) from None
            # Another program (or recorder) has the port: overlays still work on a free one.
            log.warning("overlay port %d is in use; using a free port instead", self.requested_port)
            httpd = _Httpd((HOST, 0), _Handler)
        httpd.live = self
        self._httpd = httpd
        self._thread = threading.Thread(
            target=httpd.serve_forever,
            kwargs={"poll_interval": 0.2},
            name="hindsight-live",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None
        if self._thread is not None:
            self._thread.join(5)

    @property
    def port(self) -> int:
        return self._httpd.server_address[1] if self._httpd is not None else 0

    def url(self, template: str = DEFAULT_TEMPLATE) -> str:
        return f"http://{HOST}:{self.port}/overlay?token={self.token}&template={template}"

    def status(self) -> dict[str, Any]:
        return {
            "url": self.url(),
            "port": self.port,
            "input": self.capture is not None,
            "clients": self.clients,
            "subscribers": self.capture.fanout.subscribers if self.capture is not None else 0,
            "events_dropped": self.capture.fanout.dropped if self.capture is not None else 0,
            "resyncs": self.resyncs,
        }

    # ---- layout ----------------------------------------------------------------------

    def note_map(self, amap: ActionMap | None) -> bool:
        """The game now in focus; returns True when the layout changed."""
        if amap is None or self.capture is None:
            return False  # unfocused: keep showing the last game's layout
        registry = self.capture.registry
        if amap.extends and amap.extends in registry:
            amap = registry.base(amap.extends)  # never a user's own rebinding: the shipped keys
        with self._lock:
            if (
                self._map is not None
                and self._map.id == amap.id
                and self._map.sha256 == amap.sha256
            ):
                return False
            self._map = amap
            self._layout = build_layout(amap)
            self.layout_version += 1
            return True

    def layout(self) -> tuple[int, OverlayLayout]:
        if self.capture is not None:
            self.note_map(self.capture.game)
        with self._lock:
            return self.layout_version, self._layout

    def snapshot(self) -> dict[str, Any]:
        """What stands now (context, held buttons, axis values), from the timeline."""
        if self.capture is None:
            return {
                "context": "unfocused",
                "recorded": False,
                "held": [],
                "values": {},
                "layout": self.layout()[0],
            }
        t = now_ns()
        state = self.capture.timeline.cut(t, t).initial
        kinds = {a.name: a.kind for a in state.context.amap.actions} if state.context.amap else {}
        return {
            "context": state.context.context,
            "recorded": state.context.recorded,
            "held": sorted(a for a, held in state.held.items() if held),
            "values": {
                a: [round(x, 4), round(y, 4)]
                for a, (x, y) in state.values.items()
                if kinds.get(a) in (ActionKind.AXIS1D, ActionKind.AXIS2D)
            },
            "layout": self.layout()[0],
        }


def _page_constants() -> dict[str, Any]:
    """What the page needs beside the scene: the unit at scale 1 and the live state's rules."""
    return {"unit_px": BASE_UNIT_PX, "state": asdict(StateConfig()), "arrows": list(ARROWS)}


class _Httpd(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    live: LiveServer


def _event_json(event: ActionEvent | ContextEvent, t0_ns: int) -> tuple[str, dict[str, Any]]:
    if isinstance(event, ContextEvent):
        return "context", {
            "context": event.context,
            "recorded": event.recorded,
            "game": event.amap.id if event.amap else None,
        }
    return "action", {
        "t_ms": (event.t_ns - t0_ns) // 1_000_000,
        "action": event.action,
        "edge": event.edge,
        "x": round(event.x, 4),
        "y": round(event.y, 4),
    }


def _coalesce(events: list[Any], deltas: set[str]) -> list[Any]:
    """Sum runs of mouse-look deltas (one event per motion) into one event per run."""
    out: list[Any] = []
    for e in events:
        prev = out[-1] if out else None
        if (
            isinstance(e, ActionEvent)
            and e.action in deltas
            and isinstance(prev, ActionEvent)
            and prev.action == e.action
        ):
            out[-1] = ActionEvent(e.t_ns, e.action, VALUE, prev.x + e.x, prev.y + e.y)
        else:
            out.append(e)
    return out


class _Handler(BaseHTTPRequestHandler):
    server: _Httpd
    protocol_version = "HTTP/1.1"
    server_version = "hindsight-live"
    sys_version = ""

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        # URLs carry the token: never log them.
        log.debug("live request %s", self.command)

    def do_GET(self) -> None:  # noqa: N802
        live = self.server.live
        url = urlsplit(self.path)
        query = parse_qs(url.query)
        host = (self.headers.get("Host") or "").rsplit(":", 1)[0].strip("[]")
        if host not in _ALLOWED_HOSTS:
            # A page on another site that rebinds its name to 127.0.0.1 sends its own Host.
            return self._plain(403, "forbidden")
        token = (query.get("token") or [""])[0]
        if not hmac.compare_digest(token.encode(), live.token.encode()):
            return self._plain(403, "forbidden: this URL needs the token `hindsight status` shows")
        template = (query.get("template") or [""])[0]
        if template and template not in TEMPLATE_NAMES:
            return self._plain(404, f"unknown template; one of {', '.join(TEMPLATE_NAMES)}")
        if url.path == "/overlay":
            # The page's script is requested with the token the page was opened with.
            page = (
                _static("overlay.html")
                .decode()
                .replace(_TOKEN_MARK, html.escape(quote(live.token)))
            )
            return self._send(200, "text/html; charset=utf-8", page.encode())
        if url.path == "/overlay.js":
            return self._send(200, "text/javascript; charset=utf-8", _static("overlay.js"))
        if url.path == "/scene":
            version, layout = live.layout()
            scene = build_scene(template or layout.template, layout)
            body = json.dumps({"version": version, **scene.to_json(), **_page_constants()}).encode()
            return self._send(200, "application/json", body)
        if url.path == "/layout":
            version, layout = live.layout()
            body = json.dumps({"version": version, **layout.to_json()}).encode()
            return self._send(200, "application/json", body)
        if url.path == "/events":
            return self._events(live)
        return self._plain(404, "not found")

    def do_POST(self) -> None:  # noqa: N802
        self._plain(405, "method not allowed")

    do_PUT = do_DELETE = do_POST  # noqa: N815

    def _headers(self, code: int, ctype: str, length: int | None) -> None:
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        if length is not None:
            self.send_header("Content-Length", str(length))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Referrer-Policy", "no-referrer")
        self.send_header(
            "Content-Security-Policy",
            "default-src 'none'; script-src 'self'; style-src 'unsafe-inline'; "
            "connect-src 'self'; img-src 'none'",
        )
        self.end_headers()

    def _send(self, code: int, ctype: str, body: bytes) -> None:
        self._headers(code, ctype, len(body))
        self.wfile.write(body)

    def _plain(self, code: int, text: str) -> None:
        self._send(code, "text/plain; charset=utf-8", (text + "\n").encode())

    def _events(self, live: LiveServer) -> None:
        capture = live.capture
        if capture is None:
            return self._idle_events(live)
        sub = capture.fanout.subscribe()
        live.clients += 1
        self.close_connection = True
        t0_ns = now_ns()
        try:
            self._headers(200, "text/event-stream", None)
            state = live.snapshot()
            self._write("state", state)
            sent_layout = state["layout"]
            seen_dropped = 0
            last_write = time.monotonic()
            while not live._stopping.is_set():
                first = sub.get(0.25)
                if first is None:
                    if time.monotonic() - last_write > _HEARTBEAT_S:
                        self.wfile.write(b": keep-alive\n\n")
                        self.wfile.flush()
                        last_write = time.monotonic()
                    continue
                time.sleep(_BATCH_S)
                batch = [first, *sub.drain()]
                if sub.dropped != seen_dropped:
                    # Events were lost for this slow client: its picture of what is held is stale.
                    seen_dropped = sub.dropped
                    live.resyncs += 1
                    state = live.snapshot()
                    self._write("state", state)
                    sent_layout = state["layout"]
                    continue
                deltas = {a.name for a in live.layout()[1].actions if a.kind == ActionKind.DELTA2D}
                for event in _coalesce(batch, deltas):
                    if isinstance(event, ContextEvent):
                        live.note_map(event.amap)
                        if live.layout_version != sent_layout:
                            sent_layout = live.layout_version
                            self._write("layout", {"version": sent_layout}, flush=False)
                    name, data = _event_json(event, t0_ns)
                    self._write(name, data, flush=False)
                self.wfile.flush()
                last_write = time.monotonic()
        except (BrokenPipeError, ConnectionResetError, TimeoutError, OSError):
            pass  # the page was closed
        finally:
            capture.fanout.unsubscribe(sub)
            live.clients -= 1

    def _idle_events(self, live: LiveServer) -> None:
        """Without input capture: the state once, then keep-alives, so the page stays connected."""
        live.clients += 1
        self.close_connection = True
        try:
            self._headers(200, "text/event-stream", None)
            self._write("state", live.snapshot())
            while not live._stopping.wait(_HEARTBEAT_S):
                self.wfile.write(b": keep-alive\n\n")
                self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError, TimeoutError, OSError):
            pass
        finally:
            live.clients -= 1

    def _write(self, name: str, data: dict[str, Any], flush: bool = True) -> None:
        self.wfile.write(
            f"event: {name}\ndata: {json.dumps(data, separators=(',', ':'))}\n\n".encode()
        )
        if flush:
            self.wfile.flush()
