"""A real PulseAudio server for tests: a private daemon with a null sink as default.

The null sink's ``.monitor`` is real system audio for the recorder: what a test plays
into ``hs_null`` (with ``pacat``) is what a player would hear. A second null sink,
``hs_mic_out``, stands in for a microphone: its monitor is remapped as the source
``hs_mic`` (the default source), so a test speaks into the mic by playing into
``hs_mic_out``. Everything lives in a temp dir; clients find it by ``PULSE_SERVER``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from typing import BinaryIO

import numpy as np

from hindsight.demo.sound import pulseaudio_command

__all__ = ["PulseServer", "SYSTEM_SINK", "MIC_SINK", "MIC_SOURCE", "RATE"]

SYSTEM_SINK = "hs_null"
MIC_SINK = "hs_mic_out"
MIC_SOURCE = "hs_mic"
RATE = 48_000


class PulseServer:
    """Start with :meth:`start`, stop with :meth:`stop`; :attr:`env` reaches it."""

    def __init__(self, root: Path | None = None) -> None:
        self._own_root = root is None
        self.root = root or Path(tempfile.mkdtemp(prefix="hs-pa-", dir="/tmp"))
        self.socket = self.root / "native"
        self._proc: subprocess.Popen[bytes] | None = None
        self._log: BinaryIO | None = None

    @property
    def address(self) -> str:
        return f"unix:{self.socket}"

    @property
    def env(self) -> dict[str, str]:
        """The variables a client needs (merge into ``os.environ``)."""
        return {"PULSE_SERVER": self.address, "PULSE_RUNTIME_PATH": str(self.root)}

    def start(self) -> None:
        if shutil.which("pulseaudio") is None:
            raise RuntimeError("pulseaudio is not installed: run bash scripts/setup --test")
        script = self.root / "default.pa"
        script.write_text(
            f"load-module module-native-protocol-unix socket={self.socket} auth-anonymous=1\n"
            f"load-module module-null-sink sink_name={SYSTEM_SINK}"
            " rate=48000 sink_properties=device.description=Hindsight-null-sink\n"
            f"load-module module-null-sink sink_name={MIC_SINK}"
            " rate=48000 sink_properties=device.description=Hindsight-mic-feed\n"
            f"load-module module-remap-source master={MIC_SINK}.monitor source_name={MIC_SOURCE}"
            " source_properties=device.description=Hindsight-test-mic\n"
            f"set-default-sink {SYSTEM_SINK}\n"
            f"set-default-source {MIC_SOURCE}\n"
        )
        env = dict(os.environ, HOME=str(self.root), XDG_RUNTIME_DIR=str(self.root))
        env.update(self.env)
        env.pop("PULSE_SERVER")  # the daemon must not look for itself
        self._log = open(self.root / "pulseaudio.log", "wb")  # noqa: SIM115 (closed in stop)
        self._proc = subprocess.Popen(
            pulseaudio_command(script),
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=self._log,
        )
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                log = (self.root / "pulseaudio.log").read_text(errors="replace")[-2000:]
                raise RuntimeError(f"pulseaudio exited ({self._proc.returncode}):\n{log}")
            if self.socket.exists() and self._pactl("info", check=False).returncode == 0:
                return
            time.sleep(0.05)
        self.stop()
        raise RuntimeError("pulseaudio did not come up within 15 s")

    def stop(self) -> None:
        if self._proc is not None:
            self._proc.terminate()
            try:
                self._proc.wait(5)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
            self._proc = None
        if self._log is not None:
            self._log.close()
            self._log = None
        if self._own_root:
            shutil.rmtree(self.root, ignore_errors=True)

    def __enter__(self) -> PulseServer:
        self.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    # -- control -------------------------------------------------------------

    def _pactl(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        env = dict(os.environ, **self.env)
        return subprocess.run(
            ["pactl", *args], env=env, capture_output=True, text=True, check=check, timeout=10
        )

    def _module_of(self, sink: str) -> str | None:
        for line in self._pactl("list", "short", "modules").stdout.splitlines():
            fields = line.split("\t")
            if len(fields) >= 3 and f"sink_name={sink}" in fields[2]:
                return fields[0]
        return None

    def unload_system_sink(self) -> None:
        """Take the system output away, as unplugging a headset does."""
        module = self._module_of(SYSTEM_SINK)
        if module is None:
            raise RuntimeError(f"{SYSTEM_SINK} is not loaded")
        self._pactl("unload-module", module)

    def load_system_sink(self) -> None:
        """Bring the system output back and make it the default again."""
        self._pactl(
            "load-module",
            "module-null-sink",
            f"sink_name={SYSTEM_SINK}",
            "sink_properties=device.description=Hindsight-null-sink",
        )
        self._pactl("set-default-sink", SYSTEM_SINK)

    def kill(self) -> None:
        """The whole audio server dies (SIGKILL), as a crash would."""
        if self._proc is not None:
            self._proc.kill()
            self._proc.wait()
            self._proc = None

    # -- sound ---------------------------------------------------------------

    def play(self, pcm: np.ndarray, sink: str = SYSTEM_SINK) -> subprocess.Popen[bytes]:
        """Play float32 stereo 48 kHz ``pcm`` into ``sink``; returns the running ``pacat``."""
        data = np.ascontiguousarray(pcm, dtype="<f4").tobytes()
        env = dict(os.environ, **self.env)
        proc = subprocess.Popen(
            [
                "pacat",
                "--playback",
                f"--device={sink}",
                "--format=float32le",
                f"--rate={RATE}",
                "--channels=2",
                "--latency-msec=20",
                "--raw",
            ],
            stdin=subprocess.PIPE,
            env=env,
        )
        assert proc.stdin is not None
        proc.stdin.write(data)
        proc.stdin.close()
        return proc


def sine(seconds: float, hz: float = 440.0, amplitude: float = 0.5) -> np.ndarray:
    """A stereo float32 sine of ``seconds`` at :data:`RATE`."""
    t = np.arange(int(seconds * RATE)) / RATE
    mono = (amplitude * np.sin(2 * np.pi * hz * t)).astype(np.float32)
    return np.stack([mono, mono], axis=1)
