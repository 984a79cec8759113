"""The live channel for overlays on loopback: the server (a recorder output), its token, the static
page, a client."""

#: the live channel's port on loopback, unless settings or ``--overlay-port`` say otherwise.
#: Here, not in the server module, so the command line can show it without importing the
#: server (and numpy with it).
DEFAULT_PORT = 47913
