"""Everything drawn with Qt: input overlay templates, the live overlay window and overlay burn-in.

Overlays draw from actions only, never raw keys: a lit key is the key of the
game's *default* binding (from the shipped action map) for an action the player
performed. Submodules are imported by name; importing this package loads no Qt.
"""

__all__: list[str] = []
