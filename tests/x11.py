"""Shared pytest fixtures for tests that need a real X display: an Xvfb and a moving picture on it.

Import them where needed (``from tests.x11 import xvfb, moving_scene  # noqa: F401``).
They live for one test module: pytest makes a fixture imported into a module that
module's own, so a session scope would keep one display and one scene (20 % of a core)
per module running to the end of the run, a dozen by its end.
Nothing is skipped: without Xvfb or ffplay the fixture fails with the install hint.
The fixtures set no environment variables; tests pass ``xvfb.name`` explicitly.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from hindsight.demo.display import MovingScene, VirtualDisplay
from hindsight.recorder.errors import CaptureError

__all__ = ["SCENE_RATE", "XVFB_SIZE", "keyboard_hooks", "moving_scene", "xvfb"]

XVFB_SIZE = (1280, 720)
# Lower than the benchmark's 60 fps: under test the scene only has to move, and a
# software-rendered ffplay would otherwise compete with the code under test for CPU.
SCENE_RATE = 30


@pytest.fixture(scope="module")
def xvfb() -> Iterator[VirtualDisplay]:
    """A 1280x720 Xvfb for the test module, stopped at its end."""
    try:
        display = VirtualDisplay(*XVFB_SIZE).start()
    except CaptureError as exc:
        pytest.fail(f"cannot start the virtual display for X11 tests: {exc}", pytrace=False)
    try:
        yield display
    finally:
        display.stop()


@pytest.fixture(scope="module")
def moving_scene(xvfb: VirtualDisplay) -> Iterator[MovingScene]:
    """ffplay's testsrc2 full screen on :func:`xvfb`, for the test module."""
    try:
        scene = MovingScene(xvfb.name, rate=SCENE_RATE).start()
    except CaptureError as exc:
        pytest.fail(f"cannot start the moving scene: {exc}", pytrace=False)
    try:
        yield scene
    finally:
        scene.stop()


def keyboard_hooks(display_name: str) -> int:
    """How many RECORD contexts (global keyboard hooks on X11) the server holds, from all clients.

    Asked through the X-Resource extension, i.e. what the server itself counts, so a
    hook opened by any library (ours, pynput's) is seen.
    """
    from Xlib import display

    conn = display.Display(display_name)
    try:
        total = 0
        for client in conn.res_query_clients().clients:
            for kind in conn.res_query_client_resources(client.resource_base).types:
                if conn.get_atom_name(kind.resource_type) == "RecordContext":
                    total += kind.count
        return total
    finally:
        conn.close()
