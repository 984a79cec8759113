"""The composition root: settings (and command-line overrides) -> a recorder service and its
outputs.

``hindsight record`` and ``hindsight demo`` both build their recorder here, so what
is attached to a recorder (the clip library and uploader, the live overlay server)
is decided in one place. The recorder and the uploader never import each other;
this module is where they meet.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hindsight.overlay.web import DEFAULT_PORT as OVERLAY_DEFAULT_PORT
from hindsight.recorder.audio import AudioBackend, AudioError, choose_audio_backend
from hindsight.recorder.config import RecorderConfig
from hindsight.recorder.outputs import RecorderOutput
from hindsight.recorder.service import RecorderService
from hindsight.recorder.settings import build_recorder_config, load_settings

__all__ = [
    "OVERLAY_DEFAULT_PORT",
    "RecorderPlan",
    "build_outputs",
    "compose_audio_backend",
    "compose_recorder",
]


@dataclass(frozen=True)
class RecorderPlan:
    """What to build: where the settings come from, what overrides them and which outputs to
    attach."""

    settings_file: Path | None = None  # None: the user's settings.toml
    # [record] settings given on the command line, by settings key; None means not given.
    overrides: Mapping[str, Any] = field(default_factory=dict)
    # False: the [record] table is ignored (the demo records its own way on any machine);
    # the file still configures the library and uploads.
    record_settings: bool = True
    hotkey: bool = True
    control: bool = True  # serve the control channel (`hindsight clip` / `status`)
    library: bool = True  # register clips in the library and upload them by policy
    overlay_port: int | None = OVERLAY_DEFAULT_PORT  # None: no live overlay server


def compose_recorder(
    plan: RecorderPlan, *, on_event: Callable[[str], None] = lambda line: None
) -> RecorderService:
    """A recorder service (not started) with its outputs, as ``plan`` says; bad settings raise one
    line."""
    settings = load_settings(plan.settings_file) if plan.record_settings else {}
    config = build_recorder_config(plan.overrides, settings)
    return RecorderService(
        config,
        outputs=build_outputs(plan, config),
        hotkey=plan.hotkey,
        control=plan.control,
        on_event=on_event,
    )


def build_outputs(plan: RecorderPlan, config: RecorderConfig) -> list[RecorderOutput]:
    """The outputs a recorder built from ``plan`` and ``config`` gets, in the order they start."""
    outputs: list[RecorderOutput] = []
    if plan.library:
        from hindsight.uploader.recorder_output import LibraryOutput

        outputs.append(LibraryOutput(plan.settings_file))
    if plan.overlay_port is not None and config.input_enabled:
        # Without input actions the overlay has nothing to draw.
        from hindsight.overlay.web.output import LiveOverlayOutput

        outputs.append(LiveOverlayOutput(plan.overlay_port))
    return outputs


def compose_audio_backend(
    settings_file: Path | None = None, overrides: Mapping[str, Any] | None = None
) -> AudioBackend:
    """The audio backend a recorder built from these settings would record with.

    Raises :class:`AudioError` with one line when sound is turned off (backend ``none``)
    or the backend cannot load.
    """
    config = build_recorder_config(overrides or {}, load_settings(settings_file)).audio
    backend = choose_audio_backend(config)
    if backend is None:
        raise AudioError("sound is turned off (audio backend none): there is nothing to list")
    return backend
