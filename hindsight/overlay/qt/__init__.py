"""Overlays drawn with Qt: the templates, the compositor used by burn-in, the live window."""
