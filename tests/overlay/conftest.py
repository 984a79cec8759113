"""Overlay tests draw with Qt offscreen (``ensure_qt`` asks for it): one application for
the session.
"""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def qt_app():
    from hindsight.overlay.qt.compositor import ensure_qt

    return ensure_qt()
