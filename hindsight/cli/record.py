"""The recorder's commands: ``record``, ``clip``, ``status`` and ``demo``."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from hindsight.recorder.config import CAPTURE_SOURCES
from hindsight.recorder.control import create_client
from hindsight.recorder.errors import ControlError, RecorderNotRunning
from hindsight.overlay.web.server import DEFAULT_PORT as LIVE_DEFAULT_PORT
from hindsight.recorder.settings import build_recorder_config, load_settings

__all__ = ["register"]

_RECORD_HELP = """\
Record the screen into an in-memory replay buffer of encoded video. Press the save
hotkey (default F8) or run `hindsight clip` in another terminal to write the last
seconds as a clip folder (video.mp4 + manifest.json). Ctrl+C stops.

Options not given here come from the [record] table of settings.toml in the user's
config folder (see `hindsight record --help` for its path), then built-in defaults.
"""


def register(sub: argparse._SubParsersAction, *, plugins: Sequence[Callable[[Path | None], Any]] = ()) -> None:
    """Add the commands; ``plugins`` make outputs (the clip library) for ``record``, given the settings file."""
    p = sub.add_parser("record", help="run a recorder in the foreground", description=_RECORD_HELP,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    what = p.add_mutually_exclusive_group()
    what.add_argument("--monitor", type=int, metavar="N", help="monitor to record, from 1 (0 = all monitors); default 1")
    what.add_argument("--region", metavar="X,Y,W,H", help="record this rectangle of the screen, in pixels")
    what.add_argument("--window", metavar="TITLE", help="record the window whose title contains TITLE")
    p.add_argument("--display", metavar=":N", help="X11 display to record (default: $DISPLAY)")
    p.add_argument("--fps", type=int, help="frames per second, constant (default 60)")
    p.add_argument("--buffer-seconds", type=int, dest="buffer_seconds", metavar="S",
                   help="how many seconds the replay buffer keeps (default 30)")
    p.add_argument("--max-buffer-mb", type=int, dest="max_buffer_mb", metavar="MB",
                   help="hard cap on the buffer's memory in MiB (default 1024)")
    p.add_argument("--encoder", help="auto (try hardware encoders, then libx264) or an encoder name, e.g. libx264")
    p.add_argument("--bitrate", help="video bitrate in FFmpeg's form, e.g. 12M or 6000k (default 12M)")
    p.add_argument("--clip-seconds", type=int, dest="clip_seconds", metavar="S",
                   help="seconds the hotkey saves (default 30, at most --buffer-seconds)")
    p.add_argument("--game", help="auto (detect the game in focus by its action map) or a game id, e.g. "
                   "valve.counter-strike-2: then only that game's input is recorded")
    p.add_argument("--maps-dir", dest="maps_dirs", action="append", type=Path, metavar="DIR",
                   help="also load action maps from DIR (repeatable); see `hindsight maps list`")
    p.add_argument("--clips-dir", dest="clips_dir", metavar="DIR", help="where clips are written (default ~/Videos/Hindsight)")
    p.add_argument("--hotkey", help="save hotkey, e.g. F8 or ctrl+shift+s (default F8)")
    p.add_argument("--no-hotkey", action="store_true", help="no global hotkey; save with `hindsight clip`")
    p.add_argument("--no-input", action="store_true",
                   help="record no input actions (video-only clips); no keyboard, mouse or controller hook")
    p.add_argument("--no-cursor", action="store_true", help="leave the mouse cursor out of the video")
    p.add_argument("--overlay-port", dest="overlay_port", type=int, default=LIVE_DEFAULT_PORT, metavar="N",
                   help=f"loopback port of the input overlay server for OBS (default {LIVE_DEFAULT_PORT}; 0: any free)")
    p.add_argument("--no-overlay-server", dest="no_overlay_server", action="store_true",
                   help="serve no input overlay (no OBS browser source, no `hindsight overlay live`)")
    p.add_argument("--capture-source", dest="capture_source", choices=CAPTURE_SOURCES,
                   help="capture backend (default auto: x11grab on X11, else mss)")
    p.add_argument("--no-library", dest="no_library", action="store_true",
                   help="do not add clips to the library or upload them (they are still saved)")
    p.add_argument("--settings", type=Path, metavar="FILE", help="settings file to read instead of the user's")
    p.set_defaults(func=cmd_record, plugin_factories=tuple(plugins))

    p = sub.add_parser("clip", help="save a clip from the running recorder now; prints the clip folder")
    p.add_argument("--seconds", type=int, metavar="N", help="save the last N seconds (default: the recorder's clip length)")
    p.add_argument("--json", action="store_true", help="print the clip's facts as JSON")
    p.set_defaults(func=cmd_clip)

    p = sub.add_parser("status", help="show the running recorder: fps, drops, buffer, encoder, last clip")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=cmd_status)

    p = sub.add_parser("demo", help="the whole pipeline on any machine (starts a virtual display if none)")
    p.add_argument("--clips-dir", dest="clips_dir", type=Path, metavar="DIR", help="where the demo clip goes")
    p.add_argument("--seconds", type=int, default=6, help="length of the demo clip (default 6)")
    p.add_argument("--size", default="1280x720", help="virtual display size when one is started (default 1280x720)")
    p.set_defaults(func=cmd_demo, plugin_factories=tuple(plugins))


def _record_overrides(args: argparse.Namespace) -> dict[str, Any]:
    keys = ("monitor", "region", "window", "display", "fps", "buffer_seconds", "max_buffer_mb", "encoder",
            "bitrate", "clip_seconds", "game", "clips_dir", "hotkey", "capture_source", "maps_dirs")
    out = {k: getattr(args, k) for k in keys}
    if args.no_input:
        out["input"] = False
    if args.no_cursor:
        out["draw_cursor"] = False
    return out


def cmd_record(args: argparse.Namespace) -> int:
    from hindsight.recorder.service import RecorderService

    settings = load_settings(args.settings) if args.settings else load_settings()
    config = build_recorder_config(_record_overrides(args), settings)
    plugins = [] if args.no_library else [make(args.settings) for make in args.plugin_factories]
    service = RecorderService(config, hotkey=not args.no_hotkey, on_event=lambda line: print(line, flush=True),
                              plugins=plugins, overlay_port=None if args.no_overlay_server else args.overlay_port)
    service.install_signal_handlers()
    service.start()
    try:
        _announce(service, config, args)
        service.run(install_signal_handlers=False)
    finally:
        service.stop()
    if service.session.error is not None:
        raise service.session.error
    print("stopped", flush=True)
    return 0


def _announce(service: Any, config: Any, args: argparse.Namespace) -> None:  # noqa: ANN401
    for problem in service.map_problems():
        print(f"hindsight: warning: {problem} (skipped; the other maps still work)", file=sys.stderr, flush=True)
    status = service.status()
    hotkey = "" if args.no_hotkey else f"{config.hotkey} or "
    actions = status.get("actions")
    inputs = (f"; actions from {actions['maps']} game maps via {', '.join(actions['input_sources'])}"
              if actions else "; input actions off")
    print(
        f"recording {status['source']} at {config.capture.fps} fps with {status['encoder']} into a "
        f"{config.ring.buffer_seconds} s buffer{inputs}; {hotkey}`hindsight clip` saves to {config.clips_dir}; "
        "Ctrl+C stops",
        flush=True,
    )
    if status.get("overlay"):
        print(f"overlay: add this OBS browser source (transparent): {status['overlay']['url']}", flush=True)


def cmd_clip(args: argparse.Namespace) -> int:
    client = create_client()
    message: dict[str, Any] = {"cmd": "clip"}
    if args.seconds is not None:
        message["seconds"] = args.seconds
    reply = _request(client, message, timeout_s=120)
    if args.json:
        print(json.dumps(reply, indent=2))
    else:
        print(reply["path"])
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    reply = _request(create_client(), {"cmd": "status"}, timeout_s=10)
    if args.json:
        print(json.dumps(reply, indent=2))
        return 0
    mb = reply["buffer_bytes"] / 2**20
    lines = [
        f"state      {reply['state']}" + (f" ({reply['error']})" if reply.get("error") else ""),
        f"source     {reply['source']}",
        f"fps        {reply['fps_captured']} captured of {reply['fps_target']} target",
        f"frames     {reply['frames']} ({reply['dup_frames']} duplicated, {reply['queue_drops']} dropped before encode)",
        f"encoder    {reply['encoder']}" + (f" ({reply['encoder_fallbacks']} fallbacks)" if reply["encoder_fallbacks"] else ""),
        f"buffer     {reply['buffer_seconds']:.1f} s of {reply['buffer_max_seconds']} s, {mb:.1f} MiB",
        f"clips      {reply['saves']} saved, {reply['save_failures']} failed, in {reply['clips_dir']}",
        f"last clip  {reply['last_clip'] or '-'}",
    ]
    actions = reply.get("actions")
    if actions:
        game = actions["game"]
        counts = actions["inputs"]
        lines.append(f"game       {game['title'] + ' (' + game['id'] + ')' if game else '-'} in context {actions['context']}")
        lines.append(
            f"inputs     {counts['translated']} translated; dropped: {counts['unmapped_dropped']} unmapped, "
            f"{counts['redacted_dropped']} in text entry, {counts['unfocused_dropped']} unfocused, "
            f"{counts['queue_dropped']} queue full"
        )
    else:
        lines.append("inputs     off (video only)")
    if reply.get("last_save_error"):
        lines.append(f"last error {reply['last_save_error']}")
    if reply.get("overlay"):
        lines.append(f"overlay    {reply['overlay']['url']}")
    for name, section in reply.items():
        # Outputs attached to the recorder (the clip library) each give their own one-line summary.
        if isinstance(section, dict) and isinstance(section.get("summary"), str):
            lines.append(f"{name:<10} {section['summary']}")
    print("\n".join(lines))
    return 0


def _request(client: Any, message: dict[str, Any], timeout_s: float) -> dict[str, Any]:
    try:
        return client.request(message, timeout_s=timeout_s)
    except RecorderNotRunning:
        raise
    except ControlError as err:
        # The recorder's one-line reason (disk full, bad --seconds) is the message to show.
        raise ControlError(str(err)) from None


def cmd_demo(args: argparse.Namespace) -> int:
    from hindsight.demo.pipeline import run_demo

    plugins = [make(None) for make in args.plugin_factories]
    return run_demo(clips_dir=args.clips_dir, seconds=args.seconds, size=args.size, out=sys.stdout, plugins=plugins)
