"""Which graduated pipelines a commit touches, from the files pre-commit passes (and git)."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Sequence
from pathlib import Path

from nbgraduate.lock import LOCK_FILENAME
from nbgraduate.lock.layout import enclosing_pipeline, locked_local_datasets

__all__ = ["staged_deletions", "touched_pipelines"]

_GIT_TIMEOUT_S = 30


def touched_pipelines(files: Sequence[Path], *, root: Path) -> list[Path]:
    """Pipeline directories (absolute, sorted) the commit touches.

    A pipeline is touched by any staged file inside the directory that holds its lock
    (nearest one up), by a staged deletion there, and by a staged change to a local dataset
    its lock records outside the directory (``../data/golden.csv``).
    """
    changed = [Path(os.path.abspath(f)) for f in files]
    if (root / ".git").exists():
        changed += [root / name for name in staged_deletions(root)]
    pipelines: set[Path] = set()
    for path in changed:
        pipeline = enclosing_pipeline(path, stop_at=root)
        if pipeline is not None:
            pipelines.add(pipeline)
    changed_set = {str(path) for path in changed}
    for lock in _tracked_locks(root):
        directory = lock.parent
        if directory in pipelines:
            continue
        for dataset in sorted(locked_local_datasets(directory)):
            if os.path.normpath(os.path.join(directory, dataset)) in changed_set:
                pipelines.add(directory)
                break
    return sorted(pipelines)


def staged_deletions(root: Path) -> list[str]:
    """Paths (relative to ``root``) the index deletes; pre-commit never passes those."""
    return _git_paths(root, "diff", "--cached", "--name-only", "--diff-filter=D", "-z")


def _tracked_locks(root: Path) -> list[Path]:
    if not (root / ".git").exists():
        return []
    names = _git_paths(root, "ls-files", "-z", "--", f"*{LOCK_FILENAME}")
    return [root / name for name in names if name.rsplit("/", 1)[-1] == LOCK_FILENAME]


def _git_paths(root: Path, *arguments: str) -> list[str]:
    try:
        completed = subprocess.run(
            ["git", *arguments],
            cwd=root,
            capture_output=True,
            timeout=_GIT_TIMEOUT_S,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return []
    if completed.returncode != 0:
        return []
    return [name for name in completed.stdout.decode("utf-8", "replace").split("\0") if name]
