"""The ``record`` command: a recorder in the foreground."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hindsight.cli.status import sound_summary
from hindsight.overlay.web import DEFAULT_PORT as LIVE_DEFAULT_PORT
from hindsight.recorder.config import CAPTURE_SOURCES, DEFAULTS, format_bitrate

if TYPE_CHECKING:
    from hindsight.recorder.service import RecorderService

__all__ = ["register"]

_RECORD_HELP = f"""\
Record the screen into an in-memory replay buffer of encoded video. Press the save
hotkey (default {DEFAULTS.hotkey}) or run `hindsight clip` in another terminal to write the last
seconds as a clip folder (video.mp4 + manifest.json). Ctrl+C stops.

Options not given here come from the [record] table of settings.toml in the user's
config folder (see `hindsight record --help` for its path), then built-in defaults.
"""


def register(sub: argparse._SubParsersAction) -> None:
    """Add the command."""
    p = sub.add_parser(
        "record",
        help="run a recorder in the foreground",
        description=_RECORD_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    what = p.add_mutually_exclusive_group()
    what.add_argument(
        "--monitor",
        type=int,
        metavar="N",
        help=f"monitor to record, from 1 (0 = all monitors); default {DEFAULTS.monitor}",
    )
    what.add_argument(
        "--region", metavar="X,Y,W,H", help="record this rectangle of the screen, in pixels"
    )
    what.add_argument(
        "--window", metavar="TITLE", help="record the window whose title contains TITLE"
    )
    p.add_argument("--display", metavar=":N", help="X11 display to record (default: $DISPLAY)")
    p.add_argument("--fps", type=int, help=f"frames per second, constant (default {DEFAULTS.fps})")
    p.add_argument(
        "--buffer-seconds",
        type=int,
        dest="buffer_seconds",
        metavar="S",
        help=f"how many seconds the replay buffer keeps (default {DEFAULTS.buffer_seconds})",
    )
    p.add_argument(
        "--max-buffer-mb",
        type=int,
        dest="max_buffer_mb",
        metavar="MB",
        help=f"hard cap on the buffer's memory in MiB (default {DEFAULTS.max_buffer_mb})",
    )
    p.add_argument(
        "--encoder",
        help="auto (try hardware encoders, then libx264) or an encoder name, e.g. libx264",
    )
    p.add_argument(
        "--bitrate",
        help="video bitrate in bits per second, in FFmpeg's form, e.g. 12M or 6000k "
        f"(default {format_bitrate(DEFAULTS.bitrate_bps)})",
    )
    p.add_argument(
        "--clip-seconds",
        type=int,
        dest="clip_seconds",
        metavar="S",
        help=(
            f"seconds the hotkey saves (default {DEFAULTS.clip_seconds}, at most --buffer-seconds)"
        ),
    )
    p.add_argument(
        "--game",
        help="auto (detect the game in focus by its action map) or a game id, e.g. "
        "valve.counter-strike-2: then only that game's input is recorded",
    )
    p.add_argument(
        "--maps-dir",
        dest="maps_dirs",
        action="append",
        type=Path,
        metavar="DIR",
        help="also load action maps from DIR (repeatable); see `hindsight maps list`",
    )
    p.add_argument(
        "--clips-dir",
        dest="clips_dir",
        metavar="DIR",
        help=f"where clips are written (default {DEFAULTS.clips_dir})",
    )
    p.add_argument(
        "--hotkey", help=f"save hotkey, e.g. F8 or ctrl+shift+s (default {DEFAULTS.hotkey})"
    )
    p.add_argument(
        "--no-hotkey", action="store_true", help="no global hotkey; save with `hindsight clip`"
    )
    p.add_argument(
        "--no-input",
        action="store_true",
        help="record no input actions (video-only clips); no keyboard, mouse or controller hook",
    )
    p.add_argument(
        "--no-cursor", action="store_true", help="leave the mouse cursor out of the video"
    )
    p.add_argument(
        "--overlay-port",
        dest="overlay_port",
        type=int,
        default=LIVE_DEFAULT_PORT,
        metavar="N",
        help=(
            "loopback port of the input overlay server for OBS "
            f"(default {LIVE_DEFAULT_PORT}; 0: any free)"
        ),
    )
    p.add_argument(
        "--no-overlay-server",
        dest="no_overlay_server",
        action="store_true",
        help="serve no input overlay (no OBS browser source, no `hindsight overlay live`)",
    )
    sound = p.add_argument_group(
        "sound",
        "a clip's audio tracks: 1 Mix, 2 System audio, 3 Microphone (only when named);\n"
        "the [audio] table of settings.toml sets the same",
    )
    sound.add_argument(
        "--audio",
        metavar="TRACKS",
        help="what to record: system, system,mic, mic or none "
        f"(default {DEFAULTS.audio}; the microphone only when named)",
    )
    sound.add_argument(
        "--audio-device",
        dest="audio_device",
        metavar="NAME",
        help="the output whose sound to record (default: the default output); "
        "`hindsight audio devices` lists names",
    )
    sound.add_argument(
        "--mic-device",
        dest="mic_device",
        metavar="NAME",
        help="the microphone to record with --audio ...,mic (default: the default input)",
    )
    p.add_argument(
        "--capture-source",
        dest="capture_source",
        choices=CAPTURE_SOURCES,
        help="capture backend (default auto: x11grab on X11, else mss)",
    )
    p.add_argument(
        "--no-library",
        dest="no_library",
        action="store_true",
        help="do not add clips to the library or upload them (they are still saved)",
    )
    p.add_argument(
        "--settings", type=Path, metavar="FILE", help="settings file to read instead of the user's"
    )
    p.set_defaults(func=cmd_record)


def _record_overrides(args: argparse.Namespace) -> dict[str, Any]:
    keys = (
        "monitor",
        "region",
        "window",
        "display",
        "fps",
        "buffer_seconds",
        "max_buffer_mb",
        "encoder",
        "bitrate",
        "clip_seconds",
        "game",
        "clips_dir",
        "hotkey",
        "capture_source",
        "maps_dirs",
        "audio",
        "audio_device",
        "mic_device",
    )
    out = {k: getattr(args, k) for k in keys}
    if args.no_input:
        out["input"] = False
    if args.no_cursor:
        out["draw_cursor"] = False
    return out


def cmd_record(args: argparse.Namespace) -> int:
    from hindsight.app.compose import RecorderPlan, compose_recorder

    plan = RecorderPlan(
        settings_file=args.settings,
        overrides=_record_overrides(args),
        hotkey=not args.no_hotkey,
        library=not args.no_library,
        overlay_port=None if args.no_overlay_server else args.overlay_port,
    )
    service = compose_recorder(plan, on_event=lambda line: print(line, flush=True))
    service.install_signal_handlers()
    service.start()
    try:
        _announce(service, args)
        service.run(install_signal_handlers=False)
    finally:
        service.stop()
    if service.session.error is not None:
        raise service.session.error
    print("stopped", flush=True)
    return 0


def _announce(service: RecorderService, args: argparse.Namespace) -> None:
    for problem in service.map_problems():
        print(
            f"hindsight: warning: {problem} (skipped; the other maps still work)",
            file=sys.stderr,
            flush=True,
        )
    config = service.config
    status = service.status()
    hotkey = "" if args.no_hotkey else f"{config.hotkey} or "
    actions = status.actions
    inputs = (
        f"; actions from {actions.maps} game maps via {', '.join(actions.input_sources)}"
        if actions
        else "; input actions off"
    )
    print(
        f"recording {status.capture.source} at {config.capture.fps} fps with {status.encoder.name} "
        f"into a {config.ring.buffer_seconds} s buffer{inputs}; "
        f"{hotkey}`hindsight clip` saves to {config.clips_dir}; Ctrl+C stops",
        flush=True,
    )
    print(f"sound: {sound_summary(status.audio)}", flush=True)
    overlay = status.outputs.get("overlay")
    if overlay is not None and overlay.details.get("url"):
        print(
            f"overlay: add this OBS browser source (transparent): {overlay.details['url']}",
            flush=True,
        )
