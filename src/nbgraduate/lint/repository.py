"""Repository rules (NBG8xx): check owners and pipeline locks once per lint run.

File rules see one notebook; these see the repository around the configured eval paths.
They run once per ``nbgraduate lint`` invocation when ``[tool.nbgraduate] eval-paths`` is
set, and a finding is reported when the file it points at lies within the linted paths, so
``nbgraduate lint`` (the whole project) reports every one, and pre-commit (staged files
only) reports those about the pipelines being committed.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from nbgraduate.codeowners import Codeowners, read_codeowners
from nbgraduate.diagnostics import Diagnostic
from nbgraduate.lint.config import LintSettings
from nbgraduate.lint.discovery import discover
from nbgraduate.pipeline.layout import is_pipeline_dir, pipeline_notebook
from nbgraduate.rules import ALL_RULES
from nbgraduate.rules.base import RepositoryFinding, RepositoryRule
from nbgraduate.worktree import repository_root

__all__ = ["RepositoryContext", "lint_repository", "repository_rules"]


def repository_rules() -> tuple[type[RepositoryRule], ...]:
    return tuple(rule for rule in ALL_RULES if issubclass(rule, RepositoryRule))


@dataclass
class RepositoryContext:
    """What repository rules read: the settings' eval paths, CODEOWNERS and pipeline folders.

    ``targets`` are the paths the lint run was given; the notebook scan is limited to them
    (a whole tree when a directory is given, just the file when a file is).
    """

    settings: LintSettings
    targets: Sequence[Path] = (Path("."),)
    linted_files: frozenset[str] | None = None
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
        if _inside(absolute, cwd):
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
                    if _inside(absolute, directory):
                        start = absolute
                    elif _inside(directory, absolute) and os.path.isdir(directory):
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
                    and _inside(absolute, directory)
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
            if absolute == given or (os.path.isdir(given) and _inside(absolute, given)):
                return True
        return False


def lint_repository(
    settings: LintSettings,
    targets: Sequence[Path],
    *,
    codes: Iterable[str] | None = None,
    linted_files: Iterable[str] | None = None,
) -> list[Diagnostic]:
    """Run the enabled repository rules; nothing when no eval paths are configured."""
    if not settings.eval_paths:
        return []
    enabled = frozenset(settings.enabled_codes if codes is None else codes)
    rules = [rule for rule in repository_rules() if rule.code in enabled]
    if not rules:
        return []
    context = RepositoryContext(
        settings,
        tuple(targets),
        frozenset(os.path.abspath(f) for f in linted_files) if linted_files is not None else None,
    )
    diagnostics: list[Diagnostic] = []
    for rule_class in rules:
        for finding in rule_class().check_repository(context):
            if not context.is_reported(finding.path):
                continue
            if codes is None and finding.code not in settings.codes_for(Path(finding.path)):
                continue
            diagnostics.append(to_diagnostic(finding, rule_class))
    return diagnostics


def to_diagnostic(finding: RepositoryFinding, rule: type[RepositoryRule]) -> Diagnostic:
    """Locate a repository finding like any other, at a line of the file it points at."""
    source_line = _line_of(finding.path, finding.line)
    return Diagnostic(
        path=finding.path,
        code=finding.code,
        name=rule.name,
        message=finding.message,
        severity=rule.severity,
        cell=None,
        cell_id=None,
        row=finding.line,
        column=finding.column,
        end_row=finding.line,
        end_column=max(finding.column, len(source_line) + 1),
        file_line=finding.line,
        file_column=finding.column,
        file_end_line=finding.line,
        file_end_column=max(finding.column, len(source_line) + 1),
        source_line=source_line,
        url=rule.url(),
        # The key, not the line: the located line (a notebook's ``{``) says nothing.
        line_fingerprint=hashlib.sha256(finding.key.encode("utf-8")).hexdigest()[:16],
    )


def _line_of(path: str, line: int) -> str:
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            for number, text in enumerate(handle, start=1):
                if number == line:
                    return text.rstrip("\r\n")
    except OSError:
        pass
    return ""


def _inside(path: str, root: str) -> bool:
    try:
        return os.path.commonpath([path, root]) == root
    except ValueError:
        return False
