"""Input overlays, drawn from actions: the Qt-free model, the Qt templates and window, the browser
source, burn-in.

- ``model/``: per-frame state, the key layout of a game's default bindings, the theme
  and style, and each template described once as a scene of primitives;
- ``qt/``: paints those scenes with QPainter (burn-in compositor, live window);
- ``web/``: the loopback server (a recorder output) and the static browser page that
  paints the same scenes on canvas;
- ``burnin.py``: the overlay drawn into a copy of a saved clip.

Overlays draw from actions only, never raw keys: a lit key is the key of the game's
*default* binding (from the shipped action map) for an action the player performed.
Submodules are imported by name; importing this package loads no Qt.
"""

__all__: list[str] = []
