"""The conversion seam: libyuv's pooled converter against swscale, the pool's reuse rule,
the chooser and its override."""

from __future__ import annotations

from fractions import Fraction

import av
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hindsight.recorder.errors import CaptureError, ConfigError
from hindsight.recorder.video import converter as converter_mod
from hindsight.recorder.video import libyuv_converter
from hindsight.recorder.video.converter import SwscaleConverter, choose_converter
from hindsight.recorder.video.libyuv_converter import (
    LibyuvConverter,
    LibyuvUnavailable,
    load_libyuv,
)


def bgr0(pixels: np.ndarray) -> av.VideoFrame:
    """A frame in x11grab's format, in a buffer FFmpeg allocated (padded rows allowed)."""
    height, width = pixels.shape[:2]
    frame = av.VideoFrame(width, height, "bgr0")
    plane = frame.planes[0]
    rows = np.zeros((height, plane.line_size), np.uint8)
    rows[:, : width * 4] = pixels.reshape(height, width * 4)
    plane.update(rows.tobytes())
    return frame


def gradient(width: int, height: int, shift: int = 0) -> np.ndarray:
    yy, xx = np.mgrid[0:height, 0:width]
    pixels = np.zeros((height, width, 4), np.uint8)
    pixels[..., 0] = (xx + shift) * 255 // max(width - 1, 1) % 256
    pixels[..., 1] = yy * 255 // max(height - 1, 1)
    pixels[..., 2] = (xx + yy + shift) * 255 // (width + height) % 256
    return pixels


