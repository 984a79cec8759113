"""Shared helpers for recorder tests: configs, simulated encoder faults, reading clips back."""

from __future__ import annotations

import time
from pathlib import Path

import av

from hindsight.bundle import Manifest, open_bundle
from hindsight.recorder.config import CaptureConfig, EncoderConfig, RecorderConfig, RingConfig
from hindsight.recorder.errors import EncoderError
from hindsight.recorder.packet import EncodedPacket
from hindsight.recorder.video import read_counter
from hindsight.recorder.video.encoder import VideoEncoder


def fake_config(
    clips_dir: Path,
    *,
    fps: int = 30,
    buffer_seconds: int = 10,
    clip_seconds: int = 3,
    size: tuple[int, int] = (320, 240),
) -> RecorderConfig:
    return RecorderConfig(
        capture=CaptureConfig(fps=fps, source="fake", region=(0, 0, *size)),
        encoder=EncoderConfig(bitrate_bps=2_000_000),
        ring=RingConfig(buffer_seconds=buffer_seconds),
        clips_dir=clips_dir,
        default_clip_seconds=clip_seconds,
    )


class OpenFailsEncoder(VideoEncoder):
    """Stands in for a hardware encoder this machine cannot open."""

    def open(self) -> None:
        raise EncoderError(f"encoder {self.name} failed to open: simulated missing driver")


class DiesMidRunEncoder(VideoEncoder):
    """A real libx264 encoder under another name that fails after ``die_after`` frames."""

    die_after = 45

    def __init__(self, name: str, width: int, height: int, fps: int, config: EncoderConfig) -> None:
        super().__init__(name, width, height, fps, config)
        self.codec_name = "libx264"
        self._frames = 0

    def encode(self, frame, pts, t_ns, dup=False):  # type: ignore[override]
        self._frames += 1
        if self._frames > self.die_after:
            raise av.error.ExternalError(-1, "simulated device lost")  # what a GPU encoder raises
        return super().encode(frame, pts, t_ns, dup)


class SlowEncoder(VideoEncoder):
    """A real libx264 encoder that takes ``delay_s`` longer per frame: a machine too slow for it."""

    delay_s = 0.05

    def __init__(self, name: str, width: int, height: int, fps: int, config: EncoderConfig) -> None:
        super().__init__(name, width, height, fps, config)
        self.codec_name = "libx264"

    def encode(self, frame, pts, t_ns, dup=False):  # type: ignore[override]
        time.sleep(self.delay_s)
        return super().encode(frame, pts, t_ns, dup)


def faulty_factory(
    name: str, width: int, height: int, fps: int, config: EncoderConfig
) -> VideoEncoder:
    cls = {"broken_hw": OpenFailsEncoder, "flaky_hw": DiesMidRunEncoder, "slow": SlowEncoder}.get(
        name, VideoEncoder
    )
    return cls(name, width, height, fps, config)


def decoded_counters(video: Path) -> list[int]:
    """The fake source's frame counter of every decoded frame, in order."""
    with av.open(str(video)) as container:
        return [read_counter(frame) for frame in container.decode(video=0)]


def check_manifest_digests(bundle: Path) -> Manifest:
    """The clip's manifest, once :meth:`Bundle.verify` found every file as it says
    (hashes, pin, rows).
    """
    opened = open_bundle(bundle)
    assert opened.verify() == []
    return opened.manifest


def encode_testsrc(
    size: tuple[int, int], fps: int, frames: int, config: EncoderConfig, t0_ns: int = 10**12
) -> list[EncodedPacket]:
    """``frames`` of FFmpeg's moving testsrc2 through the recorder's own encoder (libx264)."""
    enc = VideoEncoder("libx264", *size, fps, config)
    enc.open()
    out: list[EncodedPacket] = []
    with av.open(f"testsrc2=size={size[0]}x{size[1]}:rate={fps}", format="lavfi") as src:
        for i, frame in enumerate(src.decode(video=0)):
            if i == frames:
                break
            out += enc.encode(frame.reformat(format=enc.pix_fmt), i, t0_ns + i * 10**9 // fps)
    return out + enc.flush()
