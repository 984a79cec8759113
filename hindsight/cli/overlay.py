"""The ``hindsight overlay`` commands: ``render`` (burn-in onto a clip copy) and ``live`` (overlay
window).

Qt is imported only inside the commands, so ``hindsight --help`` and the other
commands never load it.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from hindsight.overlay.model.theme import DEFAULT_STYLE, POSITIONS, TEMPLATE_NAMES

__all__ = ["register"]

_RENDER_HELP = """\
Burn the input overlay into a copy of a clip: each frame gets the overlay of its row
in the clip's action track. The copy is written beside the original in the clip
folder (video.overlay-<template>.mp4 unless -o is given); the clip's own video.mp4
and manifest are never changed. Audio is copied as it is.
"""

_LIVE_HELP = """\
Show the input overlay of the running recorder (`hindsight record`) in a frameless,
click-through, always-on-top window. It finds the recorder through its control
channel (the overlay URL in `hindsight status --json`). For OBS, add the browser
source URL that `hindsight record` prints instead.
"""


def _style_args(p: argparse.ArgumentParser) -> None:
    # No argparse defaults: an option left out comes from [overlay] in settings.toml, then
    # from DEFAULT_STYLE (see hindsight.overlay.settings).
    d = DEFAULT_STYLE
    p.add_argument(
        "--template",
        choices=TEMPLATE_NAMES,
        help="what to draw (default: [overlay] template, else the game's own choice)",
    )
    p.add_argument("--position", choices=POSITIONS, help=f"corner (default {d.position})")
    p.add_argument(
        "--margin",
        type=float,
        help=f"distance from the edges as a fraction of the height (default {d.margin})",
    )
    p.add_argument("--opacity", type=float, help=f"0.05..1 (default {d.opacity:g})")
    p.add_argument(
        "--scale", type=float, help=f"size relative to the default (default {d.scale:g})"
    )
    p.add_argument("--accent", help=f"colour of lit keys, e.g. #ff5c8a (default {d.accent})")
    p.add_argument(
        "--settings",
        type=Path,
        metavar="FILE",
        help="settings file whose [overlay] table gives the defaults, instead of the user's",
    )


def register(sub: argparse._SubParsersAction) -> None:
    group = sub.add_parser("overlay", help="live input overlay, or render an overlay onto a clip")
    cmds = group.add_subparsers(dest="overlay_command", metavar="COMMAND", required=True)

    p = cmds.add_parser(
        "render",
        help="burn the input overlay into a copy of a clip",
        description=_RENDER_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "clip",
        metavar="CLIP",
        help="the clip folder, or its id in the library (see `hindsight clips list`)",
    )
    p.add_argument(
        "-o", "--output", type=Path, metavar="FILE", help="where the copy goes (an .mp4)"
    )
    _style_args(p)
    p.add_argument(
        "--encoder", default="auto", help="auto (as the recorder chooses) or an encoder name"
    )
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_render)

    p = cmds.add_parser(
        "live",
        help="show the running recorder's input overlay in a window",
        description=_LIVE_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _style_args(p)
    p.add_argument("--display", metavar=":N", help="X11 display for the window (default: $DISPLAY)")
    p.add_argument("--seconds", type=float, help="close after this long (default: until Ctrl+C)")
    p.set_defaults(func=cmd_live)


def _style(args: argparse.Namespace):
    from hindsight.overlay.settings import load_overlay_settings, overlay_style

    settings = load_overlay_settings(args.settings)
    flags = {k: getattr(args, k) for k in ("position", "margin", "opacity", "scale", "accent")}
    return overlay_style({**settings, **{k: v for k, v in flags.items() if v is not None}})


def _template(args: argparse.Namespace) -> str | None:
    from hindsight.overlay.settings import load_overlay_settings

    return args.template or load_overlay_settings(args.settings).get("template")


def cmd_render(args: argparse.Namespace) -> int:
    from hindsight.cli.progressbar import ProgressBar
    from hindsight.overlay.burnin import burn_in

    style = _style(args)
    bar: ProgressBar | None = None

    def progress(done: int, total: int, fps: int) -> None:
        nonlocal bar
        if bar is None:
            bar = ProgressBar(
                total, label="burning in ", describe=_describe_frames(fps), quiet=args.quiet
            )
        bar.total = total
        bar.update(done)

    try:
        result = burn_in(
            _clip_folder(args.clip),
            template=_template(args),
            out=args.output,
            style=style,
            encoder=args.encoder,
            progress=progress,
        )
    finally:
        if bar is not None:
            bar.finish()
    print(result.path)
    return 0


def _describe_frames(fps: float):  # type: ignore[no-untyped-def]
    def describe(done: int, total: int, elapsed_s: float) -> str:
        speed = done / fps / elapsed_s if elapsed_s > 0 and fps else 0.0
        left = (total - done) / (done / elapsed_s) if done and elapsed_s > 0 else 0.0
        return f"{done}/{total} frames, {speed:.1f}x real time, {left:.0f} s left"

    return describe


def _clip_folder(ref: str) -> Path:
    """A folder as given, else a clip id (or id prefix) looked up in the clip library."""
    path = Path(ref).expanduser()
    if path.exists() or "/" in ref or len(ref) < 4:
        return path
    from hindsight.uploader.policy import open_library

    library = open_library(None)
    try:
        return library.get(ref).path
    finally:
        library.close()


def cmd_live(args: argparse.Namespace) -> int:
    from hindsight.overlay.qt.live_window import run_live_window

    return run_live_window(
        style=_style(args),
        template=_template(args),
        display=args.display,
        seconds=args.seconds,
        out=sys.stdout,
    )
