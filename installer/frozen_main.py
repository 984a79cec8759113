"""The frozen app's entry point: the ``hindsight`` command, plus ``-m`` as Python has it.

Hindsight starts some of its helpers as ``sys.executable -m hindsight...`` (the demo
game; the desktop app's background recorder). In the frozen app ``sys.executable``
is this program, not a Python, so it accepts ``-m <hindsight module> args...`` and
runs that module as ``python -m`` would: the same code works frozen and unfrozen.
"""

from __future__ import annotations

import multiprocessing
import os
import runpy
import sys


def _system_env_for_children() -> None:
    # The bootloader may point LD_LIBRARY_PATH at the bundled libraries (keeping the
    # user's value in LD_LIBRARY_PATH_ORIG). This process has loaded its libraries
    # already; the system programs it starts (Xvfb, ffplay, xdg-open) must get the
    # system's own, or a bundled libstdc++/libX11 can break them.
    if not getattr(sys, "frozen", False) or sys.platform != "linux":
        return
    original = os.environ.pop("LD_LIBRARY_PATH_ORIG", None)
    if original is not None:
        os.environ["LD_LIBRARY_PATH"] = original
    else:
        os.environ.pop("LD_LIBRARY_PATH", None)


def main() -> int:
    multiprocessing.freeze_support()  # a worker process of a pool re-enters here
    _system_env_for_children()
    args = sys.argv[1:]
    if args[:1] == ["-m"]:
        module = args[1] if len(args) > 1 else ""
        if module != "hindsight" and not module.startswith("hindsight."):
            print(
                f"hindsight: error: -m runs Hindsight's own modules only, not {module!r}",
                file=sys.stderr,
            )
            return 2
        sys.argv = [sys.argv[0], *args[2:]]
        runpy.run_module(module, run_name="__main__", alter_sys=True)
        return 0
    from hindsight.cli.main import main as cli_main

    return cli_main()


if __name__ == "__main__":
    sys.exit(main())
