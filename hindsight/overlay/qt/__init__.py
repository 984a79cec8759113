"""Overlays painted with Qt: a scene painter, the template (two passes), the burn-in compositor, the
live window."""
