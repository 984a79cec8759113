"""The Qt-free overlay model: per-frame state, key layout from the default bindings, theme."""
