"""Lint many paths: discover files, resolve per-file settings, fan out across processes."""

from __future__ import annotations

import dataclasses
import functools
import json
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from nbgraduate.core.errors import ConfigError, InputFileError, NbgraduateError
from nbgraduate.core.git import repository_root
from nbgraduate.core.git_state import GitState, read_git_state
from nbgraduate.knowledge.model_policy import ModelPolicyConfig
from nbgraduate.lint.config import LintSettings, load_settings
from nbgraduate.lint.diagnostics import Diagnostic, InputError, LintReport
from nbgraduate.lint.discovery import discover
from nbgraduate.lint.jobs import FileJob, FileResult
from nbgraduate.lint.rule_codes import known_rule_codes
from nbgraduate.lock import LOCK_FILENAME

#: Below this many files a process pool costs more than it saves.
PARALLEL_THRESHOLD = 24


@dataclass(frozen=True, slots=True)
class LintRequest:
    """What the user asked ``nbgraduate lint`` to do, minus output formatting."""

    paths: Sequence[Path]
    select: Sequence[str] | None = None
    ignore: Sequence[str] | None = None
    extend_select: Sequence[str] | None = None
    config_file: Path | None = None
    force_exclude: bool = False
    jobs: int | None = None
    #: Locate findings on the ``.ipynb`` file's own lines (for github, gitlab and sarif).
    file_positions: bool = True
    #: Read and write the result cache (:mod:`nbgraduate.lint.cache`); the command line turns
    #: it on, callers of this function opt in.
    cache: bool = False


def run_lint(request: LintRequest) -> LintReport:
    """Lint every file under ``request.paths``; unreadable inputs are reported, not fatal.

    Raises :class:`~nbgraduate.core.errors.UsageError` or
    :class:`~nbgraduate.core.errors.ConfigError`
    for bad selectors or configuration, which make the whole run meaningless.
    """

    def settings_for(path: Path) -> LintSettings:
        return load_settings(
            path,
            known_codes=known_rule_codes(),
            cli_select=request.select,
            cli_ignore=request.ignore,
            cli_extend_select=request.extend_select,
            config_file=request.config_file,
        )

    report = LintReport()
    # Settings are validated up front, so a bad selector fails before any file is read.
    here = settings_for(Path.cwd())
    files: list[Path] = []
    for given in request.paths or [Path(".")]:
        try:
            files.extend(
                discover(
                    [given],
                    settings_for,
                    force_exclude=request.force_exclude,
                    on_error=lambda error: report.errors.append(
                        InputError(error.path, error.reason)
                    ),
                )
            )
        except InputFileError as error:
            report.errors.append(InputError(error.path, error.reason))
    jobs = _with_git_state(
        [
            _job_for(path, settings_for(path), file_positions=request.file_positions)
            for path in dict.fromkeys(files)
        ]
    )
    for result in _lint_jobs(jobs, request, here.project_root):
        report.diagnostics.extend(result.diagnostics)
        if result.error is not None:
            report.errors.append(result.error)
    report.files_checked = len(jobs)
    report.diagnostics.extend(_repository_diagnostics(request, settings_for, jobs))
    report.sort()
    return report


def _repository_diagnostics(
    request: LintRequest, settings_for: Callable[[Path], LintSettings], jobs: list[FileJob]
) -> list[Diagnostic]:
    """Repository rules, once per configuration (with eval paths) that the given paths use."""
    given = list(request.paths or [Path(".")])
    configs: dict[Path | None, LintSettings] = {}
    for path in given:
        try:
            settings = settings_for(path)
        except NbgraduateError:
            continue  # reported when the path itself was discovered
        if settings.eval_paths:
            configs.setdefault(settings.config_path, settings)
    if not configs:
        return []
    # Imported only here: repository rules need eval paths, and most runs have none.
    from nbgraduate.lint.repository import lint_repository

    linted = [str(job.path) for job in jobs]
    diagnostics: list[Diagnostic] = []
    for settings in configs.values():
        diagnostics.extend(lint_repository(settings, given, linted_files=linted))
    return diagnostics


def configured_baseline(config_file: Path | None = None) -> Path | None:
    """The ``baseline`` file of the configuration that applies here, if one is configured.

    A configured baseline that does not exist is a :class:`ConfigError`: silently linting
    without it would fail every commit on the legacy findings it was meant to accept.
    """
    settings = load_settings(Path.cwd(), known_codes=known_rule_codes(), config_file=config_file)
    baseline = settings.baseline
    if baseline is None:
        return None
    if not baseline.is_file():
        shown = os.path.relpath(baseline) if _is_below_cwd(baseline) else str(baseline)
        raise ConfigError(
            settings.config_path or "pyproject.toml",
            f"the configured baseline {shown} does not exist; write it with"
            f" `nbgraduate lint --write-baseline {shown}`",
        )
    return baseline


