"""The upload progress bar: drawn on a terminal only, rate-limited redraws, cleared at the end."""

from __future__ import annotations

import io

from hindsight.uploader.termbar import ByteBar, human_bytes


class Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_the_bar_draws_progress_on_a_terminal_and_clears_itself() -> None:
    stream = Tty()
    bar = ByteBar(10 * 2**20, "uploading 1 clip(s)", stream=stream)
    bar._drawn = -1.0  # draw on the first advance
    bar.advance(5 * 2**20)
    drawn = stream.getvalue()
    assert "uploading 1 clip(s)" in drawn and "5.0 MiB/10.0 MiB" in drawn and "#" * 12 in drawn
    bar.close()
    assert stream.getvalue().endswith("\r")


def test_no_bar_when_not_a_terminal_or_quiet() -> None:
    plain = io.StringIO()
    bar = ByteBar(100, "x", stream=plain)
    bar.advance(50)
    bar.close()
    assert plain.getvalue() == "" and bar.done == 50
    quiet = Tty()
    ByteBar(100, "x", enabled=False, stream=quiet).advance(100)
    assert quiet.getvalue() == ""


def test_human_bytes() -> None:
    assert [human_bytes(n) for n in (0, 1023, 1024, 5 * 2**20, 3 * 2**30)] == [
        "0 B", "1023 B", "1.0 KiB", "5.0 MiB", "3.0 GiB"]
