"""Action capture: input sources and the focus tracker feeding the translator and the timeline.

Sources stamp and enqueue; one translator thread drains the queue, so raw input is
translated and forgotten in one place. The focus tracker reports which process owns
the focused window; the registry matches it to a game's action map (or to none, and
then everything is dropped). The timeline lives beside the video ring and the
:class:`ActionTrackContributor` cuts it into each saved clip.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from typing import Any

from hindsight.actionmap.model import ActionMap
from hindsight.actionmap.registry import MapRegistry
from hindsight.clock import now_ns
from hindsight.recorder import x11
from hindsight.recorder.actions.events import ActionEvent, ContextEvent
from hindsight.recorder.actions.fanout import EventFanout
from hindsight.recorder.actions.timeline import ActionTimeline
from hindsight.recorder.actions.track import ActionTrackContributor
from hindsight.recorder.actions.translator import ActionTranslator
from hindsight.recorder.input import (
    InputError,
    InputQueue,
    InputSource,
    RawInput,
    create_input_sources,
)
from hindsight.recorder.input.focus import FocusTracker, ForegroundApp, create_focus_tracker
from hindsight.recorder.input.hotkey import HotkeyMatcher

__all__ = ["ActionCapture"]

log = logging.getLogger(__name__)

_OPTIONAL_SOURCES = frozenset({"pad", "sdl", "evdev"})


class ActionCapture:
    """Everything between a key press and an action in the timeline, for one recorder run."""

    def __init__(
        self,
        registry: MapRegistry,
        *,
        buffer_seconds: int,
        display: str | None = None,
        game: str = "auto",
        sources: Sequence[InputSource] | None = None,
        focus: FocusTracker | None = None,
    ) -> None:
        self.registry = registry
        self._forced = None if game == "auto" else registry.get(game)
        # decided once (``--display``, else $DISPLAY) for the sources and the focus tracker
        self._display = x11.display_name(display)
        self._sources = list(sources) if sources is not None else None
        self._focus = focus
        self.queue = InputQueue()
        self.timeline = ActionTimeline(buffer_seconds)
        # Live overlays subscribe here; publishing never blocks the translator.
        self.fanout = EventFanout()
        self.translator = ActionTranslator(self._emit)
        self._lock = threading.Lock()  # the translator is single-threaded: focus changes share it
        self._thread: threading.Thread | None = None
        self._running = threading.Event()
        # Paused: input still reaches the save hotkey's matcher, but nothing is translated.
        self._paused = threading.Event()
        self.app: ForegroundApp | None = None
        # the save hotkey, matched in this stream: (matcher, on_pressed) or None
        self._hotkey: tuple[HotkeyMatcher, Callable[[], None]] | None = None

    def _emit(self, event: ActionEvent | ContextEvent) -> None:
        self.timeline.append(event)
        self.fanout.publish(event)

    def contributor(self) -> ActionTrackContributor:
        return ActionTrackContributor(self.timeline, base_map=self._base_map)

    def _base_map(self, amap: ActionMap) -> ActionMap:
        # A local rebinding never leaves the machine: clips carry the map it extends
        # (the registry already keeps the shipped text and digest on the merged map).
        if amap.extends and amap.extends in self.registry:
            return self.registry.base(amap.extends)
        return amap

    def start(self) -> None:
        with self._lock:
            self.translator.set_game(None, now_ns())
        if self._sources is None:
            self._sources = create_input_sources(self._display)
        if self._focus is None:
            self._focus = create_focus_tracker(self._display)
        self._running.set()
        self._thread = threading.Thread(target=self._run, name="hindsight-translate", daemon=True)
        self._thread.start()
        self._focus.start(self._on_focus_changed)
        started = []
        try:
            for source in self._sources:
                try:
                    source.start(self.queue)
                except InputError as err:
                    if source.name not in _OPTIONAL_SOURCES:
                        raise
                    # No controller backend here: keyboard and mouse still record.
                    log.warning("%s; controller input is off", err)
                    continue
                started.append(source)
        except BaseException:
            for source in started:
                source.stop()
            self._focus.stop()
            raise
        self._sources = started

    @property
    def hears_keyboard(self) -> bool:
        """Whether a started source hears the keyboard (then the save hotkey can listen here)."""
        return self._running.is_set() and any(s.hears_keyboard for s in self._sources or ())

    def set_hotkey(
        self, matcher: HotkeyMatcher | None, on_pressed: Callable[[], None] | None
    ) -> None:
        """Match the save hotkey in this stream, whatever has focus; ``None`` stops matching.

        ``on_pressed`` runs on the translator thread and must only enqueue.
        """
        self._hotkey = (
            (matcher, on_pressed) if matcher is not None and on_pressed is not None else None
        )

    def stop(self) -> None:
        for source in self._sources or ():
            try:
                source.stop()
            except Exception:
                log.debug("input source stop failed", exc_info=True)
        if self._focus is not None:
            self._focus.stop()
        self._running.clear()
        self.queue.close()
        if self._thread is not None:
            self._thread.join(5)

    def pause(self) -> None:
        """Translate nothing until :meth:`resume` and forget the actions kept so far."""
        with self._lock:
            self._paused.set()
            # Release what is held while the game is known, then drop the whole track.
            self.translator.set_game(None, now_ns())
            self.timeline.clear()

    def resume(self) -> None:
        """Translate again, for the game that has focus now."""
        with self._lock:
            self.translator.set_game(self.match(self.app), now_ns())
            self._paused.clear()

    def match(self, app: ForegroundApp | None) -> ActionMap | None:
        if app is None:
            return None
        amap = self.registry.match(app.names, app.steam_appid)
        if self._forced is not None and (amap is None or amap.id != self._forced.id):
            return None
        return amap

    def _on_focus_changed(self, app: ForegroundApp | None, t_ns: int) -> None:
        amap = self.match(app)
        with self._lock:
            self.app = app
            if not self._paused.is_set():
                self.translator.set_game(amap, t_ns)

    def _run(self) -> None:
        while self._running.is_set():
            raw = self.queue.get(timeout=0.2)
            if raw is None:
                if self.queue.closed:
                    break
                continue
            hotkey = self._hotkey
            if hotkey is not None:
                # before translation and focus gating: the hotkey works in any window and context
                self._match_hotkey(hotkey, raw)
            if self._paused.is_set():
                del raw  # paused: not translated, not counted, gone
                continue
            with self._lock:
                try:
                    self.translator.feed(raw)
                except Exception:
                    # Fail closed: a translator bug drops the input, never records a guess.
                    log.exception("translator failed on an input event (dropped)")
            del raw  # raw input dies here

    @staticmethod
    def _match_hotkey(hotkey: tuple[HotkeyMatcher, Callable[[], None]], raw: RawInput) -> None:
        matcher, on_pressed = hotkey
        try:
            if matcher.feed(raw.name, raw.x > 0.5):
                on_pressed()
        except Exception:
            log.exception("the save hotkey's callback failed")

    @property
    def game(self) -> ActionMap | None:
        return self.translator.game

    def status(self) -> dict[str, Any]:
        c = self.translator.counters
        game = self.translator.game
        return {
            "game": {"id": game.id, "title": game.title} if game else None,
            "context": self.translator.context,
            "maps": len(self.registry.maps()),
            "inputs": {
                "translated": c.translated,
                "unmapped_dropped": c.unmapped,
                "redacted_dropped": c.redacted,
                "unfocused_dropped": c.unfocused,
                "queue_dropped": self.queue.dropped,
                "context_switches": c.context_switches,
            },
            "input_sources": [s.name for s in self._sources or ()],
        }
