"""The direct MP4 writer against PyAV's muxer: the same packets, two files, the same decode.

Real encoders make the packets (libx264 through the recorder's own encoder, AAC
through its audio encoder); each case writes the clip both ways and reads both back
with PyAV: every stream's facts, every decoded picture and every sound sample must
match, and the direct file's sha256 must be the one write_mp4 reported.
"""

from __future__ import annotations

import dataclasses
import hashlib
import struct
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from hindsight.recorder.audio.encoder import AudioEncoder
from hindsight.recorder.config import EncoderConfig
from hindsight.recorder.export.mp4_direct import direct_picture
from hindsight.recorder.export.mux import AudioStream, write_mp4
from hindsight.recorder.packet import EncodedPacket, annexb_units
from tests.recorder.helpers import encode_testsrc

T0_NS = 10**12


def encode_video(
    fps: int, frames: int, size: tuple[int, int] = (320, 240), preset: str = "ultrafast"
) -> list[EncodedPacket]:
    config = EncoderConfig(bitrate_bps=1_000_000, preset=preset)
    return encode_testsrc(size, fps, frames, config, T0_NS)


def encode_tone(title: str, seconds: float, hz: float) -> AudioStream:
    enc = AudioEncoder(title, T0_NS, 128_000)
    enc.open()
    t = np.arange(int(48_000 * seconds)) / 48_000
    pcm = (0.3 * np.sin(2 * np.pi * hz * t)).astype(np.float32)
    packets: list[EncodedPacket] = []
    for start in range(0, len(pcm), 4800):
        packets += enc.encode(np.repeat(pcm[start : start + 4800, None], 2, axis=1))
    return AudioStream(title, packets + enc.flush())


def shifted(track: AudioStream, drop: int, shift_ns: int) -> AudioStream:
    """The track with its first ``drop`` packets gone and every packet's clock moved."""
    return AudioStream(
        track.title, [dataclasses.replace(p, t_ns=p.t_ns + shift_ns) for p in track.packets[drop:]]
    )


def read_back(path: Path) -> dict:
    with av.open(str(path)) as c:
        streams = [
            (
                s.type,
                s.time_base,
                s.start_time,
                s.duration,
                s.frames,
                dict(s.metadata),
                bytes(s.codec_context.extradata or b""),
            )
            for s in c.streams
        ]
        duration = c.duration
    with av.open(str(path)) as c:
        pictures = [(f.pts, f.to_ndarray(format="gray")) for f in c.decode(video=0)]
    sound = []
    for n in range(len(streams) - 1):
        with av.open(str(path)) as c:
            frames = list(c.decode(audio=n))
            sound.append(
                ([f.pts for f in frames], np.concatenate([f.to_ndarray() for f in frames], 1))
            )
    return {"streams": streams, "duration": duration, "pictures": pictures, "sound": sound}


def box_order(path: Path) -> list[bytes]:
    data, kinds, at = path.read_bytes(), [], 0
    while at < len(data):
        size, kind = struct.unpack(">I4s", data[at : at + 8])
        if size == 1:
            size = struct.unpack(">Q", data[at + 8 : at + 16])[0]
        kinds.append(kind)
        at += size
    return kinds


@pytest.fixture(scope="module")
def video60() -> list[EncodedPacket]:
    return encode_video(60, 150)


@pytest.fixture(scope="module")
def tones() -> list[AudioStream]:
    return [encode_tone("system", 3.0, 440), encode_tone("mic", 3.0, 660)]


@pytest.mark.parametrize(
    ("drop", "shift_ns"),
    [(0, 0), (10, 0), (3, 3_700_000), (0, -23_700_000)],
    ids=["aligned", "sound-starts-late", "odd-late-start", "pre-roll"],
)
def test_direct_file_decodes_as_the_muxers(
    tmp_path: Path,
    video60: list[EncodedPacket],
    tones: list[AudioStream],
    drop: int,
    shift_ns: int,
) -> None:
    audio = [shifted(t, drop, shift_ns) for t in tones]
    direct = write_mp4(video60, tmp_path / "direct.mp4", audio)
    muxed = write_mp4(video60, tmp_path / "muxed.mp4", audio, muxer=True)
    assert direct.sha256 == hashlib.sha256((tmp_path / "direct.mp4").read_bytes()).hexdigest()
    assert direct.bytes == (tmp_path / "direct.mp4").stat().st_size
    assert dataclasses.replace(direct, sha256="", bytes=0) == dataclasses.replace(
        muxed, sha256="", bytes=0
    )
    # The index before the media: the file plays while it downloads.
    assert box_order(tmp_path / "direct.mp4") == [b"ftyp", b"moov", b"mdat"]
    ours, theirs = read_back(tmp_path / "direct.mp4"), read_back(tmp_path / "muxed.mp4")
    assert ours["streams"] == theirs["streams"]
    assert ours["streams"][0][1] == Fraction(1, 15360)  # the time base clips always had
    assert [s[5].get("handler_name") for s in ours["streams"][1:]] == ["system", "mic"]
    assert ours["duration"] == theirs["duration"]
    assert len(ours["pictures"]) == len(video60)
    for (pts_a, pic_a), (pts_b, pic_b) in zip(ours["pictures"], theirs["pictures"], strict=True):
        assert pts_a == pts_b and np.array_equal(pic_a, pic_b)
    for (pts_a, pcm_a), (pts_b, pcm_b) in zip(ours["sound"], theirs["sound"], strict=True):
        assert pts_a == pts_b
        assert pcm_a.shape == pcm_b.shape and np.array_equal(pcm_a, pcm_b)


