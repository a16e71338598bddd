"""What repository rules (NBG8xx) read: eval paths, CODEOWNERS and the pipeline folders.

Kept apart from :mod:`nbgraduate.lint.repository` (which runs the rules) so that rules can
name this context without importing the module that imports them.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from nbgraduate.core.git import repository_root
from nbgraduate.knowledge.codeowners import Codeowners, read_codeowners
from nbgraduate.lint.config import LintSettings
from nbgraduate.lint.discovery import discover
from nbgraduate.lint.lock_verdicts import LockVerdicts
from nbgraduate.lock.layout import is_pipeline_dir, pipeline_notebook

__all__ = ["RepositoryContext", "inside"]


@dataclass
class RepositoryContext:
    """What repository rules read: the settings' eval paths, CODEOWNERS and pipeline folders.

    ``targets`` are the paths the lint run was given; the notebook scan is limited to them
    (a whole tree when a directory is given, just the file when a file is).
    """

    settings: LintSettings
    targets: Sequence[Path] = (Path("."),)
    linted_files: frozenset[str] | None = None
    #: Whether each pipeline's lock reads (NBG802), remembered in the result cache's directory.
    lock_verdicts: LockVerdicts = field(default_factory=lambda: LockVerdicts(None))
    root: Path = field(init=False)
    repository: Path = field(init=False)

    def __post_init__(self) -> None:
        self.root = Path(os.path.abspath(self.settings.project_root))
        self.repository = repository_root(self.root)

    @property
    def eval_paths(self) -> tuple[str, ...]:
        return self.settings.eval_paths

    @cached_property
    def codeowners(self) -> Codeowners:
        return read_codeowners(self.repository)

    def repository_path(self, path: Path) -> str:
        """``path`` relative to the repository root, posix (what CODEOWNERS patterns match)."""
        return Path(os.path.relpath(os.path.abspath(path), self.repository)).as_posix()

    def eval_directory(self, eval_path: str) -> Path:
        return self.root / eval_path

    def display(self, path: Path) -> str:
        """A path as lint output shows it: relative to the working directory when inside it."""
        absolute = os.path.abspath(path)
        cwd = os.getcwd()
        if inside(absolute, cwd):
            return os.path.relpath(absolute, cwd)
        return absolute

    def config_line(self, key: str) -> tuple[str, int]:
        """The config file and the line that sets ``key`` (1 when it cannot be found)."""
        config = self.settings.config_path
        if config is None:
            return self.display(self.root), 1
        try:
            lines = config.read_text(encoding="utf-8").splitlines()
        except OSError:
            lines = []
        line = next(
            (number for number, text in enumerate(lines, 1) if text.strip().startswith(key)), 1
        )
        return self.display(config), line

    def notebooks(self, eval_path: str) -> list[Path]:
        """The ``.ipynb`` files under ``eval_path`` that the lint run covers, sorted."""
        return self._notebooks.get(eval_path, [])

    @cached_property
    def _notebooks(self) -> dict[str, list[Path]]:
        found: dict[str, dict[str, Path]] = {}
        for eval_path in self.eval_paths:
            directory = os.path.abspath(self.eval_directory(eval_path))
            notebooks = found.setdefault(eval_path, {})
            for target in self.targets:
                absolute = os.path.abspath(target)
                if os.path.isdir(absolute):
                    if inside(absolute, directory):
                        start = absolute
                    elif inside(directory, absolute) and os.path.isdir(directory):
                        start = directory
                    else:
                        continue
                    for path in discover(
                        [Path(start)], lambda _: self.settings, force_exclude=True
                    ):
                        if path.suffix == ".ipynb":
                            notebooks.setdefault(os.path.abspath(path), Path(path))
                elif (
                    absolute.endswith(".ipynb")
                    and inside(absolute, directory)
                    and (self.linted_files is None or absolute in self.linted_files)
                ):
                    notebooks.setdefault(absolute, Path(absolute))
        return {key: sorted(value.values()) for key, value in found.items()}

    def pipeline_directories(self, eval_path: str) -> list[tuple[Path, Path]]:
        """``(pipeline directory, its notebook)`` for every pipeline directory the run covers."""
        seen: dict[Path, Path] = {}
        for notebook in self.notebooks(eval_path):
            directory = notebook.parent
            if directory in seen or not is_pipeline_dir(directory):
                continue
            seen[directory] = pipeline_notebook(directory) or notebook
        return sorted(seen.items())

    def is_reported(self, path: str | Path) -> bool:
        """Whether a finding located at ``path`` lies within what this lint run was given."""
        absolute = os.path.abspath(path)
        for target in self.targets:
            given = os.path.abspath(target)
            if absolute == given or (os.path.isdir(given) and inside(absolute, given)):
                return True
        return False


def inside(path: str, root: str) -> bool:
    """Whether ``path`` is ``root`` or lies below it (both absolute)."""
    try:
        return os.path.commonpath([path, root]) == root
    except ValueError:
        return False