def reference_chroma(pixels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """BT.601 limited-range U and V of each 2x2 block's mean colour."""
    bgr = pixels[..., :3].astype(np.float64)
    h, w = bgr.shape[:2]
    mean = bgr.reshape(h // 2, 2, w // 2, 2, 3).mean(axis=(1, 3))
    b, g, r = mean[..., 0], mean[..., 1], mean[..., 2]
    u = 128 + (-38 * r - 74 * g + 112 * b) / 256
    v = 128 + (112 * r - 94 * g - 18 * b) / 256
    return u, v


def planes_i420(frame: av.VideoFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    data = frame.to_ndarray().astype(np.int16)
    h, w = frame.height, frame.width
    chroma = data[h:].reshape(-1)
    return (
        data[:h],
        chroma[: h * w // 4].reshape(h // 2, w // 2),
        chroma[h * w // 4 :].reshape(h // 2, w // 2),
    )


def test_libyuv_makes_what_swscale_makes_on_a_picture() -> None:
    raw = bgr0(gradient(1280, 720))
    ours = LibyuvConverter("yuv420p", 1280, 720).convert(raw)
    theirs = SwscaleConverter("yuv420p").convert(raw)
    assert (ours.format.name, ours.width, ours.height) == ("yuv420p", 1280, 720)
    y1, u1, v1 = planes_i420(ours)
    y2, u2, v2 = planes_i420(theirs)
    assert np.abs(y1 - y2).max() <= 1  # both BT.601 limited range, rounding apart
    assert np.abs(u1 - u2).max() <= 2 and np.abs(v1 - v2).max() <= 2


def test_nv12_for_hardware_encoders_is_the_same_picture_interleaved() -> None:
    raw = bgr0(gradient(640, 360, shift=9))
    nv12 = LibyuvConverter("nv12", 640, 360).convert(raw)
    assert (nv12.format.name, nv12.width, nv12.height) == ("nv12", 640, 360)
    y, u, v = planes_i420(LibyuvConverter("yuv420p", 640, 360).convert(raw))
    data = nv12.to_ndarray().astype(np.int16)
    assert np.array_equal(data[:360], y)
    uv = data[360:].reshape(180, 320, 2)
    assert np.array_equal(uv[..., 0], u) and np.array_equal(uv[..., 1], v)
    # swscale's NV12 sites chroma otherwise; its luma is the same picture.
    theirs = SwscaleConverter("nv12").convert(raw).to_ndarray().astype(np.int16)
    assert np.abs(theirs[:360] - y).max() <= 1


@settings(max_examples=40, deadline=None)
@given(
    width=st.integers(1, 40).map(lambda n: 2 * n),
    height=st.integers(1, 20).map(lambda n: 4 * n),
    seed=st.integers(0, 2**32 - 1),
)
def test_any_size_converts_to_bt601_limited_range(width: int, height: int, seed: int) -> None:
    pixels = np.random.default_rng(seed).integers(0, 256, (height, width, 4), dtype=np.uint8)
    y, u, v = planes_i420(LibyuvConverter("yuv420p", width, height).convert(bgr0(pixels)))
    b, g, r = (pixels[..., i].astype(np.float64) for i in range(3))
    y_ref = 16 + (66 * r + 129 * g + 25 * b) / 256
    assert np.abs(y - y_ref).max() <= 1.5
    u_ref, v_ref = reference_chroma(pixels)
    assert np.abs(u - u_ref).max() <= 2.5 and np.abs(v - v_ref).max() <= 2.5


def test_a_held_frame_is_never_written_over() -> None:
    converter = LibyuvConverter("yuv420p", 320, 240)
    first_raw, other_raw = bgr0(gradient(320, 240)), bgr0(gradient(320, 240, shift=100))
    held = converter.convert(first_raw)
    expected = held.to_ndarray().copy()
    later = [converter.convert(other_raw) for _ in range(5)]
    for _ in range(50):
        converter.convert(other_raw)  # released at once: these reuse one buffer
    assert np.array_equal(held.to_ndarray(), expected)
    assert len({f.planes[0].buffer_ptr for f in [held, *later]}) == 6
    # Six held plus the one reused by the released frames: nothing more was made.
    assert converter.buffers == 7


def test_buffers_come_back_once_the_encoder_is_done_with_them() -> None:
    converter = LibyuvConverter("yuv420p", 320, 240)
    raw = bgr0(gradient(320, 240))
    ctx = av.CodecContext.create("libx264", "w")
    ctx.width, ctx.height, ctx.pix_fmt = 320, 240, "yuv420p"
    ctx.time_base = Fraction(1, 60)
    ctx.options = {"preset": "ultrafast", "tune": "zerolatency"}
    packets = []
    for pts in range(120):
        frame = converter.convert(raw)
        frame.pts = pts
        packets += ctx.encode(frame)
    packets += ctx.encode(None)
    assert len(packets) == 120
    # x264 copies the picture in: the buffer is free again when the frame is dropped.
    assert converter.buffers <= 2


def test_frames_libyuv_cannot_take_go_through_swscale() -> None:
    converter = LibyuvConverter("yuv420p", 64, 48)
    rgb = av.VideoFrame.from_ndarray(gradient(64, 48)[..., :3].copy(), format="rgb24")
    assert np.array_equal(
        converter.convert(rgb).to_ndarray(), SwscaleConverter("yuv420p").convert(rgb).to_ndarray()
    )
    other_size = bgr0(gradient(128, 96))
    assert converter.convert(other_size).to_ndarray().shape == (144, 128)
    assert converter.buffers == 0


def test_what_libyuv_cannot_do_says_so() -> None:
    with pytest.raises(LibyuvUnavailable, match="libyuv is not installed .*apt install libyuv0"):
        load_libyuv(("libhindsight-no-such-yuv.so.0",))
    with pytest.raises(LibyuvUnavailable, match="does not make yuv444p"):
        LibyuvConverter("yuv444p", 64, 48)
    # PyAV would wrap a 1050-row buffer as 1048 rows.
    with pytest.raises(LibyuvUnavailable, match="1680x1050 frame cannot be wrapped"):
        LibyuvConverter("yuv420p", 1680, 1050)


def test_the_chooser_prefers_libyuv_and_obeys_the_override(monkeypatch) -> None:
    monkeypatch.delenv(converter_mod.ENV_OVERRIDE, raising=False)
    assert choose_converter("yuv420p", 1920, 1080).name == "libyuv"
    assert choose_converter("yuv444p", 1920, 1080).name == "swscale"  # libyuv cannot make it
    assert choose_converter("yuv420p", 1680, 1050).name == "swscale"
    monkeypatch.setenv(converter_mod.ENV_OVERRIDE, "swscale")
    assert choose_converter("yuv420p", 1920, 1080).name == "swscale"
    monkeypatch.setenv(converter_mod.ENV_OVERRIDE, "LibYUV ")
    assert choose_converter("nv12", 1280, 720).name == "libyuv"
    with pytest.raises(CaptureError, match="HINDSIGHT_CONVERTER=libyuv: a 1680x1050 frame"):
        choose_converter("yuv420p", 1680, 1050)
    monkeypatch.setenv(converter_mod.ENV_OVERRIDE, "fast")
    with pytest.raises(ConfigError, match="HINDSIGHT_CONVERTER='fast': must be one of auto"):
        choose_converter("yuv420p", 1920, 1080)


def test_without_libyuv_auto_uses_swscale_and_a_forced_libyuv_says_what_to_install(
    monkeypatch,
) -> None:
    monkeypatch.setattr(libyuv_converter, "_LIBRARY_NAMES", ("libhindsight-no-such-yuv.so.0",))
    monkeypatch.delenv(converter_mod.ENV_OVERRIDE, raising=False)
    assert choose_converter("yuv420p", 1920, 1080).name == "swscale"
    monkeypatch.setenv(converter_mod.ENV_OVERRIDE, "libyuv")
    with pytest.raises(CaptureError) as err:
        choose_converter("yuv420p", 1920, 1080)
    message = str(err.value)
    assert "\n" not in message
    assert "apt install libyuv0" in message and "HINDSIGHT_CONVERTER=swscale" in message
