"""Capture sources against a real X server (Xvfb) showing a moving picture, plus the fake source."""

from __future__ import annotations

import itertools
import time
from concurrent.futures import ThreadPoolExecutor

import av
import numpy as np
import pytest
from av.video.reformatter import VideoReformatter

from hindsight.demo.display import MovingScene, VirtualDisplay
from hindsight.recorder.config import CaptureConfig
from hindsight.recorder.errors import CaptureError, ConfigError
from hindsight.recorder.video import (
    CaptureGeometry,
    FakeSource,
    MssSource,
    X11GrabSource,
    choose_capture_source,
    read_counter,
    x11_windows,
)
from tests.x11 import XVFB_SIZE, moving_scene, xvfb  # noqa: F401

pytestmark = pytest.mark.x11

X11_SOURCES = ["x11grab", "mss"]
NATIVE_FORMAT = {"x11grab": "bgr0", "mss": "bgra"}


def rgb(frame: av.VideoFrame) -> np.ndarray:
    return frame.to_ndarray(format="rgb24")


def open_source(display: VirtualDisplay, source: str, **config) -> object:
    src = choose_capture_source(CaptureConfig(display=display.name, source=source, **config))
    src.open()
    return src


@pytest.mark.parametrize("source", X11_SOURCES)
def test_source_grabs_whole_screen_in_native_format(source, xvfb, moving_scene):
    with choose_capture_source(CaptureConfig(display=xvfb.name, source=source)) as src:
        assert src.name == source
        assert (src.width, src.height) == XVFB_SIZE
        assert src.describe() == f"{source} {xvfb.name} 1280x720+0+0"
        frames = [src.grab() for _ in range(3)]
    assert not src.is_open
    for frame in frames:
        assert (frame.width, frame.height) == XVFB_SIZE
        assert frame.format.name == NATIVE_FORMAT[source]
        assert rgb(frame).shape == (720, 1280, 3)
    # testsrc2 is colourful: a black or uniform frame means nothing was captured
    assert rgb(frames[-1]).std() > 20


@pytest.mark.parametrize("source", X11_SOURCES)
def test_the_picture_moves_between_grabs(source, xvfb, moving_scene):
    with open_source(xvfb, source) as src:
        first = rgb(src.grab())
        time.sleep(0.25)  # several scene frames at 30 fps
        second = rgb(src.grab())
    changed = np.any(first != second, axis=-1).mean()
    assert changed > 0.01, f"only {changed:.2%} of the pixels changed"


@pytest.mark.parametrize("source", X11_SOURCES)
def test_caller_converts_with_one_reused_reformatter(source, xvfb, moving_scene):
    reformatter = VideoReformatter()
    with open_source(xvfb, source, region=(0, 0, 640, 360)) as src:
        out = [reformatter.reformat(src.grab(), format="yuv420p") for _ in range(3)]
    assert all(f.format.name == "yuv420p" and (f.width, f.height) == (640, 360) for f in out)


@pytest.mark.parametrize("source", X11_SOURCES)
def test_region_capture_has_the_region_size_rounded_down_to_even(source, xvfb, moving_scene):
    with open_source(xvfb, source, region=(11, 13, 101, 77)) as src:
        assert src.geometry == CaptureGeometry(11, 13, 100, 76)
        assert src.describe() == f"{source} {xvfb.name} 100x76+11+13"
        frame = src.grab()
    assert (frame.width, frame.height) == (100, 76)


def is_red(pixels: np.ndarray) -> np.ndarray:
    return (pixels[..., 0] > 200) & (pixels[..., 1] < 60) & (pixels[..., 2] < 60)


@pytest.mark.parametrize("source", X11_SOURCES)
def test_region_shows_that_part_of_the_screen(source, xvfb, moving_scene):
    # A still red window on top of the moving scene; a region straddling its top-left
    # corner must show the scene above/left of the corner and red below/right of it.
    red = MovingScene(
        xvfb.name, (200, 100), fullscreen=False, title="Hindsight-Red",
        position=(300, 200), pattern="color=c=red", rate=10,
    )  # fmt: skip
    region = (292, 192, 32, 32)
    with red, open_source(xvfb, source, region=region, draw_cursor=False) as src:
        assert red.geometry == CaptureGeometry(300, 200, 200, 100)
        # A freshly mapped SDL window shows what was underneath until ffplay's
        # first frame lands, so give it a moment.
        deadline = time.monotonic() + 3
        while True:
            pixels = rgb(src.grab())
            if is_red(pixels[9:, 9:]).all() or time.monotonic() > deadline:
                break
            time.sleep(0.02)
    assert pixels.shape == (32, 32, 3)
    assert is_red(pixels[9:, 9:]).all()
    assert not is_red(pixels[:7, :]).all() and not is_red(pixels[:, :7]).all()


