"""A picture of a clip's sound against its picture, with what was measured in it, for docs/.

    python -m tests.av.draw CLIP_FOLDER OUT.png

Three panels on one time axis (seconds in the file): each frame's mean brightness,
the mix track's waveform, and its spectrogram (0-4 kHz). Beep onsets found in the
mix are marked on all three. Prints JSON with what was measured in the sound: each
beep's onset, length, peak level and pitch, and the level of the quiet between beeps.
Drawn with Qt (offscreen), the toolkit the project already has.
"""

from __future__ import annotations

import json
import math
import os
import sys
from pathlib import Path

import numpy as np
import numpy.typing as npt

from hindsight.bundle import open_bundle
from tests.av.measure import _bursts, _levels, decode_audio

__all__ = ["measure_sound", "draw_clip"]

_W, _PANEL, _MARGIN = 1400, 170, 60


def _dbfs(x: float) -> float:
    return round(20 * math.log10(max(x, 1e-9)), 1)


def measure_sound(samples: npt.NDArray[np.float32], start_s: float, rate: int) -> dict:
    """Beeps (onset, length, peak dBFS, pitch Hz) and the quiet between them (RMS dBFS)."""
    beeps = []
    quiet = np.ones(len(samples), bool)
    for first, last in _bursts(samples, rate, 0.4, 0.02):
        body = samples[first : last + 1]
        spectrum = np.abs(np.fft.rfft(body * np.hanning(len(body))))
        pitch = float(np.argmax(spectrum)) * rate / len(body)
        beeps.append(
            {
                "onset_s": round(start_s + first / rate, 4),
                "length_ms": round((last - first + 1) / rate * 1000, 1),
                "peak_dbfs": _dbfs(float(np.max(np.abs(body)))),
                "pitch_hz": round(pitch),
            }
        )
        quiet[max(0, first - rate // 50) : last + rate // 20] = False
    rest = samples[quiet]
    return {
        "beeps": beeps,
        "quiet_rms_dbfs": _dbfs(float(np.sqrt(np.mean(rest**2)))) if len(rest) else None,
    }


def _changes(luma: npt.NDArray[np.float64], times: list[float]) -> list[float]:
    """Times of the frames where the brightness jumps by more than half its range."""
    if len(luma) < 2:
        return []
    jump = (luma.max() - luma.min()) / 2
    return [times[i] for i in range(1, len(luma)) if abs(luma[i] - luma[i - 1]) > jump]


def _offsets(facts: dict) -> list[float]:
    """Each beep's onset minus the nearest picture change, in ms (within 100 ms)."""
    changes = facts["picture_changes_s"]
    out = []
    for beep in facts["beeps"]:
        if changes:
            nearest = min(changes, key=lambda t: abs(t - beep["onset_s"]))
            if abs(nearest - beep["onset_s"]) < 0.1:
                out.append(round((beep["onset_s"] - nearest) * 1000, 1))
    return out


def draw_clip(clip: Path, out: Path) -> dict:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PyQt6.QtCore import QPointF, QRectF, Qt
    from PyQt6.QtGui import QColor, QFont, QGuiApplication, QImage, QPainter, QPen

    video = clip / open_bundle(clip).manifest.video.file
    luma, frame_times = _levels(video)
    samples, start_s, rate = decode_audio(video, 0)
    facts = measure_sound(samples, start_s, rate)
    facts["picture_changes_s"] = [round(t, 4) for t in _changes(luma, frame_times)]
    facts["beep_minus_picture_change_ms"] = _offsets(facts)
    end_s = max(frame_times[-1] if frame_times else 0.0, start_s + len(samples) / rate)

    _app = QGuiApplication.instance() or QGuiApplication(sys.argv[:1])
    height = 3 * _PANEL + 4 * 30
    image = QImage(_W, height, QImage.Format.Format_RGB32)
    image.fill(QColor("#15171c"))
    p = QPainter(image)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    p.setFont(QFont("DejaVu Sans", 10))
    plot_w = _W - 2 * _MARGIN

    def x_of(t: float) -> float:
        return _MARGIN + t / end_s * plot_w

    tops = [30 + i * (_PANEL + 30) for i in range(3)]
    titles = ["picture: mean brightness per frame", "sound: mix track waveform", "spectrogram"]
    for top, title in zip(tops, titles, strict=True):
        p.setPen(QColor("#2a2e37"))
        p.drawRect(QRectF(_MARGIN, top, plot_w, _PANEL))
        p.setPen(QColor("#c8ccd4"))
        p.drawText(QPointF(_MARGIN, top - 8), title)

    # Picture.
    p.setPen(QPen(QColor("#f5c542"), 1.5))
    span = max(1.0, float(luma.max() - luma.min())) if len(luma) else 1.0
    points = [
        QPointF(x_of(t), tops[0] + _PANEL - (v - luma.min()) / span * (_PANEL - 10) - 5)
        for t, v in zip(frame_times, luma, strict=True)
    ]
    for a, b in zip(points, points[1:], strict=False):
        p.drawLine(a, b)

    # Waveform: min and max per pixel column.
    mid = tops[1] + _PANEL / 2
    p.setPen(QColor("#5ec4ff"))
    for col in range(plot_w):
        t0, t1 = col / plot_w * end_s - start_s, (col + 1) / plot_w * end_s - start_s
        chunk = samples[max(0, int(t0 * rate)) : max(0, int(t1 * rate))]
        if len(chunk):
            lo, hi = float(chunk.min()), float(chunk.max())
            p.drawLine(
                QPointF(_MARGIN + col, mid - hi * _PANEL / 2),
                QPointF(_MARGIN + col, mid - lo * _PANEL / 2),
            )

    # Spectrogram: 1024-sample Hann windows, 0-4 kHz, -90..0 dB.
    hop, size = 512, 1024
    top_bin = int(4000 * size / rate)
    window = np.hanning(size)
    for col in range(plot_w):
        centre = int((col / plot_w * end_s - start_s) * rate)
        seg = samples[max(0, centre - size // 2) : max(0, centre - size // 2) + size]
        if len(seg) < size:
            continue
        mag = np.abs(np.fft.rfft(seg * window))[:top_bin] / (size / 4)
        db = np.clip(20 * np.log10(np.maximum(mag, 1e-9)), -90, 0)
        for b, level in enumerate(db):
            y = tops[2] + _PANEL - (b + 1) / top_bin * _PANEL
            shade = int((level + 90) / 90 * 255)
            colour = QColor(shade, int(shade * 0.55), 40 + shade // 6)
            p.fillRect(QRectF(_MARGIN + col, y, 1, _PANEL / top_bin + 1), colour)
    del hop

    # Beep onsets on every panel.
    p.setPen(QPen(QColor("#ff5a5a"), 1, Qt.PenStyle.DashLine))
    for beep in facts["beeps"]:
        x = x_of(beep["onset_s"])
        p.drawLine(QPointF(x, tops[0]), QPointF(x, tops[2] + _PANEL))
    p.setPen(QColor("#c8ccd4"))
    for s in range(int(end_s) + 1):
        p.drawText(QPointF(x_of(s) - 4, height - 8), f"{s}s")
    p.end()
    out.parent.mkdir(parents=True, exist_ok=True)
    if not image.save(str(out)):
        raise OSError(f"could not write {out}")
    return facts


if __name__ == "__main__":
    print(json.dumps(draw_clip(Path(sys.argv[1]), Path(sys.argv[2])), indent=2))
