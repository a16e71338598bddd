"""Where the git work tree around a path starts: CODEOWNERS, hooks and ``init`` work from there."""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["repository_root"]


def repository_root(start: Path) -> Path:
    """The nearest directory at or above ``start`` holding ``.git`` (a directory, or a file in
    worktrees and submodules); ``start`` itself (made absolute) when there is none."""
    current = Path(os.path.abspath(start))
    for directory in (current, *current.parents):
        if (directory / ".git").exists():
            return directory
    return current