@pytest.mark.parametrize("source", X11_SOURCES)
def test_window_capture_finds_the_window_by_title(source, xvfb, moving_scene):
    with MovingScene(
        xvfb.name, (320, 240), fullscreen=False, title="Hindsight-Test", position=(64, 32), rate=30
    ) as window:
        assert window.geometry == CaptureGeometry(64, 32, 320, 240)
        # partial, case-insensitive match
        with open_source(xvfb, source, window="hindsight-TEST") as src:
            assert src.geometry == CaptureGeometry(64, 32, 320, 240)
            frame = src.grab()
    assert (frame.width, frame.height) == (320, 240)


@pytest.mark.parametrize("source", X11_SOURCES)
def test_window_partly_off_screen_is_clipped(source, xvfb, moving_scene):
    edge = MovingScene(
        xvfb.name, (320, 240), fullscreen=False, title="Hindsight-Edge", position=(1101, 601)
    )
    with edge, open_source(xvfb, source, window="Hindsight-Edge") as src:
        # 1280-1101 = 179 -> 178 (even), 720-601 = 119 -> 118
        assert src.geometry == CaptureGeometry(1101, 601, 178, 118)
        frame = src.grab()
    assert (frame.width, frame.height) == (178, 118)


@pytest.mark.parametrize("source", X11_SOURCES)
def test_unknown_monitor_says_how_many_exist(source, xvfb):
    src = choose_capture_source(CaptureConfig(display=xvfb.name, source=source, monitor=5))
    with pytest.raises(CaptureError, match=r"unknown monitor 5: this display has 1 monitor\b"):
        src.open()
    assert not src.is_open


@pytest.mark.parametrize("source", X11_SOURCES)
def test_window_not_found_names_the_title(source, xvfb):
    src = choose_capture_source(
        CaptureConfig(display=xvfb.name, source=source, window="No Such Game 3000")
    )
    with pytest.raises(CaptureError, match="window not found.*'No Such Game 3000'"):
        src.open()


@pytest.mark.parametrize("source", X11_SOURCES)
@pytest.mark.parametrize("region", [(1200, 0, 200, 100), (0, 700, 64, 64), (5000, 5000, 16, 16)])
def test_region_outside_the_screen_is_refused(source, region, xvfb):
    src = choose_capture_source(CaptureConfig(display=xvfb.name, source=source, region=region))
    with pytest.raises(CaptureError, match="outside the screen .*1280x720"):
        src.open()


@pytest.mark.parametrize("source", X11_SOURCES)
def test_grab_before_open_is_a_capture_error(source, xvfb):
    src = choose_capture_source(CaptureConfig(display=xvfb.name, source=source))
    with pytest.raises(CaptureError, match="not open"):
        src.grab()


@pytest.mark.parametrize("source", X11_SOURCES)
def test_source_whose_display_dies_raises_capture_error(source):
    with VirtualDisplay(320, 240) as dying:
        src = open_source(dying, source)
        assert src.grab().width == 320
    with pytest.raises(CaptureError, match=source):
        for _ in range(10):  # x11grab may still hold a frame or two it already grabbed
            src.grab()
    src.close()


def test_list_windows_reports_title_geometry_and_pid(xvfb, moving_scene):
    windows = {w.title: w for w in x11_windows.list_windows(xvfb.name)}
    scene = windows[moving_scene.title]
    assert scene.geometry == CaptureGeometry(0, 0, *XVFB_SIZE)
    assert scene.pid == moving_scene.pid


@pytest.mark.parametrize("source", X11_SOURCES)
def test_grab_works_on_another_thread_than_open(source, xvfb, moving_scene):
    # the session opens on its main thread (to fail fast) and grabs on the capture thread
    with open_source(xvfb, source, region=(0, 0, 320, 240)) as src:
        src.grab()
        with ThreadPoolExecutor(1) as pool:
            frames = list(pool.map(lambda _: src.grab(), range(3)))
        frames.append(src.grab())
    assert [(f.width, f.height) for f in frames] == [(320, 240)] * 4
    assert all(rgb(f).std() > 20 for f in frames)


# -- chooser ----------------------------------------------------------------


