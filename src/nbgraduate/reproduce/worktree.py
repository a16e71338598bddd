"""Step 1: the recorded commit, checked out into a temporary git worktree.

``git worktree add --detach`` gives a second work tree of the same repository at the commit,
so the user's checkout (its files, its index, its branch) is never touched and nothing is
cloned. The worktree lives in a temporary directory and is removed, with git's bookkeeping of
it, however the reproduction ends.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from nbgraduate.reproduce.errors import CannotReproduce, ReproduceInfrastructureError

__all__ = ["git_toplevel", "temporary_worktree"]

_GIT_TIMEOUT_S = 120


def _git(repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run(
            ["git", *args],
            cwd=repo,
            capture_output=True,
            text=True,
            timeout=_GIT_TIMEOUT_S,
            check=False,
        )
    except FileNotFoundError:
        raise CannotReproduce("git is not installed: a run is reproduced from its commit") from None
    except (OSError, subprocess.SubprocessError) as error:
        raise ReproduceInfrastructureError(f"cannot run git in {repo}: {error}") from None


def git_toplevel(directory: Path) -> tuple[Path, str]:
    """The root of the git work tree holding ``directory``, and ``directory``'s path inside it
    (``""`` at the root, else ending with ``/``)."""
    completed = _git(directory, "rev-parse", "--show-toplevel", "--show-prefix")
    if completed.returncode != 0:
        raise CannotReproduce(
            f"{directory} is not in a git repository: a run is reproduced from its commit"
        )
    lines = completed.stdout.splitlines()
    return Path(lines[0]), (lines[1] if len(lines) > 1 else "")


@contextmanager
def temporary_worktree(repo: Path, commit: str) -> Iterator[Path]:
    """A detached worktree of ``repo`` at ``commit``, removed on exit."""
    present = _git(repo, "cat-file", "-e", f"{commit}^{{commit}}")
    if present.returncode != 0:
        raise CannotReproduce(
            f"commit {commit[:12]} is not in the repository at {repo}: fetch it first"
            " (git fetch origin)"
        )
    parent = Path(tempfile.mkdtemp(prefix="nbgraduate-reproduce-"))
    worktree = parent / "worktree"
    added = _git(repo, "worktree", "add", "--detach", "--quiet", str(worktree), commit)
    if added.returncode != 0:
        shutil.rmtree(parent, ignore_errors=True)
        reason = " ".join(added.stderr.split()) or f"exit code {added.returncode}"
        raise ReproduceInfrastructureError(f"git worktree add failed: {reason}")
    try:
        yield worktree
    finally:
        _git(repo, "worktree", "remove", "--force", str(worktree))
        shutil.rmtree(parent, ignore_errors=True)
        with suppress(CannotReproduce, ReproduceInfrastructureError):
            _git(repo, "worktree", "prune")
