"""The ``status`` command: what the running recorder reports, as lines or as JSON.

A module of its own so that asking starts quickly: it imports only the control channel
and the typed status, not the recorder's configuration.
"""

from __future__ import annotations

import argparse
import json

from hindsight.cli.recorder_request import ask_recorder
from hindsight.recorder.status import AudioStatus, RecorderStatus

__all__ = ["register", "status_lines", "sound_summary", "audio_lines"]


def register(sub: argparse._SubParsersAction) -> None:
    """Add the command."""
    p = sub.add_parser(
        "status", help="show the running recorder: fps, drops, buffer, encoder, sound, last clip"
    )
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=cmd_status, logs=False)  # logs nothing: see hindsight.cli.logs


def cmd_status(args: argparse.Namespace) -> int:
    status = RecorderStatus.from_json(ask_recorder({"cmd": "status"}, timeout_s=10))
    if args.json:
        print(json.dumps(status.to_json(), indent=2))
    else:
        print("\n".join(status_lines(status)))
    return 0


def status_lines(status: RecorderStatus) -> list[str]:
    """The human form of ``hindsight status``: one line per part, then one per attached output."""
    capture, encoder, buffer, saves = status.capture, status.encoder, status.buffer, status.saves
    lines = [
        f"state      {status.state}" + (f" ({status.error})" if status.error else ""),
        f"source     {capture.source}"
        + (f" (converted by {capture.converter})" if capture.converter else ""),
        f"fps        {capture.fps_captured} captured of {capture.fps_target} target",
        f"frames     {capture.frames} ({capture.dup_frames} duplicated, "
        f"{capture.queue_drops} dropped before encode)",
        f"encoder    {encoder.name}"
        + (f" ({encoder.fallbacks} fallbacks)" if encoder.fallbacks else ""),
        f"buffer     {buffer.seconds:.1f} s of {buffer.max_seconds} s, "
        f"{buffer.bytes / 2**20:.1f} MiB",
        f"clips      {saves.saved} saved, {saves.failed} failed, in {saves.clips_dir}"
        + (f" (written {saves.clip_write})" if saves.clip_write else ""),
        f"last clip  {saves.last_clip or '-'}",
    ]
    actions = status.actions
    if actions is not None:
        game = f"{actions.game_title} ({actions.game_id})" if actions.game_id else "-"
        counts = actions.inputs
        lines.append(f"game       {game} in context {actions.context}")
        lines.append(
            f"inputs     {counts.translated} translated; "
            f"dropped: {counts.unmapped_dropped} unmapped, "
            f"{counts.redacted_dropped} in text entry, {counts.unfocused_dropped} unfocused, "
            f"{counts.queue_dropped} queue full"
        )
    else:
        lines.append("inputs     off (video only)")
    lines.extend(audio_lines(status.audio))
    if saves.last_error:
        lines.append(f"last error {saves.last_error}")
    for name, output in status.outputs.items():
        lines.append(f"{name:<10} {output.summary}")
    return lines


def sound_summary(audio: AudioStatus | None) -> str:
    """One line on a run's sound: its tracks and backend, or that it is off."""
    if audio is None:
        return "off (video-only clips)"
    return f"tracks {', '.join(audio.tracks)} via {audio.backend}"


def audio_lines(audio: AudioStatus | None) -> list[str]:
    """The sound part of ``hindsight status``: the tracks, then one line per source."""
    if audio is None:
        return ["sound      off (video-only clips)"]
    lines = [
        f"sound      {sound_summary(audio)}; buffer {audio.buffer_seconds:.1f} s, "
        f"{audio.buffer_bytes / 2**20:.1f} MiB"
    ]
    for source in audio.sources:
        level = "silent" if source.level_dbfs is None else f"{source.level_dbfs:+.1f} dBFS"
        where = source.device if source.device else f"waiting ({source.error or 'no device'})"
        lines.append(
            f"  {source.kind:<8} {where}; level {level}, drift {source.drift_ppm:+.1f} ppm, "
            f"{source.silence_s:.2f} s of gaps filled with silence, "
            f"{source.dropped_blocks} blocks dropped"
        )
    return lines
