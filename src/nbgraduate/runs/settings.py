"""Where runs are stored and executed: the command line, then the environment, then
``[tool.nbgraduate]`` in the nearest ``pyproject.toml``, then the defaults.

=========================  ==========================  ============================
``[tool.nbgraduate]``      environment                 command line
=========================  ==========================  ============================
``store``                  ``NBGRADUATE_STORE``        ``--store``
``artifacts``              ``NBGRADUATE_ARTIFACTS``    (configuration only)
``cluster``                ``NBGRADUATE_CLUSTER``      ``--cluster``
``ship-limit``             ``NBGRADUATE_SHIP_LIMIT``   ``--ship-limit``
=========================  ==========================  ============================

A relative path in ``pyproject.toml`` is relative to that file's directory (a configuration
means the same thing from any working directory); on the command line or in the environment,
to the working directory. This module reads TOML and nothing heavier: ``nbgraduate run`` asks
it before the kernel is started.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from nbgraduate.core import regex_cache
from nbgraduate.core.errors import ConfigError, UsageError
from nbgraduate.runs.layout import StoreLocation, default_store_root, is_postgres_url

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

__all__ = [
    "ARTIFACTS_ENV",
    "CLUSTER_ENV",
    "DEFAULT_SHIP_LIMIT",
    "SHIP_LIMIT_ENV",
    "STORE_ENV",
    "parse_size",
    "resolve_cluster",
    "resolve_ship_limit",
    "resolve_store",
]

STORE_ENV = "NBGRADUATE_STORE"
ARTIFACTS_ENV = "NBGRADUATE_ARTIFACTS"
CLUSTER_ENV = "NBGRADUATE_CLUSTER"
SHIP_LIMIT_ENV = "NBGRADUATE_SHIP_LIMIT"

#: Datasets up to this size travel with each distributed task; larger ones are read where the
#: worker sees them and checked by digest there. A task message of a few MB costs Dask little.
DEFAULT_SHIP_LIMIT = 16 * 1024 * 1024

_DATABASE_ARTIFACTS = "database"
_SIZE = regex_cache.compile(r"^\s*(\d+(?:\.\d+)?)\s*((?:[kmgt]i?)?b?)\s*$", re.IGNORECASE)


def resolve_store(
    option: str | os.PathLike[str] | None,
    start: Path,
    environ: Mapping[str, str] | None = None,
) -> StoreLocation:
    """The store a command started at ``start`` uses (``option`` is ``--store``)."""
    environ = os.environ if environ is None else environ
    config = _ProjectConfig.nearest(start)
    store = _first(
        (_text(option), Path.cwd()),
        (environ.get(STORE_ENV) or None, Path.cwd()),
        (config.text("store"), config.directory),
    )
    artifacts = _first(
        (environ.get(ARTIFACTS_ENV) or None, Path.cwd()),
        (config.text("artifacts"), config.directory),
    )
    artifacts_location = None if artifacts is None else _artifacts_location(*artifacts)
    if store is None:
        return StoreLocation(root=default_store_root(start), artifacts=artifacts_location)
    value, base = store
    if is_postgres_url(value):
        return StoreLocation(url=value, artifacts=artifacts_location)
    if "://" in value and not value.startswith("file://"):
        scheme = value.split("://", 1)[0]
        raise UsageError(
            f"store {scheme}://...: not a run store location (a directory, or a postgresql:// URL)"
        )
    path = Path(value.removeprefix("file://")).expanduser()
    return StoreLocation(root=(base / path).resolve(), artifacts=artifacts_location)


def resolve_cluster(
    option: str | None, start: Path, environ: Mapping[str, str] | None = None
) -> str | None:
    """The Dask cluster to run on (``tcp://host:port``, ``local:N``), or ``None`` for the
    local process pool."""
    environ = os.environ if environ is None else environ
    config = _ProjectConfig.nearest(start)
    chosen = _first(
        (_text(option), None),
        (environ.get(CLUSTER_ENV) or None, None),
        (config.text("cluster"), None),
    )
    return None if chosen is None else chosen[0]


def resolve_ship_limit(
    option: str | None, start: Path, environ: Mapping[str, str] | None = None
) -> int:
    """Bytes up to which a dataset is shipped with each distributed task."""
    environ = os.environ if environ is None else environ
    if option is not None:
        return parse_size(option, "--ship-limit")
    if environ.get(SHIP_LIMIT_ENV):
        return parse_size(environ[SHIP_LIMIT_ENV], SHIP_LIMIT_ENV)
    config = _ProjectConfig.nearest(start)
    value = config.value("ship-limit")
    if value is None:
        return DEFAULT_SHIP_LIMIT
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    if isinstance(value, str):
        try:
            return parse_size(value, "ship-limit")
        except UsageError as error:
            raise ConfigError(config.path or "pyproject.toml", str(error)) from None
    raise ConfigError(
        config.path or "pyproject.toml",
        '`ship-limit` must be a size in bytes or a string such as "16 MB"',
    )


def parse_size(text: str, what: str) -> int:
    """``"16 MB"``, ``"512KiB"``, ``"0"``: a number of bytes (decimal and binary units)."""
    match = _SIZE.match(text)
    if match is None:
        raise UsageError(f"{what}: {text!r} is not a size (e.g. 16MB, 512KiB, 0)")
    number, unit = float(match.group(1)), match.group(2).lower().removesuffix("b")
    binary = unit.endswith("i")
    letter = unit.removesuffix("i")
    power = "kmgt".index(letter) + 1 if letter else 0
    return int(number * (1024 if binary else 1000) ** power)


def _artifacts_location(value: str, base: Path) -> str:
    if value == _DATABASE_ARTIFACTS:
        return value
    if "://" in value and not value.startswith("file://"):
        return value
    return str((base / Path(value.removeprefix("file://")).expanduser()).resolve())


def _text(option: str | os.PathLike[str] | None) -> str | None:
    return None if option is None else os.fspath(option)


def _first(*candidates: tuple[str | None, Any]) -> tuple[str, Any] | None:
    for value, base in candidates:
        if value is not None and value.strip():
            return value.strip(), base
    return None


class _ProjectConfig:
    """The ``[tool.nbgraduate]`` table of the nearest ``pyproject.toml`` that has one."""

    def __init__(self, path: Path | None, table: dict[str, Any]) -> None:
        self.path = path
        self.table = table
        self.directory = path.parent if path is not None else Path.cwd()

    @classmethod
    def nearest(cls, start: Path) -> _ProjectConfig:
        # Looked up afresh on each call (lint's lookup caches per directory for a whole lint
        # run); a command resolves its settings once or twice.
        here = Path(os.path.abspath(start))
        if not here.is_dir():
            here = here.parent
        for directory in (here, *here.parents):
            path = directory / "pyproject.toml"
            if not path.is_file():
                continue
            try:
                with open(path, "rb") as handle:
                    document = tomllib.load(handle)
            except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
                raise ConfigError(path, f"cannot read: {error}") from None
            tool = document.get("tool")
            table = tool.get("nbgraduate") if isinstance(tool, dict) else None
            if isinstance(table, dict):
                return cls(path, table)
        return cls(None, {})

    def value(self, key: str) -> Any:
        return self.table.get(key)

    def text(self, key: str) -> str | None:
        value = self.table.get(key)
        if value is None:
            return None
        if not isinstance(value, str) or not value.strip():
            raise ConfigError(self.path or "pyproject.toml", f"`{key}` must be a non-empty string")
        return value