def _is_below_cwd(path: Path) -> bool:
    cwd = os.getcwd()
    try:
        return os.path.commonpath([os.path.abspath(path), cwd]) == cwd
    except ValueError:
        return False


def file_job(path: Path, settings: LintSettings) -> FileJob:
    """The lint job for one file under ``settings``, as ``nbgraduate lint`` would run it."""
    return _job_for(path, settings)


def _job_for(path: Path, settings: LintSettings, *, file_positions: bool = True) -> FileJob:
    return FileJob(
        path=path,
        display_path=str(path),
        codes=settings.codes_for(path),
        policy=_policy_of(settings),
        locked_datasets=_locked_datasets(path.parent.resolve()),
        file_positions=file_positions,
    )


#: Rules that ask git whether a dataset file is versioned.
_GIT_STATE_CODES = frozenset({"NBG201"})


def _with_git_state(jobs: list[FileJob]) -> list[FileJob]:
    """Give each job its repository's git state, read once per repository for the whole run
    (one ``git ls-files -s`` and one ``git status``), and only when a job needs it."""
    states: dict[Path, GitState | None] = {}
    given: list[FileJob] = []
    for job in jobs:
        if not job.codes & _GIT_STATE_CODES:
            given.append(job)
            continue
        root = repository_root(job.path.parent)
        if root not in states:
            states[root] = read_git_state(root) if (root / ".git").exists() else None
        state = states[root]
        given.append(job if state is None else dataclasses.replace(job, git_state=state))
    return given


#: Settings objects are cached per configuration for the life of the process; so is this.
_policies: dict[int, tuple[LintSettings, ModelPolicyConfig]] = {}


def _policy_of(settings: LintSettings) -> ModelPolicyConfig:
    """The model-policy configuration of ``settings``, built once per settings object (one
    lint run has a handful, and thousands of files)."""
    known = _policies.get(id(settings))
    if known is not None and known[0] is settings:
        return known[1]
    policy = ModelPolicyConfig(
        pinned=settings.model_pinned,
        floating=settings.model_floating,
        providers_json=json.dumps(list(settings.model_providers), sort_keys=True),
    )
    if len(_policies) > 64:
        _policies.clear()
    _policies[id(settings)] = (settings, policy)
    return policy


@functools.lru_cache(maxsize=256)
def _locked_datasets(directory: Path) -> frozenset[str]:
    """Datasets a graduated pipeline's lock pins with a digest. Read without the lock model
    (and pydantic): pre-commit lints pipeline notebooks on every commit."""
    if not (directory / LOCK_FILENAME).is_file():
        return frozenset()
    from nbgraduate.lock.layout import locked_local_datasets

    return locked_local_datasets(directory, digested_only=True)


def _lint_jobs(jobs: list[FileJob], request: LintRequest, project_root: Path) -> list[FileResult]:
    """Every job's result, in order: from the cache when it has the file's result, else linted
    (and then stored)."""
    if not request.cache or not jobs:
        return _run_jobs(jobs, request.jobs)
    from nbgraduate.core.files import read_regular
    from nbgraduate.lint.cache import LintCache, cache_directory

    cache = LintCache(cache_directory(project_root))
    results: list[FileResult | None] = []
    keys: list[str | None] = []
    for job in jobs:
        try:
            # Never a FIFO or device (a FIFO would block here forever): read_regular refuses.
            content = read_regular(job.path)
        except OSError:
            # Unreadable: linting it reports why.
            keys.append(None)
            results.append(None)
            continue
        key = cache.key(job, content)
        keys.append(key)
        results.append(cache.get(key))
    missing = [index for index, result in enumerate(results) if result is None]
    for index, result in zip(
        missing, _run_jobs([jobs[i] for i in missing], request.jobs), strict=True
    ):
        results[index] = result
        key = keys[index]
        if key is not None:
            cache.put(key, result)
    cache.close()
    return [result for result in results if result is not None]


def _run_jobs(jobs: list[FileJob], workers: int | None) -> list[FileResult]:
    if not jobs:
        return []
    # Imported only when a file is linted: a run answered by the cache never loads the rules.
    from nbgraduate.lint.linter import lint_file

    worker_count = workers if workers is not None else (os.cpu_count() or 1)
    if worker_count <= 1 or len(jobs) < PARALLEL_THRESHOLD:
        return [lint_file(job) for job in jobs]
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    method = "fork" if "fork" in multiprocessing.get_all_start_methods() else None
    context = multiprocessing.get_context(method)
    worker_count = min(worker_count, len(jobs))
    chunk = max(1, len(jobs) // (worker_count * 8))
    with ProcessPoolExecutor(max_workers=worker_count, mp_context=context) as executor:
        return list(executor.map(lint_file, jobs, chunksize=chunk))
