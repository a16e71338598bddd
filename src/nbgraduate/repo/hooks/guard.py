"""The ``nbgraduate-guard`` hook: under the eval paths, only graduated pipelines, kept clean.

A notebook staged under a configured eval path must be a graduated pipeline's notebook (its
directory holds the ``nbgraduate.lock`` that names it), or the unchanged legacy notebook a
pipeline's lock says it was graduated from (``graduated_from``: passed, with a reminder to
archive or delete it once the pipeline is reviewed); otherwise it is an ad-hoc notebook and
must be graduated first. A pipeline notebook must not gain ad-hoc patterns
(:mod:`nbgraduate.lint.regressions`) or lint findings beyond those it had when it was converted
or last locked (its own ``nbgraduate.baseline.json``) and beyond the configured baseline.
A pipeline's ``legacy/`` folder (``nbgraduate convert --move-source``) is not checked.
"""

from __future__ import annotations

import os
import shlex
from collections.abc import Sequence
from pathlib import Path

from nbgraduate.core.errors import ConfigError, InputFileError
from nbgraduate.lint.config import LintSettings, load_settings
from nbgraduate.lint.discovery import discover
from nbgraduate.lint.rule_codes import known_rule_codes
from nbgraduate.lock import LOCK_FILENAME
from nbgraduate.lock.layout import graduated_sources, locked_notebook_name, pipeline_notebook

#: ``typing.TYPE_CHECKING`` without importing typing (start-up, as in ``cli.lint``).
TYPE_CHECKING = False

if TYPE_CHECKING:
    from nbgraduate.lint.diagnostics import Diagnostic
    from nbgraduate.lint.regressions import Regression

__all__ = ["BlockedNotebook", "GuardReport", "guard"]

_INSTALL_CODES = frozenset({"NBG401", "NBG402"})

# The hook runs on every commit that stages a notebook, most of them outside the eval paths,
# where it has nothing to check: so the rules, the pipeline checks and the secret patterns are
# imported only for a notebook it checks, the codes are read from the rule modules' names
# (:mod:`nbgraduate.lint.rule_codes`), and the report classes are plain classes (``import
# dataclasses`` brings in :mod:`inspect`).


class BlockedNotebook:
    """A notebook the guard blocks: a headline, the fix, and each problem found in it."""

    __slots__ = ("fix", "headline", "path", "problems")

    def __init__(
        self, path: str, headline: str, fix: str = "", problems: list[str] | None = None
    ) -> None:
        self.path = path
        self.headline = headline
        self.fix = fix
        self.problems: list[str] = [] if problems is None else problems


class GuardReport:
    """The staged notebooks the guard checked, those it blocks, and its notes."""

    __slots__ = ("blocked", "checked", "notes", "unconfigured")

    def __init__(self) -> None:
        self.blocked: list[BlockedNotebook] = []
        #: What passed but deserves a word: a legacy notebook kept beside its pipeline.
        self.notes: list[str] = []
        self.checked = 0
        #: Set when no configuration names eval paths: nothing can be guarded.
        self.unconfigured = False

    @property
    def blocks(self) -> bool:
        return bool(self.blocked)

    def render(self) -> str:
        lines: list[str] = [f"note: {note}" for note in self.notes]
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
        return load_settings(path, known_codes=known_rule_codes(), config_file=config_file)

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
        blocked = _check_notebook(path, eval_path, settings, report.notes)
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


