"""Finding action maps and the one that fits the game in focus.

A :class:`MapRegistry` loads the maps shipped in ``hindsight/action_maps``, then the
user's own folder (``<config>/action_maps``), then any extra folders (``--maps-dir``).
A later map with the same id replaces an earlier one; a file that ``extends`` a map is
a local rebinding and is applied on top of that map once every full map is loaded.
One broken file never stops the rest: it is kept in :attr:`MapRegistry.errors` and
logged once.
"""

from __future__ import annotations

import importlib.resources
import logging
import re
from collections.abc import Iterable, Sequence
from pathlib import Path

from hindsight import paths
from hindsight.actionmap.load import (
    ActionMapError,
    apply_override,
    override_target,
    parse_map,
    read_map_file,
)
from hindsight.actionmap.model import ActionMap
from hindsight.errors import ConfigError

__all__ = ["SHIPPED_DIR", "MapRegistry", "unknown_base", "user_maps_dir"]

log = logging.getLogger(__name__)

# Shipped maps are package data, found through importlib.resources so that a frozen
# app (PyInstaller) finds them too; the package is a plain folder in both cases.
SHIPPED_DIR = Path(str(importlib.resources.files("hindsight.action_maps")))
# Linux keeps only the first 15 bytes of a process name in /proc/<pid>/comm (TASK_COMM_LEN 16),
# so "FortniteClient-Win64-Shipping.exe" under Proton shows up as "FortniteClient-".
_COMM_LEN = 15


def user_maps_dir() -> Path:
    """Where a user's own maps and local override files live."""
    return paths.config_dir() / "action_maps"


def unknown_base(source: str, target: str) -> ActionMapError:
    """The error for an override file whose map is not loaded."""
    return ActionMapError(
        source, "extends", f"extends unknown map {target!r} (see `hindsight maps list`)"
    )


def _norm(name: str) -> str:
    """A process name as compared: base name, case-folded, without a trailing ``.exe``."""
    base = re.split(r"[\\/]", name.strip())[-1].casefold()
    return base.removesuffix(".exe")


class MapRegistry:
    """Every known action map by id; see the module docstring for the load order."""

    def __init__(
        self,
        dirs: Sequence[Path] = (),
        *,
        include_shipped: bool = True,
        user_dir: Path | None = None,
        log_errors: bool = True,
    ) -> None:
        self.errors: list[ActionMapError] = []
        self._log_errors = log_errors
        self._maps: dict[str, ActionMap] = {}
        self._bases: dict[str, ActionMap] = {}  # full maps as loaded, before local overrides
        self._rank: dict[str, int] = {}  # load position; a later-loaded map wins an exe tie
        self._loaded = 0
        folders: list[tuple[Path, bool]] = []
        if include_shipped:
            folders.append((SHIPPED_DIR, False))
        folders.append((Path(user_dir) if user_dir is not None else user_maps_dir(), False))
        # Folders named on the command line must exist; the default ones may not.
        folders += [(Path(d), True) for d in dirs]
        overrides: list[tuple[str, str, str]] = []  # (file, text, extended id)
        for folder, required in folders:
            for file in self._files(folder, required):
                self._load(file, overrides)
        self._bases = dict(self._maps)
        for source, text, target in overrides:
            base = self._maps.get(target)
            if base is None:
                self._fail(unknown_base(source, target))
                continue
            try:
                self._add(apply_override(base, text, source))
            except ActionMapError as err:
                self._fail(err)

    def _fail(self, err: ActionMapError) -> None:
        self.errors.append(err)
        if self._log_errors:
            log.warning("action map skipped: %s", err)

    def _files(self, folder: Path, required: bool) -> list[Path]:
        if not folder.is_dir():
            if required:
                what = "is not a folder" if folder.exists() else "does not exist"
                raise ConfigError(f"maps folder {str(folder)!r} {what}")
            return []
        try:
            return sorted(p for p in folder.glob("*.toml") if p.is_file())
        except OSError as err:
            self._fail(
                ActionMapError(str(folder), "", f"cannot list folder: {err.strerror or err}")
            )
            return []

    def _load(self, file: Path, overrides: list[tuple[str, str, str]]) -> None:
        source = str(file)
        try:
            text = read_map_file(file)
            target = override_target(text, source)
            if target is not None:
                overrides.append((source, text, target))
                return
            amap = parse_map(text, source)
        except ActionMapError as err:
            self._fail(err)
            return
        if amap.id in self._maps:
            log.info(
                "action map %s from %s replaces the one from %s",
                amap.id,
                source,
                self._maps[amap.id].source,
            )
        self._add(amap)

    def _add(self, amap: ActionMap) -> None:
        self._maps[amap.id] = amap
        self._loaded += 1
        self._rank[amap.id] = self._loaded

    def maps(self) -> list[ActionMap]:
        """Every loaded map, sorted by id."""
        return [self._maps[k] for k in sorted(self._maps)]

    def __len__(self) -> int:
        return len(self._maps)

    def __contains__(self, map_id: object) -> bool:
        return map_id in self._maps

    def get(self, map_id: str) -> ActionMap:
        try:
            return self._maps[map_id]
        except KeyError:
            raise ConfigError(f"unknown game id {map_id!r} (see `hindsight maps list`)") from None

    def base(self, map_id: str) -> ActionMap:
        """The full map ``map_id`` as loaded, without any local override applied."""
        try:
            return self._bases[map_id]
        except KeyError:
            raise ConfigError(f"unknown game id {map_id!r} (see `hindsight maps list`)") from None

    def match(self, names: Iterable[str], steam_appid: int | None = None) -> ActionMap | None:
        """The map for a foreground process, or None: nothing is guessed.

        ``names`` are the process's names (exe base name, comm, argv[0] base name),
        compared case-insensitively and without a trailing ``.exe``. A Steam app id
        match wins over an exe match; a name cut to 15 characters (Linux comm) matches
        an exe that starts with it only when no full name matched.
        """
        by_rank = sorted(self._maps.values(), key=lambda m: self._rank[m.id], reverse=True)
        if steam_appid is not None:
            for amap in by_rank:
                if amap.match.steam_appid == steam_appid:
                    return amap
        raw = [n for n in names if n and n.strip()]
        wanted = {_norm(n) for n in raw}
        for amap in by_rank:
            if any(_norm(exe) in wanted for exe in amap.match.exe):
                return amap
        truncated = {n.strip().casefold() for n in raw if len(n.strip()) == _COMM_LEN}
        for amap in by_rank:
            if any(exe.casefold().startswith(t) for exe in amap.match.exe for t in truncated):
                return amap
        return None
