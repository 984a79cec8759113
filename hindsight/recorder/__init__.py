"""The recorder: capture, encode, packet ring, clip export, the session, its CLI and control channel."""
