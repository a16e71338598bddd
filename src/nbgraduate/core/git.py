"""Where the git work tree around a path starts: CODEOWNERS, hooks and ``init`` work from there."""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["repository_root", "repository_root_of"]


def repository_root(start: Path) -> Path:
    """The nearest directory at or above ``start`` holding ``.git`` (a directory, or a file in
    worktrees and submodules); ``start`` itself (made absolute) when there is none."""
    return Path(repository_root_of(os.fspath(start)))


def repository_root_of(start: str) -> str:
    """:func:`repository_root` on string paths: lint asks it for every notebook whose dataset
    reads it checks, and a walk with :class:`~pathlib.Path` objects cost three times the
    ``stat`` calls it makes."""
    current = directory = os.path.abspath(start)
    while True:
        if os.path.exists(os.path.join(directory, ".git")):
            return directory
        parent = os.path.dirname(directory)
        if parent == directory:
            return current
        directory = parent
