"""Writing a clip: the multi-stream mux and the bundle writer."""
