"""The live channel for overlays on loopback: the SSE server, its token, the browser-source page and a client."""
