"""Running the real ``hindsight`` command in tests: a background recorder and one-shot commands."""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

HINDSIGHT = [sys.executable, "-m", "hindsight"]


def run_cli(
    *args: str, env: dict[str, str] | None = None, timeout_s: float = 120
) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*HINDSIGHT, *args],
        capture_output=True,
        text=True,
        timeout=timeout_s,
        env=env if env is not None else os.environ.copy(),
    )


def record_start_error(display: str, env: dict[str, str]) -> str:
    """The one line a small fake-source ``hindsight record`` on ``display`` fails to start
    with under ``env`` (asserted: it fails, and says one line)."""
    result = run_cli(
        "record", "--display", display, "--capture-source", "fake", "--region", "0,0,64,48",
        "--no-hotkey", "--no-input", "--no-overlay-server", "--no-library",
        env=env,
    )  # fmt: skip
    lines = result.stderr.strip().splitlines()
    assert result.returncode != 0 and len(lines) == 1, result.stderr
    return lines[0]


class RecorderProcess:
    """``hindsight record ...`` in the background, with its output lines readable as they come."""

    def __init__(self, *args: str, env: dict[str, str] | None = None, verbose: int = 0) -> None:
        self.args = args
        flags = ["-" + "v" * verbose] if verbose else []
        self.proc = subprocess.Popen(
            [*HINDSIGHT, *flags, "record", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env if env is not None else os.environ.copy(),
        )
        self.lines: queue.Queue[str] = queue.Queue()
        self.stdout: list[str] = []
        self.stderr: list[str] = []
        self._pumps = [
            threading.Thread(
                target=self._pump, args=(self.proc.stdout, self.stdout, True), daemon=True
            ),
            threading.Thread(
                target=self._pump, args=(self.proc.stderr, self.stderr, False), daemon=True
            ),
        ]
        for pump in self._pumps:
            pump.start()

    def _pump(self, stream, sink: list[str], to_queue: bool) -> None:
        for line in stream:
            sink.append(line)
            if to_queue:
                self.lines.put(line.rstrip("\n"))

    def wait_line(self, prefix: str, timeout_s: float = 30) -> str:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=0.2)
            except queue.Empty:
                if self.proc.poll() is not None and self.lines.empty():
                    raise AssertionError(
                        f"recorder exited {self.proc.returncode}: {''.join(self.stderr)}"
                    ) from None
                continue
            if line.startswith(prefix):
                return line
        raise AssertionError(
            f"no line starting {prefix!r} in {timeout_s} s; stderr: {''.join(self.stderr)}"
        )

    def stop(self, sig: int = signal.SIGTERM, timeout_s: float = 30) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            code = self.proc.wait(timeout_s)
        except subprocess.TimeoutExpired:
            # Where every thread is stuck says why the stop hangs; the kill comes after.
            stacks = _thread_stacks(self.proc.pid)
            self.kill()
            raise AssertionError(
                f"recorder still running {timeout_s} s after signal {sig}; its threads:\n"
                f"{stacks}\nstderr: {''.join(self.stderr)}"
            ) from None
        self._close_pipes()
        return code

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)
        self._close_pipes()

    def _close_pipes(self) -> None:
        # The pumps end at EOF once the process is gone; then the pipes can be closed.
        for pump in self._pumps:
            pump.join(5)
        for stream in (self.proc.stdout, self.proc.stderr):
            if stream is not None and not any(p.is_alive() for p in self._pumps):
                stream.close()


def _thread_stacks(pid: int) -> str:
    """Every thread's Python stack of process ``pid`` (py-spy), or why there are none."""
    try:
        dump = subprocess.run(
            ["py-spy", "dump", "--pid", str(pid)], capture_output=True, text=True, timeout=30
        )
    except (OSError, subprocess.TimeoutExpired) as err:
        return f"(no stacks: {err})"
    return dump.stdout + dump.stderr


def clip_folders(clips_dir: Path) -> list[Path]:
    return (
        sorted(p for p in clips_dir.iterdir() if not p.name.startswith("."))
        if clips_dir.exists()
        else []
    )
