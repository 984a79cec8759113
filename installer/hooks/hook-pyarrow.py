# Replaces the stock pyarrow hook, which takes every pyarrow module: the ones trim.py
# leaves out are not even looked for (no "hidden import not found" warnings).
from PyInstaller.utils.hooks import collect_data_files, collect_dynamic_libs, collect_submodules
from trim import PYARROW_MODULES


def _wanted(name: str) -> bool:
    return not any(name == m or name.startswith(m + ".") for m in PYARROW_MODULES)


hiddenimports = collect_submodules("pyarrow", filter=_wanted)
datas = collect_data_files("pyarrow")
binaries = collect_dynamic_libs("pyarrow")
