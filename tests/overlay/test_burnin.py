"""Burn-in of a clip with a known action track: frames, timestamps, audio, the lit
region, the original.
"""

from __future__ import annotations

import hashlib
import math
from pathlib import Path

import av
import numpy as np
import pyarrow.parquet as pq
import pytest

from hindsight.bundle import MANIFEST_FILE, VIDEO_FILE, open_bundle
from hindsight.bundle import schema as col
from hindsight.overlay.burnin import burn_in, load_clip_layout
from hindsight.overlay.errors import ClipError
from hindsight.overlay.model.theme import OverlayStyle
from hindsight.overlay.qt.compositor import FrameCompositor
from hindsight.overlay.qt.template import create_template
from tests.overlay.helpers import expected_lit, is_accent, probe_box, synthetic_clip
from tests.recorder.cli_proc import run_cli


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def packets(path: Path, kind: str) -> list[tuple]:
    with av.open(str(path)) as c:
        streams = c.streams.video if kind == "video" else c.streams.audio
        return [
            (p.pts, p.dts, p.is_keyframe, bytes(p) if kind == "audio" else None)
            for p in c.demux(streams[0])
            if p.size
        ]


def space_lit_per_frame(
    clip: Path, video: Path, style: OverlayStyle, template: str = "keyboard_mouse"
) -> np.ndarray:
    """Decode ``video`` and tell, per frame, whether the Space cap is lit (accent coloured)."""
    layout = load_clip_layout(clip)
    with av.open(str(video)) as c:
        stream = c.streams.video[0]
        w, h = stream.codec_context.width, stream.codec_context.height
        tpl = create_template(template, layout, style, h)
        comp = FrameCompositor(tpl, style, (w, h))
        box = probe_box(tpl.regions()["key:Space"])
        return np.array(
            [is_accent(f.to_ndarray(format="rgb24"), box, comp.origin) for f in c.decode(stream)]
        )


def check_burned(clip: Path, out: Path, source_digest: str, manifest_digest: str | None) -> None:
    src, dst = clip / VIDEO_FILE, out
    assert digest(src) == source_digest  # the original is never altered
    if manifest_digest is not None:
        assert digest(clip / MANIFEST_FILE) == manifest_digest
        assert open_bundle(clip).verify() == []
    vs, vd = packets(src, "video"), packets(dst, "video")
    assert len(vd) == len(vs)
    assert vd[0][2]  # first packet a keyframe
    with av.open(str(src)) as a, av.open(str(dst)) as b:
        ta, tb = a.streams.video[0].time_base, b.streams.video[0].time_base
        assert [float(p[0] * tb) for p in vd] == pytest.approx(
            [float(p[0] * ta) for p in vs], abs=1e-6
        )
        assert b.streams.video[0].frames == a.streams.video[0].frames
        assert sum(1 for _ in b.decode(video=0)) == len(vs)  # it decodes


def test_burn_in_synthetic_clip_with_audio(tmp_path: Path, qt_app) -> None:
    held, taps = [range(20, 50), range(90, 95)], [70]
    clip = synthetic_clip(
        tmp_path / "clip", frames=120, size="1280x720", jump_held=held, jump_taps=taps
    )
    before, manifest = digest(clip / VIDEO_FILE), digest(clip / MANIFEST_FILE)
    seen = []
    result = burn_in(clip, progress=lambda done, total, fps: seen.append((done, total)))
    assert result.path == clip / "video.overlay-keyboard_mouse.mp4" and result.frames == 120
    assert seen[-1] == (120, 120)
    check_burned(clip, result.path, before, manifest)
    # Audio packets are copied as they are.
    assert packets(result.path, "audio") == packets(clip / VIDEO_FILE, "audio")
    # The Space cap is lit exactly on the frames where jump is held (and a tap stays 100 ms).
    bundle = open_bundle(clip)
    assert bundle.actions_path is not None
    track = pq.read_table(bundle.actions_path).to_pydict()
    jump, jump_n = col.button_columns("jump")
    want = expected_lit(np.array(track[jump]), np.array(track[jump_n]), math.ceil(0.1 * 60))
    got = space_lit_per_frame(clip, result.path, OverlayStyle())
    assert (got == want).all(), np.flatnonzero(got != want)
    assert not space_lit_per_frame(clip, bundle.video_path, OverlayStyle()).any()


