"""The Qt-free overlay model: per-frame state, key layout, theme and style, and each template
described as a scene."""
