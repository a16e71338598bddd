"""What versions a local dataset file from outside the notebook: a lock, DVC, or git.

A notebook reads ``data/eval.csv``; the file is versioned when a graduated pipeline's
``nbgraduate.lock`` records its digest, when DVC tracks it (``data/eval.csv.dvc`` or a
``dvc.lock`` output), or when git does: committed and unmodified, or staged with the work tree
equal to the index (the commit being made versions it, and the run record's commit pins it).
Relative paths are taken from the notebook's folder (Jupyter's working directory); for a script
also from the repository root, where scripts are usually run.
"""

from __future__ import annotations

import os
from pathlib import Path

from nbgraduate.analysis.path_values import normalise_path
from nbgraduate.core.git import repository_root_of
from nbgraduate.core.git_state import GitFileStatus, GitState
from nbgraduate.lint.dvc_files import dvc_pin

__all__ = ["DatasetPins"]

_GIT_PROBLEMS: dict[GitFileStatus, str] = {
    "untracked": "untracked: git does not track it",
    "ignored": "ignored: git ignores it",
    "modified": "modified: its changes are not staged",
}


class DatasetPins:
    """Answers, for the dataset paths one notebook reads, what versions them (if anything)."""

    def __init__(
        self,
        notebook_path: Path,
        *,
        is_script: bool,
        locked: frozenset[str],
        git: GitState | None,
    ) -> None:
        self.directory = os.path.dirname(os.path.abspath(notebook_path))
        self.locked = locked
        self.git = git
        self.root = git.root if git is not None else repository_root_of(self.directory)
        self.is_script = is_script

    def pinned_by(self, path: str, *, folder: bool = False) -> str | None:
        """What versions ``path`` (``"nbgraduate.lock"``, a DVC file, ``"git"``), or ``None``.
        A ``folder`` is versioned by DVC tracking it, or by git versioning every file in it."""
        if not folder and normalise_path(path) in self.locked:
            return "nbgraduate.lock"
        for candidate in self._candidates(path):
            pin = dvc_pin(candidate, self.root)
            if pin is not None:
                return pin
            if self.git is not None and self._git_status(candidate, folder) == "versioned":
                return "git"
        return None

    def git_problem(self, path: str, *, folder: bool = False) -> str | None:
        """Why git does not version ``path``, when it exists in the work tree but is not versioned
        (untracked, ignored, modified and not staged); ``None`` otherwise."""
        if self.git is None:
            return None
        for candidate in self._candidates(path):
            problem = _GIT_PROBLEMS.get(self._git_status(candidate, folder))
            if problem is not None:
                return problem
        return None

    def _git_status(self, candidate: str, folder: bool) -> GitFileStatus:
        git = self.git
        assert git is not None
        if not folder:
            return git.status_of(candidate)
        relative = git.relative(candidate)
        if relative is None:
            return "outside"
        prefix = relative + "/"
        tracked = [path for path in git.indexed if path.startswith(prefix)]
        if any(path.startswith(prefix) or prefix.startswith(path) for path in git.untracked):
            return "untracked"
        if not tracked:
            return "ignored" if os.path.isdir(os.path.join(git.root, relative)) else "absent"
        if any(path in git.unstaged for path in tracked):
            return "modified"
        return "versioned"

    def _candidates(self, path: str) -> list[str]:
        expanded = os.path.expanduser(path) if path.startswith("~") else path
        if os.path.isabs(expanded):
            return [os.path.normpath(expanded)]
        candidates = [os.path.normpath(os.path.join(self.directory, expanded))]
        if self.is_script and self.root != self.directory:
            candidates.append(os.path.normpath(os.path.join(self.root, expanded)))
        return candidates