@pytest.mark.parametrize(
    "preset",
    ["ultrafast", "veryfast"],
    ids=["baseline-profile", "high-profile"],  # the avcC carries more for high profiles
)
def test_odd_frame_counts_and_picture_only_keep_their_durations(
    tmp_path: Path, preset: str
) -> None:
    packets = encode_video(30, 109, preset=preset)
    direct = write_mp4(packets, tmp_path / "direct.mp4")
    write_mp4(packets, tmp_path / "muxed.mp4", muxer=True)
    ours, theirs = read_back(tmp_path / "direct.mp4"), read_back(tmp_path / "muxed.mp4")
    assert ours["streams"] == theirs["streams"] and ours["duration"] == theirs["duration"]
    assert ours["streams"][0][3] * ours["streams"][0][1] == Fraction(109, 30)
    assert direct.duration_s == pytest.approx(109 / 30)
    assert [p for p, _ in ours["pictures"]] == [p for p, _ in theirs["pictures"]]
    for (_, pic_a), (_, pic_b) in zip(ours["pictures"], theirs["pictures"], strict=True):
        assert np.array_equal(pic_a, pic_b)
    profile = ours["streams"][0][6][1]
    assert profile == (66 if preset == "ultrafast" else 100)


def test_the_direct_writer_declines_what_it_cannot_write(
    tmp_path: Path, video60: list[EncodedPacket]
) -> None:
    assert direct_picture(video60) is not None
    other = dataclasses.replace(video60[-1].params, pix_fmt="yuv444p")
    as_444 = [dataclasses.replace(p, params=other) for p in video60]
    assert direct_picture(as_444) is None
    reordered = [dataclasses.replace(video60[1], dts=video60[1].dts - 1), *video60[2:]]
    assert direct_picture([video60[0], *reordered]) is None
    # Packets without an Annex B start code are not laid out by guesswork.
    no_start_code = dataclasses.replace(video60[-1].params, extradata=b"\x01\x42")
    assert direct_picture([dataclasses.replace(p, params=no_start_code) for p in video60]) is None
    length_prefixed = dataclasses.replace(video60[5], data=b"\x00\x00\x00\x02\x41\x9a", units=None)
    assert direct_picture([*video60[:5], length_prefixed, *video60[6:]]) is None


def escaped(raw: bytes) -> bytes:
    """``raw`` as a NAL unit: emulation prevention keeps every 00 00 pair followed by 03, and a
    unit never ends in 00."""
    out = bytearray()
    for b in raw:
        if len(out) >= 2 and out[-1] == 0 and out[-2] == 0:
            out.append(3)
        out.append(b)
    return bytes(out).rstrip(b"\x00") or b"\x65"


unit_bytes = st.binary(min_size=1, max_size=40).map(escaped)


@given(
    units=st.lists(unit_bytes, min_size=1, max_size=8),
    long_codes=st.lists(st.booleans(), min_size=8, max_size=8),
)
def test_annexb_units_finds_every_unit(units: list[bytes], long_codes: list[bool]) -> None:
    codes = [b"\x00\x00\x00\x01" if long else b"\x00\x00\x01" for long in long_codes]
    data = b"".join(code + unit for code, unit in zip(codes, units, strict=False))
    bounds = annexb_units(data)
    assert bounds is not None
    found = [data[bounds[i] : bounds[i + 1]] for i in range(0, len(bounds), 2)]
    assert found == units


def test_annexb_units_refuses_what_is_not_annexb() -> None:
    assert annexb_units(b"\x00\x00\x00\x09\x65abcdefgh") is None  # length-prefixed (avcC) form
    assert annexb_units(b"") is None


def test_a_direct_write_makes_the_same_file(
    tmp_path: Path, video60: list[EncodedPacket], tones: list[AudioStream]
) -> None:
    """Through the page cache or straight to the device: the same bytes and hash."""
    buffered = write_mp4(video60, tmp_path / "buffered.mp4", tones, clip_write="buffered")
    direct = write_mp4(video60, tmp_path / "direct.mp4", tones, clip_write="direct")
    data = (tmp_path / "direct.mp4").read_bytes()
    assert data == (tmp_path / "buffered.mp4").read_bytes()
    assert direct.sha256 == buffered.sha256 == hashlib.sha256(data).hexdigest()
    assert direct.bytes == len(data)
