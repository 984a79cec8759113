"""The demo's sound: a private PulseAudio server with a null sink, or the tone backend.

:class:`DemoSound` starts ``pulseaudio`` on a socket in a temp folder with one null
sink as its default output, so the demo records real system sound without touching
the user's own audio server or speakers. The demo game plays a short beep into that
sink on every flash (:func:`beep_pcm`, through ``pacat``); where no game runs, a
beep plays every second. The recorder records the sink's monitor like any output.

Where PulseAudio (or libpulse) is not installed, the recorder's tone backend stands
in: it beeps on every whole second of the clock. :attr:`DemoSound.summary` says which
in one line.

libpulse finds a server through ``PULSE_SERVER``: while the private server runs, this
process's ``PULSE_SERVER`` points at it (the recorder runs in this process) and is
put back on :meth:`DemoSound.stop`.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import threading
import time
import weakref
from pathlib import Path
from typing import Any, Self

__all__ = [
    "BEEP_HZ",
    "BEEP_S",
    "DEMO_SINK",
    "DemoSound",
    "beep_pcm",
    "pacat_command",
    "pulseaudio_command",
]

DEMO_SINK = "hindsight_demo"
BEEP_HZ = 880.0
BEEP_S = 0.08
_RATE = 48_000
_START_TIMEOUT_S = 10.0
_PULSE_VARS = ("PULSE_SERVER", "PULSE_RUNTIME_PATH")


def beep_pcm(seconds: float = BEEP_S, hz: float = BEEP_HZ, amplitude: float = 0.5) -> bytes:
    """A short beep as 48 kHz stereo s16le, faded in and out so it does not click."""
    import numpy as np

    t = np.arange(int(seconds * _RATE)) / _RATE
    ramp = np.minimum(1.0, np.minimum(t, t[-1] - t) / 0.005)
    mono = (32767 * amplitude * ramp * np.sin(2 * np.pi * hz * t)).astype("<i2")
    return np.repeat(mono[:, None], 2, axis=1).tobytes()


def pulseaudio_command(script: Path) -> list[str]:
    """A private PulseAudio daemon in the foreground, set up by ``script`` alone (``-n``):
    never exits on idle, no pid file, no shared memory (a private server on a machine that
    may run another), logging to stderr."""
    return [
        "pulseaudio",
        "-n",
        "--daemonize=no",
        "--exit-idle-time=-1",
        "--use-pid-file=no",
        "--disable-shm=yes",
        "--log-target=stderr",
        "-F",
        str(script),
    ]


def pacat_command(sink: str) -> list[str]:
    """``pacat`` playing raw 48 kHz stereo s16le from its stdin into ``sink``, with little
    latency so a beep sounds when it is written."""
    return [
        "pacat", "--playback", f"--device={sink}", "--format=s16le", f"--rate={_RATE}",
        "--channels=2", "--latency-msec=20", "--raw", "--client-name=Hindsight demo",
    ]  # fmt: skip


def _stop(proc: subprocess.Popen[bytes] | None, root: Path | None, env: dict[str, str]) -> None:
    if proc is not None and proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    for name in _PULSE_VARS:
        if name in env:
            os.environ[name] = env[name]
        else:
            os.environ.pop(name, None)
    if root is not None:
        shutil.rmtree(root, ignore_errors=True)


class DemoSound:
    """The demo's source of sound; :meth:`start` picks PulseAudio or the tone backend."""

    def __init__(self) -> None:
        self.backend = "tone"
        self.summary = ""
        self.sink: str | None = None  # the private server's null sink, when there is one
        self._root: Path | None = None
        self._proc: subprocess.Popen[bytes] | None = None
        self._saved_env = {k: os.environ[k] for k in _PULSE_VARS if k in os.environ}
        self._metronome: threading.Thread | None = None
        self._stopping = threading.Event()
        self._finalizer: Any = None

    @property
    def child_env(self) -> dict[str, str]:
        """What a child process needs to play into the private server (empty for the tone)."""
        if self._root is None:
            return {}
        return {
            "PULSE_SERVER": f"unix:{self._root / 'native'}",
            "PULSE_RUNTIME_PATH": str(self._root),
        }

    @property
    def overrides(self) -> dict[str, str]:
        """The recorder settings that record this sound (settings keys)."""
        if self.backend == "pulse" and self.sink is not None:
            return {
                "audio": "system",
                "audio_backend": "pulse",
                "audio_device": f"{self.sink}.monitor",
            }
        return {"audio": "system", "audio_backend": "tone", "audio_device": "beeps"}

    def start(self) -> Self:
        why = self._start_pulse()
        if why is None:
            self.backend = "pulse"
            self.summary = "a private PulseAudio server with a null sink, recorded as system sound"
        else:
            self.backend = "tone"
            self.summary = f"{why}: the recorder's test tone beeps on every second instead"
        return self

    def _start_pulse(self) -> str | None:
        """None once the private server runs, else why it does not."""
        for program, package in (("pulseaudio", "pulseaudio"), ("pacat", "pulseaudio-utils")):
            if shutil.which(program) is None:
                return f"no PulseAudio here ({program} is not installed: apt-get install {package})"
        from hindsight.recorder.audio import AudioError, choose_audio_backend
        from hindsight.recorder.config import AudioConfig

        try:
            choose_audio_backend(AudioConfig(backend="pulse"))
        except AudioError as err:
            return f"no PulseAudio here ({err})"
        root = Path(tempfile.mkdtemp(prefix="hs-demo-pa-"))
        socket = root / "native"
        script = root / "default.pa"
        script.write_text(
            f"load-module module-native-protocol-unix socket={socket} auth-anonymous=1\n"
            f"load-module module-null-sink sink_name={DEMO_SINK} rate={_RATE}"
            " sink_properties=device.description=Hindsight-demo-speakers\n"
            f"set-default-sink {DEMO_SINK}\n"
        )
        env = {k: v for k, v in os.environ.items() if k not in _PULSE_VARS}
        env.update(HOME=str(root), XDG_RUNTIME_DIR=str(root))
        log = open(root / "pulseaudio.log", "wb")  # noqa: SIM115
        try:
            proc = subprocess.Popen(
                pulseaudio_command(script),
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=log,
            )
        finally:
            log.close()
        self._root, self._proc = root, proc
        self._finalizer = weakref.finalize(self, _stop, proc, root, dict(self._saved_env))
        os.environ.update(self.child_env)
        deadline = time.monotonic() + _START_TIMEOUT_S
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                tail = (root / "pulseaudio.log").read_text(errors="replace").strip()
                last = tail.splitlines()[-1] if tail else f"exit status {proc.returncode}"
                self.stop()
                return f"PulseAudio did not start ({last})"
            if socket.exists() and self._has_sink():
                self.sink = DEMO_SINK
                return None
            time.sleep(0.05)
        self.stop()
        return f"PulseAudio did not start within {_START_TIMEOUT_S:g} s"

    @staticmethod
    def _has_sink() -> bool:
        from hindsight.recorder.audio import AudioError, choose_audio_backend
        from hindsight.recorder.config import AudioConfig

        backend = choose_audio_backend(AudioConfig(backend="pulse"))
        assert backend is not None
        try:
            return any(d.name == f"{DEMO_SINK}.monitor" for d in backend.devices())
        except AudioError:
            return False

    def start_metronome(self, period_s: float = 1.0) -> None:
        """Beep every ``period_s`` into the null sink (for a demo without the game)."""
        if self.sink is None or self._metronome is not None:
            return
        self._metronome = threading.Thread(
            target=self._tick, args=(period_s,), name="hindsight-demo-beeps", daemon=True
        )
        self._metronome.start()

    def _tick(self, period_s: float) -> None:
        assert self.sink is not None
        player = subprocess.Popen(
            pacat_command(self.sink),
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env={**os.environ, **self.child_env},
        )
        assert player.stdin is not None
        beep = beep_pcm()
        try:
            while not self._stopping.wait(period_s - time.monotonic() % period_s):
                player.stdin.write(beep)
                player.stdin.flush()
        except OSError:
            pass
        finally:
            player.kill()
            player.wait()

    def stop(self) -> None:
        """Stop the beeps and the private server; safe to call more than once."""
        self._stopping.set()
        if self._metronome is not None:
            self._metronome.join(5)
            self._metronome = None
        if self._finalizer is not None:
            self._finalizer()
        self._proc, self._root, self.sink = None, None, None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()
