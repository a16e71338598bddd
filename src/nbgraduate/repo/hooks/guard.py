"""The ``nbgraduate-guard`` hook: under the eval paths, only graduated pipelines, kept clean.

A notebook staged under a configured eval path must be a graduated pipeline's notebook (its
directory holds the ``nbgraduate.lock`` that names it); otherwise it is an ad-hoc notebook
and must be graduated first. A pipeline notebook must not regain what conversion removed
(:mod:`nbgraduate.repo.hooks.regressions`), nor lint findings beyond the configured baseline.
"""

from __future__ import annotations

import os
import shlex
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from nbgraduate.core.errors import ConfigError, InputFileError
from nbgraduate.knowledge import secrets
from nbgraduate.lint.config import LintSettings, load_settings
from nbgraduate.lint.diagnostics import Diagnostic
from nbgraduate.lint.discovery import discover
from nbgraduate.lint.rules import ALL_CODES
from nbgraduate.lock import LOCK_FILENAME
from nbgraduate.lock.layout import locked_notebook_name, pipeline_notebook
from nbgraduate.repo.hooks.regressions import Regression, find_regressions

__all__ = ["BlockedNotebook", "GuardReport", "guard"]

#: Lint codes the guard reports as regressions of their own, not again as lint findings.
_COVERED_CODES = frozenset({"NBG702"})
_INSTALL_CODES = frozenset({"NBG401", "NBG402"})


@dataclass(slots=True)
class BlockedNotebook:
    """A notebook the guard blocks: a headline, the fix, and each problem found in it."""

    path: str
    headline: str
    fix: str = ""
    problems: list[str] = field(default_factory=list)


@dataclass(slots=True)
class GuardReport:
    blocked: list[BlockedNotebook] = field(default_factory=list)
    checked: int = 0
    #: Set when no configuration names eval paths: nothing can be guarded.
    unconfigured: bool = False

    @property
    def blocks(self) -> bool:
        return bool(self.blocked)

    def render(self) -> str:
        lines: list[str] = []
        for notebook in self.blocked:
            lines.append(f"{notebook.path}: {notebook.headline}")
            lines.extend(f"  - {problem}" for problem in notebook.problems)
            if notebook.fix:
                lines.append(f"  {notebook.fix}")
        if self.blocked:
            noun = "notebook" if len(self.blocked) == 1 else "notebooks"
            lines.append(
                f"nbgraduate-guard: blocked {len(self.blocked)} {noun} under the eval paths"
            )
        return "\n".join(lines) + "\n" if lines else ""


def guard(files: Sequence[Path], *, config_file: Path | None = None) -> GuardReport:
    """Check the staged notebooks under the configured eval paths."""
    report = GuardReport()

    def settings_for(path: Path) -> LintSettings:
        return load_settings(path, known_codes=ALL_CODES, config_file=config_file)

    if not settings_for(Path.cwd()).eval_paths and not any(
        settings_for(Path(path)).eval_paths for path in files
    ):
        report.unconfigured = True
        return report
    for path in files:
        if path.suffix != ".ipynb" or not os.path.isfile(path):
            continue
        settings = settings_for(path)
        eval_path = settings.eval_path_of(path)
        if eval_path is None:
            continue
        if not discover([path], settings_for, force_exclude=True):
            continue  # excluded in [tool.nbgraduate]: scratch space inside an eval path
        report.checked += 1
        blocked = _check_notebook(path, eval_path, settings)
        if blocked is not None:
            report.blocked.append(blocked)
    return report


def _is_pipeline_notebook(path: Path) -> bool:
    directory = path.parent
    if not (directory / LOCK_FILENAME).is_file():
        return False
    named = locked_notebook_name(directory)
    if named is not None:
        return named == path.name
    return pipeline_notebook(directory) == directory / path.name


def _check_notebook(path: Path, eval_path: str, settings: LintSettings) -> BlockedNotebook | None:
    shown = str(path)
    if not _is_pipeline_notebook(path):
        return BlockedNotebook(
            shown,
            f"not part of a graduated pipeline (eval path {eval_path}/ takes graduated"
            " pipelines only)",
            f"graduate it: nbgraduate convert {shlex.quote(shown)}",
        )
    from nbgraduate.knowledge.model_policy import policy_for
    from nbgraduate.lint.context import LintContext
    from nbgraduate.lint.linter import lint_notebook, to_diagnostics
    from nbgraduate.lint.runner import file_job
    from nbgraduate.notebook.reader import read_notebook

    try:
        notebook = read_notebook(path)
    except InputFileError as error:
        return BlockedNotebook(shown, f"cannot read the pipeline notebook: {error.reason}")
    job = file_job(path, settings)
    context = LintContext(notebook, policy_for(job.policy), job.locked_datasets)
    try:
        regressions = find_regressions(context, notebook_path=shlex.quote(shown))
        findings = lint_notebook(
            notebook, job.codes - _COVERED_CODES, context.model_policy, job.locked_datasets
        )
    except RecursionError:
        return BlockedNotebook(shown, "code nested too deeply to analyse")
    except Exception as error:  # a bug in nbgraduate must not pass a commit unchecked
        reason = f"internal error while checking ({type(error).__name__}: {error})"
        return BlockedNotebook(shown, secrets.redact(reason) + "; please report it")
    problems = [_describe(regression) for regression in regressions]
    install_rows = {(r.cell_index, r.row) for r in regressions if r.kind == "install"}
    origin = "new since the baseline" if settings.baseline is not None else "lint finding"
    for diagnostic in _new_since_baseline(to_diagnostics(notebook, findings, shown), settings):
        cell_index = (diagnostic.cell or 1) - 1
        if diagnostic.code in _INSTALL_CODES and (cell_index, diagnostic.row) in install_rows:
            continue  # already named as an install command
        problems.append(
            f"cell {diagnostic.cell}, line {diagnostic.row}: {diagnostic.code}"
            f" {diagnostic.message} ({origin}; see `nbgraduate rule {diagnostic.code}`)"
        )
    if not problems:
        return None
    return BlockedNotebook(
        shown, "graduated pipeline notebook regained ad-hoc patterns", "", problems
    )


def _describe(regression: Regression) -> str:
    where = f"{regression.where}: " if regression.where else ""
    # An install line can carry a token (``git+https://TOKEN@host/...``): mask it, as lint does.
    return secrets.redact(f"{where}{regression.message}; {regression.fix}")


def _new_since_baseline(diagnostics: list[Diagnostic], settings: LintSettings) -> list[Diagnostic]:
    baseline = settings.baseline
    if baseline is None or not diagnostics:
        return diagnostics
    from nbgraduate.lint.baseline import load_baseline

    if not baseline.is_file():
        raise ConfigError(
            settings.config_path or "pyproject.toml",
            f"the configured baseline {baseline} does not exist; write it with"
            f" `nbgraduate lint --write-baseline {baseline}`",
        )
    return load_baseline(baseline).filter_new(diagnostics, baseline.parent)
