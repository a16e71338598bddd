"""What git knows about the files of a work tree, read once: tracked, staged, modified, untracked.

Lint asks it whether a dataset file is versioned by git (committed and unmodified, or staged
with the work tree equal to the index: the commit being made versions it). It is read with one
``git ls-files -s`` and one ``git status`` per repository and lint run, never per file, and its
:attr:`GitState.digest` is the one value a lint cache keys on: any change to the index or the
work tree's status changes it.
"""

from __future__ import annotations

import os
from pathlib import Path

from nbgraduate.core.records import Record

#: ``typing.TYPE_CHECKING`` without importing typing, which costs ``nbgraduate lint`` start-up.
TYPE_CHECKING = False

__all__ = ["GitFileStatus", "GitState", "read_git_state"]

#: ``versioned``: in the index, and the work tree equals the index (committed, or staged).
#: ``modified``: in the index, with work-tree changes that are not staged (or deleted).
#: ``untracked`` / ``ignored``: in the work tree, not in the index.
#: ``outside``: not below the work tree's root. ``absent``: no such file and not in the index.
if TYPE_CHECKING:
    from typing import Literal

    GitFileStatus = Literal["versioned", "modified", "untracked", "ignored", "outside", "absent"]
else:
    GitFileStatus = str

_GIT_TIMEOUT_S = 30


class GitState(Record):
    """The index and the work tree's status of one repository, as repo-relative posix paths.

    Picklable and immutable: the lint runner reads it once and hands it to every file job.
    """

    _fields = ("root", "indexed", "unstaged", "untracked", "digest")
    __slots__ = _fields

    def __init__(
        self,
        root: str,
        indexed: frozenset[str],
        unstaged: frozenset[str],
        untracked: frozenset[str],
        digest: str,
    ) -> None:
        self.root = root
        self.indexed = indexed
        self.unstaged = unstaged
        self.untracked = untracked
        self.digest = digest

    def status_of(self, path: str | os.PathLike[str]) -> GitFileStatus:
        """What git says about ``path`` (absolute, or relative to the current directory)."""
        relative = self.relative(path)
        if relative is None:
            return "outside"
        if relative in self.indexed:
            return "modified" if relative in self.unstaged else "versioned"
        if not os.path.lexists(os.path.join(self.root, relative)):
            return "absent"
        if relative in self.untracked or _parents(relative, self.untracked):
            return "untracked"
        # In the work tree, neither indexed nor listed as untracked: git ignores it.
        return "ignored"

    def relative(self, path: str | os.PathLike[str]) -> str | None:
        """``path`` relative to the work tree's root in git's spelling; ``None`` when outside."""
        absolute = os.path.normpath(os.path.abspath(path))
        try:
            relative = os.path.relpath(absolute, self.root)
        except ValueError:  # another drive on Windows
            return None
        if relative == os.curdir or relative.startswith(os.pardir):
            return None
        return relative.replace(os.sep, "/")


def _parents(relative: str, untracked: frozenset[str]) -> list[str]:
    """The untracked directory entries (``dir/``) that contain ``relative``."""
    parts = relative.split("/")
    prefixes = ["/".join(parts[:count]) + "/" for count in range(1, len(parts))]
    return [prefix for prefix in prefixes if prefix in untracked]


def read_git_state(root: Path) -> GitState | None:
    """Read the state of the repository whose work tree starts at ``root``.

    ``None`` when ``root`` is not a git work tree or git is unavailable or fails: lint then
    treats datasets as not versioned by git, as it did before git was asked.
    The status is read with ``--no-optional-locks``, so linting never rewrites the index.
    """
    root_text = os.path.normpath(os.path.abspath(root))
    listed = _git(root_text, "ls-files", "-s", "-z")
    if listed is None:
        return None
    status = _git(
        root_text,
        "--no-optional-locks",
        "status",
        "--porcelain=v1",
        "-z",
        "--untracked-files=normal",
        "--ignore-submodules=all",
    )
    if status is None:
        return None
    indexed = frozenset(_indexed_paths(listed))
    unstaged, untracked = _status_paths(status)
    digest = _sha256_hex(listed + b"\0\0" + status)
    return GitState(root_text, indexed, frozenset(unstaged), frozenset(untracked), digest)


#: Above this many bytes OpenSSL's SHA-256 (hashlib's) is worth loading: it hashes a megabyte
#: in about 0.6 ms where the built-in one takes 3 ms, and loading it costs about 2 ms.
_LARGE_INPUT = 1 << 19


def _sha256_hex(data: bytes) -> str:
    if len(data) > _LARGE_INPUT:
        import hashlib

        return hashlib.sha256(data).hexdigest()
    from nbgraduate.core.small_digest import sha256

    return sha256(data).hexdigest()


def _git(root: str, *arguments: str) -> bytes | None:
    # Imported on first use: most lint runs that import this module never start git, and
    # ``subprocess`` (with ``signal``, ``threading``, ``selectors``, ``locale``) costs ~3 ms.
    import subprocess

    environment = {**os.environ, "GIT_OPTIONAL_LOCKS": "0", "LC_ALL": "C"}
    try:
        completed = subprocess.run(
            ["git", *arguments],
            cwd=root,
            capture_output=True,
            timeout=_GIT_TIMEOUT_S,
            check=False,
            env=environment,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return completed.stdout if completed.returncode == 0 else None


def _indexed_paths(listed: bytes) -> list[str]:
    """Paths of ``git ls-files -s -z`` records (``<mode> <object> <stage>\\t<path>``)."""
    paths = []
    for record in listed.split(b"\0"):
        _, tab, path = record.partition(b"\t")
        if tab:
            paths.append(path.decode("utf-8", "surrogateescape"))
    return paths


def _status_paths(status: bytes) -> tuple[list[str], list[str]]:
    """Paths with unstaged work-tree changes, and untracked paths (directories end in ``/``),
    from ``git status --porcelain=v1 -z``."""
    unstaged: list[str] = []
    untracked: list[str] = []
    records = status.split(b"\0")
    index = 0
    while index < len(records):
        record = records[index]
        index += 1
        if len(record) < 4:
            continue
        staged_code, worktree_code = chr(record[0]), chr(record[1])
        path = record[3:].decode("utf-8", "surrogateescape")
        if staged_code in "RC":
            index += 1  # a rename or copy is followed by its source path
        if staged_code == "?":
            untracked.append(path)
        elif worktree_code != " ":
            unstaged.append(path)
    return unstaged, untracked