def test_options_and_other_templates(tmp_path: Path, qt_app) -> None:
    clip = synthetic_clip(
        tmp_path / "clip", frames=30, size="640x360", audio=False, jump_held=[range(5, 10)]
    )
    style = OverlayStyle(position="top-right", opacity=0.8, scale=1.5)
    out = tmp_path / "elsewhere" / "mine.mp4"
    out.parent.mkdir()
    for name in ("controller", "apm", "history"):
        result = burn_in(clip, template=name, out=out, style=style)
        assert result.path == out and result.frames == 30 and result.template == name
    with pytest.raises(Exception, match="never altered"):
        burn_in(clip, out=clip / VIDEO_FILE)


def test_clear_errors(tmp_path: Path, qt_app) -> None:
    with pytest.raises(ClipError, match="no clip folder"):
        burn_in(tmp_path / "missing")
    bare = tmp_path / "bare"
    bare.mkdir()
    (bare / VIDEO_FILE).write_bytes(b"not read")
    with pytest.raises(ClipError, match=f"not a Hindsight clip \\(no {MANIFEST_FILE}\\)"):
        burn_in(bare)
    clip = synthetic_clip(tmp_path / "clip", frames=10, audio=False)
    actions = open_bundle(clip).actions_path
    assert actions is not None
    actions.unlink()
    with pytest.raises(ClipError, match="no action track"):
        burn_in(clip)
    clip = synthetic_clip(tmp_path / "clip2", frames=10, audio=False)
    video = open_bundle(clip).video_path
    video.write_bytes(video.read_bytes()[:64] + b"\x00" * 4096)
    with pytest.raises(ClipError, match="damaged"):
        burn_in(clip)
    assert not list(clip.glob("video.overlay*")) and not list(clip.glob(".video.overlay*"))


def test_cli_render(tmp_path: Path) -> None:
    clip = synthetic_clip(
        tmp_path / "clip", frames=20, size="640x360", audio=False, jump_held=[range(2, 6)]
    )
    result = run_cli("overlay", "render", str(clip), "--template", "history", "--quiet")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == str(clip / "video.overlay-history.mp4") and result.stderr == ""
    missing = run_cli("overlay", "render", str(tmp_path / "nope"))
    assert missing.returncode == 1
    assert missing.stderr.strip() == f"hindsight: error: no clip folder at {tmp_path / 'nope'}"
    bad = run_cli("overlay", "render", str(clip), "--opacity", "3")
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1


def test_progress_bar_draws_one_line_only_on_a_terminal() -> None:
    import io

    from hindsight.cli.overlay import _describe_frames
    from hindsight.cli.progressbar import ProgressBar

    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    quiet, tty = io.StringIO(), Tty()
    for stream in (quiet, tty):
        bar = ProgressBar(120, describe=_describe_frames(60), stream=stream)
        for done in (1, 60, 120):
            bar.update(done)
        bar.finish()
    assert quiet.getvalue() == ""
    out = tty.getvalue()
    assert out.count("\n") == 1 and out.startswith("\r") and "120/120 frames" in out
    muted = Tty()
    ProgressBar(10, describe=_describe_frames(60), stream=muted, quiet=True).update(5)
    assert muted.getvalue() == ""


def test_cli_render_finds_a_clip_by_its_library_id(isolated_user_dirs) -> None:
    clip = synthetic_clip(
        isolated_user_dirs["clips"] / "Counter-Strike 2 2026-11-21 10-00-00",
        frames=10,
        audio=False,
        jump_held=[range(2, 5)],
        clip_id="feedbeef-0000-4000-8000-000000000001",
    )
    assert run_cli("clips", "list").returncode == 0  # the library picks the folder up
    result = run_cli("overlay", "render", "feedbeef", "--quiet")
    assert result.returncode == 0, result.stderr
    assert Path(result.stdout.strip()) == clip.resolve() / "video.overlay-keyboard_mouse.mp4"
    unknown = run_cli("overlay", "render", "abcdef12")
    assert unknown.returncode == 2 and "no clip 'abcdef12' in the library" in unknown.stderr
