"""The shared progress bar: drawn on a terminal only, rate-limited redraws, one line
kept at the end.
"""

from __future__ import annotations

import io

from hindsight.cli.progressbar import ProgressBar, describe_bytes, human_bytes


class Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_the_bar_draws_byte_progress_on_a_terminal_and_ends_its_line() -> None:
    stream = Tty()
    bar = ProgressBar(10 * 2**20, label="uploading 1 clip(s) ", stream=stream)
    bar.advance(5 * 2**20)
    drawn = stream.getvalue()
    assert "uploading 1 clip(s)" in drawn and "5.0 MiB/10.0 MiB" in drawn and "\u2588" * 14 in drawn
    bar.finish()
    assert stream.getvalue().endswith("\n") and stream.getvalue().count("\n") == 1


def test_no_bar_when_not_a_terminal_or_quiet() -> None:
    plain = io.StringIO()
    bar = ProgressBar(100, label="x", stream=plain)
    bar.advance(50)
    bar.finish()
    assert plain.getvalue() == "" and bar.done == 50
    quiet = Tty()
    ProgressBar(100, label="x", quiet=True, stream=quiet).advance(100)
    assert quiet.getvalue() == ""


def test_human_bytes_and_rate() -> None:
    assert [human_bytes(n) for n in (0, 1023, 1024, 5 * 2**20, 3 * 2**30)] == [
        "0 B",
        "1023 B",
        "1.0 KiB",
        "5.0 MiB",
        "3.0 GiB",
    ]
    assert describe_bytes(2**20, 2 * 2**20, 1.0) == "1.0 MiB/2.0 MiB, 1.0 MiB/s, 1 s left"
