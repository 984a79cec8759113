"""The windows the tray opens (clip library, settings, first-run consent), found when they exist.

They are built in their own modules; each is imported the first time it is asked for and
built once as ``cls(parent=None)``, then raised again on later asks. While a module is
not in the build, asking for its window logs one line and does nothing, so the tray
works without it. Tests hand in their own window classes instead.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable, Mapping

from PyQt6.QtWidgets import QWidget

__all__ = ["WINDOWS", "WindowFactory", "WindowHooks"]

log = logging.getLogger(__name__)

WindowFactory = Callable[..., QWidget]

# hook name -> (module under hindsight.app.desktop, class)
WINDOWS = {
    "library": ("library_window", "LibraryWindow"),
    "settings": ("settings_window", "SettingsWindow"),
    "consent": ("consent_dialog", "ConsentDialog"),
}


class WindowHooks:
    """Opens the windows by name; see the module docstring."""

    def __init__(self, factories: Mapping[str, WindowFactory] | None = None) -> None:
        self._factories = dict(factories or {})
        self._open: dict[str, QWidget] = {}
        self._missing_said: set[str] = set()

    def show(self, name: str) -> QWidget | None:
        window = self._open.get(name)
        if window is None:
            factory = self._factories.get(name) or _window_class(name)
            if factory is None:
                if name not in self._missing_said:
                    self._missing_said.add(name)
                    log.warning("the %s window is not part of this build", name)
                return None
            window = factory(parent=None)
            self._open[name] = window
        window.show()
        window.raise_()
        window.activateWindow()
        return window


def _window_class(name: str) -> WindowFactory | None:
    module_name, class_name = WINDOWS[name]
    try:
        module = importlib.import_module(f"hindsight.app.desktop.{module_name}")
    except ModuleNotFoundError as err:
        if err.name != f"hindsight.app.desktop.{module_name}":
            raise  # the window exists but something it needs does not: a bug to see
        return None
    return getattr(module, class_name, None)
