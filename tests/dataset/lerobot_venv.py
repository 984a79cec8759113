"""A separate virtualenv holding ``lerobot``, for proving an export loads in lerobot itself.

lerobot pins an older PyAV than Hindsight's and pulls in torch, so it never goes into
the project's Python: it lives in its own venv under ``/var/tmp``, keyed by the lerobot
version, built once and reused by every later run (CI included). The recipe installs
lerobot without its pins and then only what its dataset code imports: lerobot 0.4.4 pins
``torch<2.11`` while the CPU torch wheel on this kind of machine is 2.13; its dataset
loader and writer run unchanged on it. torchvision 0.28 (the one matching torch 2.13) no
longer decodes video, so frames are read through torchcodec, which uses the system FFmpeg.
PyPI's torchvision is built against CUDA torch: its compiled ops cannot load beside the
CPU torch, and its import then stops on the two ops it registers without checking
(``nms``, ``qnms``). A startup hook in the venv declares those two schemas before
torchvision is first imported; lerobot's dataset code uses none of torchvision's
compiled ops (only ``transforms.ToTensor`` for image features, which we have none of).

Run as a script it builds the venv and prints its Python's path.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
import sys
from pathlib import Path

LEROBOT_VERSION = "0.4.4"
TORCH = "torch==2.13.0"
# What lerobot.datasets imports, besides torch; versions inside lerobot 0.4.4's own ranges.
REQUIREMENTS = (
    f"lerobot=={LEROBOT_VERSION}",
    "torchvision==0.28.0",
    "torchcodec==0.13.0",
    "datasets>=4.0.0,<5.0.0",
    "huggingface-hub>=0.34.2,<0.36.0",
    "accelerate>=1.10.0,<2.0.0",
    "av>=15.0.0,<16.0.0",
    "packaging>=24.2,<26.0",
    "jsonlines>=4.0.0,<5.0.0",
    "draccus==0.10.0",
    "termcolor>=2.4.0,<4.0.0",
    "einops>=0.8.0,<0.9.0",
    "deepdiff>=7.0.1,<9.0.0",
    "pandas",
    "pyarrow",
    "pillow",
)
_STAMP = "hindsight-venv-ok"
# Installed as a .pth startup hook: declares torchvision's unchecked ops on its first import.
_TORCHVISION_HOOK = """\
import importlib.abc
import sys

_KEEP = []


class _DeclareTorchvisionOps(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name == "torchvision":
            sys.meta_path.remove(self)
            import torch

            lib = torch.library.Library("torchvision", "DEF")
            lib.define("nms(Tensor dets, Tensor scores, float iou_threshold) -> Tensor")
            lib.define("qnms(Tensor qdets, Tensor scores, float iou_threshold) -> Tensor")
            _KEEP.append(lib)
        return None


sys.meta_path.insert(0, _DeclareTorchvisionOps())
"""


def venv_dir() -> Path:
    """A fixed place outside any test's or benchmark's temporary HOME, so every run reuses it
    (``HINDSIGHT_LEROBOT_VENV`` names another, e.g. to try a fresh build)."""
    default = Path("/var/tmp") / f"hindsight-lerobot-{LEROBOT_VERSION}-py311"
    return Path(os.environ.get("HINDSIGHT_LEROBOT_VENV") or default)


def venv_python() -> Path:
    return venv_dir() / "bin" / "python"


def _run(*cmd: str | Path) -> None:
    proc = subprocess.run([str(c) for c in cmd], capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(
            f"{' '.join(map(str, cmd))} failed:\n{proc.stdout[-3000:]}{proc.stderr[-3000:]}"
        )


def ensure_venv() -> Path:
    """The venv's Python, building the venv first if no complete one is there (takes minutes)."""
    root = venv_dir()
    root.parent.mkdir(parents=True, exist_ok=True)
    with open(root.parent / f"{root.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # one build at a time, even across test processes
        if (root / _STAMP).is_file():
            return venv_python()
        shutil.rmtree(root, ignore_errors=True)
        python311 = shutil.which("python3.11") or sys.executable
        _run(python311, "-m", "venv", root)
        pip = (venv_python(), "-m", "pip", "install", "--quiet")
        # torch first, alone: the local CPU wheel, never the multi-GB CUDA build.
        _run(*pip, TORCH)
        _run(*pip, "--no-deps", REQUIREMENTS[0])
        _run(*pip, TORCH, *REQUIREMENTS[1:])
        site = next((root / "lib").glob("python3*/site-packages"))
        (site / "hindsight_torchvision_ops.py").write_text(_TORCHVISION_HOOK)
        (site / "hindsight_torchvision_ops.pth").write_text("import hindsight_torchvision_ops\n")
        _run(venv_python(), "-c", "import lerobot.datasets.lerobot_dataset, torchcodec.decoders")
        (root / _STAMP).write_text(LEROBOT_VERSION + "\n")
    return venv_python()


def run_in_venv(*args: str, timeout_s: float = 900) -> subprocess.CompletedProcess:
    """This file run by the venv's Python with ``args`` (see :func:`_main`), offline."""
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1"}
    env.pop("PYTHONPATH", None)  # the venv sees lerobot, never the project's packages
    return subprocess.run(
        [str(ensure_venv()), __file__, *args],
        capture_output=True,
        text=True,
        timeout=timeout_s,
        env=env,
    )


def read_with_lerobot(root: Path, out: Path) -> subprocess.CompletedProcess:
    """Load the dataset at ``root`` with lerobot and read every frame; arrays into ``out`` (npz)."""
    return run_in_venv("read", str(root), str(out))


# ---- what runs inside the venv -------------------------------------------------------------


def _read(root: str, out: str) -> None:
    """``LeRobotDataset(repo_id, root=...)``, then ``dataset[i]`` for every frame (which decodes
    the picture at the row's timestamp and fails past lerobot's tolerance)."""
    import json

    import numpy as np
    import torch
    from lerobot.datasets.lerobot_dataset import LeRobotDataset

    ds = LeRobotDataset("hindsight/export", root=root)
    key = ds.meta.video_keys[0]
    columns: dict[str, list] = {
        k: [] for k in ("action", "episode_index", "frame_index", "index", "timestamp", "valid")
    }
    thumbs = []
    for i in range(len(ds)):
        item = ds[i]
        for k in columns:
            columns[k].append(item[k].numpy())
        picture = item[key]  # (3, H, W), float in [0, 1]
        thumbs.append(torch.nn.functional.adaptive_avg_pool2d(picture, (9, 16)).numpy())
    np.savez(out, thumbs=np.stack(thumbs), **{k: np.stack(v) for k, v in columns.items()})
    facts = {
        "frames": len(ds),
        "episodes": ds.num_episodes,
        "fps": ds.fps,
        "tasks": list(ds.meta.tasks.index),
        "names": ds.meta.names["action"],
        "video_keys": ds.meta.video_keys,
        "picture_shape": list(item[key].shape),
        "stats": sorted(ds.meta.stats),
        "tolerance_s": ds.tolerance_s,
    }
    print(json.dumps(facts))


def _main(argv: list[str]) -> None:
    """``read ROOT OUT``; ``run SCRIPT ARGS...`` (a script with these argv); ``build``."""
    if argv[:1] == ["read"]:
        _read(argv[1], argv[2])
    elif argv[:1] == ["run"]:
        import runpy

        sys.argv = argv[1:]
        runpy.run_path(argv[1], run_name="__main__")
    elif argv[:1] == ["build"]:
        pass  # run_in_venv built it on the way here
    else:
        print(ensure_venv())


if __name__ == "__main__":
    _main(sys.argv[1:])