@pytest.mark.parametrize("source", ["auto", "x11grab", "mss"])
def test_no_display_gives_the_chooser_hint(source, monkeypatch):
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.delenv("HINDSIGHT_CAPTURE", raising=False)
    with pytest.raises(CaptureError) as err:
        choose_capture_source(CaptureConfig(source=source))
    message = str(err.value)
    assert "DISPLAY is not set" in message
    assert "--display :N" in message and "hindsight demo" in message


def test_unreachable_display_is_named(monkeypatch):
    monkeypatch.delenv("HINDSIGHT_CAPTURE", raising=False)
    with pytest.raises(CaptureError, match="cannot connect to X display ':4242'"):
        choose_capture_source(CaptureConfig(display=":4242"))


def test_auto_prefers_x11grab_on_x(monkeypatch, xvfb):
    monkeypatch.delenv("HINDSIGHT_CAPTURE", raising=False)
    assert isinstance(choose_capture_source(CaptureConfig(display=xvfb.name)), X11GrabSource)


def test_auto_uses_display_from_environment(monkeypatch, xvfb):
    monkeypatch.delenv("HINDSIGHT_CAPTURE", raising=False)
    monkeypatch.setenv("DISPLAY", xvfb.name)
    with choose_capture_source(CaptureConfig()) as src:
        assert src.describe().startswith(f"x11grab {xvfb.name} ")


@pytest.mark.parametrize(
    "name, cls", [("mss", MssSource), ("fake", FakeSource), ("x11grab", X11GrabSource)]
)
def test_env_override_picks_the_source(name, cls, monkeypatch, xvfb):
    monkeypatch.setenv("HINDSIGHT_CAPTURE", name)
    src = choose_capture_source(CaptureConfig(display=xvfb.name))
    assert type(src) is cls and src.name == name


def test_explicit_config_source_beats_env_override(monkeypatch, xvfb):
    monkeypatch.setenv("HINDSIGHT_CAPTURE", "mss")
    src = choose_capture_source(CaptureConfig(display=xvfb.name, source="fake"))
    assert isinstance(src, FakeSource)


def test_bad_env_override_is_a_config_error(monkeypatch):
    monkeypatch.setenv("HINDSIGHT_CAPTURE", "dxgi")
    with pytest.raises(ConfigError, match="HINDSIGHT_CAPTURE='dxgi'.*x11grab"):
        choose_capture_source(CaptureConfig())


# -- fake source -------------------------------------------------------------


def test_fake_source_needs_no_display(monkeypatch):
    monkeypatch.delenv("DISPLAY", raising=False)
    with choose_capture_source(CaptureConfig(source="fake")) as src:
        frames = [src.grab() for _ in range(5)]
    assert (src.name, frames[0].width, frames[0].height) == ("fake", 320, 240)
    assert frames[0].format.name == "bgra"
    assert [read_counter(f) for f in frames] == [0, 1, 2, 3, 4]
    arrays = [rgb(f) for f in frames]
    for a, b in itertools.pairwise(arrays):
        # the picture itself moves, not only the counter
        assert np.any(a[40:] != b[40:])


def test_fake_counter_survives_conversion_to_yuv420p():
    reformatter = VideoReformatter()
    with FakeSource(CaptureConfig(source="fake", region=(0, 0, 641, 361))) as src:
        assert (src.width, src.height) == (640, 360)
        for expected in range(3):
            yuv = reformatter.reformat(src.grab(), format="yuv420p")
            assert read_counter(yuv) == expected
        src.frames_grabbed = 123_456
        assert read_counter(reformatter.reformat(src.grab(), format="yuv420p")) == 123_456


def test_fake_frames_stay_valid_after_later_grabs():
    with FakeSource(CaptureConfig(source="fake")) as src:
        kept = [src.grab() for _ in range(4)]
    assert [read_counter(f) for f in kept] == [0, 1, 2, 3]


def test_fake_fail_after_raises_like_a_dying_source():
    src = FakeSource(CaptureConfig(source="fake"), fail_after=3)
    src.open()
    assert [read_counter(src.grab()) for _ in range(3)] == [0, 1, 2]
    with pytest.raises(CaptureError, match="died after 3 frames"):
        src.grab()
    src.close()


def test_fake_unknown_monitor_is_refused():
    with pytest.raises(CaptureError, match="unknown monitor 2: this display has 1 monitor"):
        FakeSource(CaptureConfig(source="fake", monitor=2)).open()
