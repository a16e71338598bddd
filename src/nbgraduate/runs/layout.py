"""Where the run store lives: names and paths only, so that callers on a hot path (starting a
kernel early in ``nbgraduate run``) find it without importing the store and its record model."""

from __future__ import annotations

import os
from pathlib import Path

STORE_DIRNAME = ".nbgraduate"
ARTIFACTS_DIRNAME = "runs"

_PROJECT_MARKERS = (".git", "pyproject.toml")

__all__ = ["ARTIFACTS_DIRNAME", "STORE_DIRNAME", "default_store_root"]


def default_store_root(start: str | os.PathLike[str]) -> Path:
    """``.nbgraduate`` in the nearest project directory at or above ``start``.

    A project directory holds ``.git`` (a directory, or a file in worktrees and submodules)
    or ``pyproject.toml``. Without one, the store goes in the current directory.
    """
    here = Path(os.path.abspath(start))
    if here.is_file():
        here = here.parent
    for directory in (here, *here.parents):
        if any((directory / marker).exists() for marker in _PROJECT_MARKERS):
            return directory / STORE_DIRNAME
    return Path.cwd() / STORE_DIRNAME
