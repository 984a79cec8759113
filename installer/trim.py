"""What the spec leaves out of the app, and why: a smaller download that behaves the same.

PyInstaller's hooks take whole packages; Hindsight uses a part of some of them. Each rule
below names a part no code path of Hindsight reaches. The entries are PyInstaller TOC
tuples ``(destination, source, kind)``.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path, PurePosixPath

Entry = tuple[str, str, str]

# pyarrow: Parquet files are written and read; Flight (RPC), the cloud and Hadoop file
# systems, ORC and Substrait are never used. (libarrow_substrait stays: every pyarrow
# module links it.)
PYARROW_MODULES = [
    "pyarrow.flight", "pyarrow._flight", "pyarrow._s3fs", "pyarrow._gcsfs",
    "pyarrow._azurefs", "pyarrow._hdfs", "pyarrow.orc", "pyarrow._orc",
    "pyarrow._dataset_orc", "pyarrow.cuda", "pyarrow._cuda", "pyarrow.substrait",
    "pyarrow._substrait", "pyarrow.tests", "pyarrow.interchange", "pyarrow.jvm",
]  # fmt: skip
_PYARROW_LIBS = re.compile(r"libarrow_(?:python_)?(?:flight|s3)\.")
# pyarrow's wheel holds each of its own libraries under three names (lib.so, lib.so.N,
# lib.so.N.M.P) as copies; everything links the one named by its SONAME, lib.so.N.
_PYARROW_ALIASES = re.compile(r"lib\w+\.so(?:\.\d+\.\d+\.\d+)?$")
# Build inputs pyarrow ships for compiling against it (headers, Cython sources).
_PYARROW_SOURCES = re.compile(r"\.(?:pyx|pxi|pxd|h|hpp|cc|cpp|cmake)$")

# botocore carries the API model of every AWS service (400+); S3 is the one Hindsight
# calls, STS/SSO/sign-in are what the credential chain may call for a profile.
BOTOCORE_SERVICES = {"s3", "sts", "sso", "sso-oidc", "signin"}

# Qt plugins for targets a desktop app does not run on (framebuffer, EGL full screen,
# VNC) and for PDF images, plus the GTK 3 theme: it would bundle a private GTK stack
# that then loads the host's GTK modules and themes (a classic source of crashes); Qt
# draws its own style and uses the desktop portal instead.
_QT_PLUGINS = re.compile(
    r"PyQt6/Qt6/plugins/(?:"
    r"platforms/libq(?:eglfs|linuxfb|vnc|vkkhrdisplay|minimalegl)\.so"
    r"|egldeviceintegrations/.*|generic/.*|imageformats/libqpdf\.so|platformthemes/libqgtk3\.so"
    r")$"
)


def keep_data(dest: str) -> bool:
    path = PurePosixPath(dest)
    parts = path.parts
    if parts[0] == "pyarrow":
        return not ("include" in parts or "tests" in parts or _PYARROW_SOURCES.search(path.name))
    if parts[:2] == ("botocore", "data") and len(parts) > 3:
        return parts[2] in BOTOCORE_SERVICES
    return True


def drop_binary(dest: str) -> bool:
    """A binary the app never loads (before the libraries only it needed are found)."""
    path = PurePosixPath(dest)
    if path.parts[0] == "pyarrow" and (
        _PYARROW_LIBS.match(path.name) or _PYARROW_ALIASES.fullmatch(path.name)
    ):
        return True
    return bool(_QT_PLUGINS.match(dest))


def _needed(source: str) -> set[str]:
    """The names of the shared libraries ``source`` loads, transitively (ldd)."""
    try:
        out = subprocess.run(["ldd", source], capture_output=True, text=True, timeout=60).stdout
    except (OSError, subprocess.TimeoutExpired):
        return set()
    return {line.split()[0].rsplit("/", 1)[-1] for line in out.splitlines() if line.strip()}


def _is_extension_module(dest: str) -> bool:
    name = PurePosixPath(dest).name
    return ".cpython-" in name or ".abi3." in name or dest.startswith("python3")


def prune_binaries(binaries: Iterable[Entry], drop: Callable[[str], bool]) -> list[Entry]:
    """``binaries`` without the dropped ones and the libraries only they needed.

    A library stays if anything else kept needs it, or if no dropped binary named it (a
    library found through ctypes, such as libpulse, is never a candidate).
    """
    binaries = list(binaries)
    dropped = [e for e in binaries if drop(e[0])]
    kept = [e for e in binaries if not drop(e[0])]
    if not dropped:
        return kept
    with ThreadPoolExecutor(4) as pool:
        candidates = set().union(*pool.map(_needed, (e[1] for e in dropped)))

        def prunable(entry: Entry) -> bool:
            return PurePosixPath(entry[0]).name in candidates and not _is_extension_module(entry[0])

        # ldd lists dependencies transitively, so one pass from the binaries that stay
        # for their own sake finds everything they need.
        roots = [e for e in kept if not prunable(e)]
        needed = set().union(*pool.map(_needed, (e[1] for e in roots)))
    return [e for e in kept if not prunable(e) or PurePosixPath(e[0]).name in needed]


def strip_debug_info(binaries: Iterable[Entry], names: set[str], workdir: Path) -> list[Entry]:
    """Copies of the named binaries without debug sections (libpython: 23 MB -> 6 MB).

    Only the interpreter's own binaries are named: libraries from wheels have been
    rewritten by auditwheel, and ``strip`` can break those.
    """
    strip = shutil.which("strip")
    out = []
    for dest, source, kind in binaries:
        if strip and dest in names:
            copy = workdir / "stripped" / dest
            copy.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, copy)
            if subprocess.run([strip, "--strip-debug", str(copy)]).returncode == 0:
                source = str(copy)
        out.append((dest, source, kind))
    return out