def _check_notebook(
    path: Path, eval_path: str, settings: LintSettings, notes: list[str]
) -> BlockedNotebook | None:
    shown = str(path)
    if not _is_pipeline_notebook(path):
        return _check_source(path, eval_path, settings, notes)
    from nbgraduate.knowledge.model_policy import policy_for
    from nbgraduate.lint.pipeline_baseline import load_pipeline_baseline, pipeline_findings
    from nbgraduate.lint.runner import file_job
    from nbgraduate.notebook.reader import read_notebook

    try:
        notebook = read_notebook(path)
    except InputFileError as error:
        return BlockedNotebook(shown, f"cannot read the pipeline notebook: {error.reason}")
    job = file_job(path, settings)
    try:
        found = pipeline_findings(
            notebook,
            codes=job.codes,
            model_policy=policy_for(job.policy),
            locked_datasets=job.locked_datasets,
            display_path=shown,
            quoted_path=shlex.quote(shown),
        )
    except RecursionError:
        return BlockedNotebook(shown, "code nested too deeply to analyse")
    except Exception as error:  # a bug in nbgraduate must not pass a commit unchecked
        from nbgraduate.knowledge import secrets

        reason = f"internal error while checking ({type(error).__name__}: {error})"
        return BlockedNotebook(shown, secrets.redact(reason) + "; please report it")
    regressions, diagnostics = found.regressions, found.diagnostics
    own = load_pipeline_baseline(path.parent)
    if own is not None:
        regressions = own.new_regressions(regressions)
        diagnostics = own.new_diagnostics(diagnostics)
    problems = [_describe(regression) for regression in regressions]
    install_rows = {(r.cell_index, r.row) for r in found.regressions if r.kind == "install"}
    any_baseline = own is not None or settings.baseline is not None
    origin = "new since the baseline" if any_baseline else "lint finding"
    for diagnostic in _new_since_baseline(diagnostics, settings):
        cell_index = (diagnostic.cell or 1) - 1
        if diagnostic.code in _INSTALL_CODES and (cell_index, diagnostic.row) in install_rows:
            continue  # already named as an install command
        problems.append(
            f"cell {diagnostic.cell}, line {diagnostic.row}: {diagnostic.code}"
            f" {diagnostic.message} ({origin}; see `nbgraduate rule {diagnostic.code}`)"
        )
    if not problems:
        return None
    pipeline = shlex.quote(str(path.parent))
    if own is not None:
        fix = (
            f"fix them (only what is new since {own.path.name}, the findings it had when it was"
            f" converted or last locked, blocks; if a change is intended, `nbgraduate lock"
            f" {pipeline}` records it)"
        )
    else:
        fix = (
            f"this pipeline has no baseline of its own (converted before nbgraduate kept one):"
            f" `nbgraduate lock {pipeline}` records its current findings as accepted"
        )
    return BlockedNotebook(
        shown, "graduated pipeline notebook regained ad-hoc patterns", fix, problems
    )


def _check_source(
    path: Path, eval_path: str, settings: LintSettings, notes: list[str]
) -> BlockedNotebook | None:
    """A notebook that is no pipeline's: the legacy source of a graduated pipeline passes
    while unchanged; anything else must be graduated first."""
    shown = str(path)
    root = Path(settings.project_root) / eval_path
    graduated = graduated_sources(path, search_under=root)
    if not graduated:
        return BlockedNotebook(
            shown,
            f"not part of a graduated pipeline (eval path {eval_path}/ takes graduated"
            " pipelines only)",
            f"graduate it: nbgraduate convert {shlex.quote(shown)}",
        )
    from nbgraduate.lock.digests import notebook_digest
    from nbgraduate.notebook.reader import read_notebook

    try:
        notebook = read_notebook(path)
    except InputFileError as error:
        return BlockedNotebook(shown, f"cannot read the notebook: {error.reason}")
    digest = notebook_digest([(c.cell_type, c.source, c.tags) for c in notebook.cells])
    pipelines = [pipeline for pipeline, recorded in graduated if recorded == digest]
    if pipelines:
        notes.append(
            f"{shown}: the legacy notebook {_display(pipelines[0])}/ was graduated from;"
            " archive or delete it once the pipeline is reviewed"
        )
        return None
    pipeline = _display(graduated[0][0])
    return BlockedNotebook(
        shown,
        f"changed since it was graduated into {pipeline}/ (its nbgraduate.lock records the"
        " notebook as it was converted)",
        f"make the change in the pipeline notebook and re-lock (nbgraduate lock"
        f" {shlex.quote(pipeline)}), or graduate it again: nbgraduate convert"
        f" {shlex.quote(shown)} --force",
    )


def _display(path: Path) -> str:
    try:
        return os.path.relpath(path)
    except ValueError:  # another drive on Windows
        return str(path)


def _describe(regression: Regression) -> str:
    from nbgraduate.knowledge import secrets

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
