"""The live channel for overlays on loopback: the server (a recorder output), its token, the static
page, a client."""
