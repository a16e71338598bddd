"""Lint many paths: discover files, resolve per-file settings, fan out across processes."""

from __future__ import annotations

import functools
import json
import os
from collections.abc import Callable, Sequence
from pathlib import Path

from nbgraduate.core.errors import ConfigError, InputFileError, NbgraduateError
from nbgraduate.core.records import Record
from nbgraduate.lint.config import LintSettings, load_settings
from nbgraduate.lint.diagnostics import Diagnostic, InputError, LintReport
from nbgraduate.lint.discovery import discover
from nbgraduate.lint.rule_codes import known_rule_codes
from nbgraduate.lock import LOCK_FILENAME

#: ``typing.TYPE_CHECKING`` without importing typing, which costs ``nbgraduate lint`` start-up.
TYPE_CHECKING = False

if TYPE_CHECKING:
    from nbgraduate.core.git_state import GitState
    from nbgraduate.lint.jobs import FileJob, FileResult

#: Below this many files a process pool costs more than it saves.
PARALLEL_THRESHOLD = 24


class LintRequest(Record):
    """What the user asked ``nbgraduate lint`` to do, minus output formatting."""

    _fields = (
        "paths",
        "select",
        "ignore",
        "extend_select",
        "config_file",
        "force_exclude",
        "jobs",
        "file_positions",
        "cache",
    )
    __slots__ = _fields

    def __init__(
        self,
        paths: Sequence[Path],
        select: Sequence[str] | None = None,
        ignore: Sequence[str] | None = None,
        extend_select: Sequence[str] | None = None,
        config_file: Path | None = None,
        force_exclude: bool = False,
        jobs: int | None = None,
        #: Locate findings on the ``.ipynb`` file's own lines (for github, gitlab and sarif).
        file_positions: bool = True,
        #: Read and write the result cache (:mod:`nbgraduate.lint.cache`); the command line turns
        #: it on, callers of this function opt in.
        cache: bool = False,
    ) -> None:
        self.paths = paths
        self.select = select
        self.ignore = ignore
        self.extend_select = extend_select
        self.config_file = config_file
        self.force_exclude = force_exclude
        self.jobs = jobs
        self.file_positions = file_positions
        self.cache = cache


def run_lint(request: LintRequest) -> LintReport:
    """Lint every file under ``request.paths``; unreadable inputs are reported, not fatal.

    Raises :class:`~nbgraduate.core.errors.UsageError` or
    :class:`~nbgraduate.core.errors.ConfigError`
    for bad selectors or configuration, which make the whole run meaningless.
    """

    # Discovery asks once per directory, and every file asks for its directory's settings:
    # one answer per absolute path for the whole run.
    resolved: dict[str, LintSettings] = {}

    def settings_for(path: Path) -> LintSettings:
        absolute = os.path.abspath(path)
        settings = resolved.get(absolute)
        if settings is None:
            settings = resolved[absolute] = load_settings(
                path,
                known_codes=known_rule_codes(),
                cli_select=request.select,
                cli_ignore=request.ignore,
                cli_extend_select=request.extend_select,
                config_file=request.config_file,
            )
        return settings

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

    # A file's settings are its directory's (the nearest config at or above it).
    by_directory: dict[str, LintSettings] = {}
    plans: list[FilePlan] = []
    for path in dict.fromkeys(files):
        directory = os.path.dirname(os.path.abspath(path))
        settings = by_directory.get(directory)
        if settings is None:
            settings = by_directory[directory] = settings_for(Path(directory))
        plans.append(
            _plan_for(path, settings, file_positions=request.file_positions, directory=directory)
        )
    plans = _with_git_state(plans)
    for diagnostics, error in _lint_plans(plans, request, here.project_root):
        report.diagnostics.extend(diagnostics)
        if error is not None:
            report.errors.append(error)
    report.files_checked = len(plans)
    report.diagnostics.extend(_repository_diagnostics(request, settings_for, plans))
    report.sort()
    return report


def _repository_diagnostics(
    request: LintRequest, settings_for: Callable[[Path], LintSettings], plans: list[FilePlan]
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

    linted = [str(plan.path) for plan in plans]
    diagnostics: list[Diagnostic] = []
    for settings in configs.values():
        cache = None
        if request.cache:
            from nbgraduate.lint.cache import cache_directory

            cache = cache_directory(Path(settings.project_root))
        diagnostics.extend(
            lint_repository(settings, given, linted_files=linted, cache_directory=cache)
        )
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
    return _plan_for(path, settings).job()


class FilePlan(Record):
    """A file's lint job before it is built: the fields of :class:`~nbgraduate.lint.jobs.FileJob`,
    with the model-policy configuration as plain data.

    The result cache keys a file by every field of its plan, so answering a run from the cache
    imports neither the model policy nor the linter; :meth:`job` builds the job for a miss.
    """

    _fields = (
        "path",
        "display_path",
        "codes",
        "policy",
        "locked_datasets",
        "git_state",
        "file_positions",
    )
    __slots__ = _fields

    def __init__(
        self,
        path: Path,
        display_path: str,
        codes: frozenset[str],
        #: ``ModelPolicyConfig``'s fields: pinned, floating, providers as JSON.
        policy: tuple[tuple[str, ...], tuple[str, ...], str],
        locked_datasets: frozenset[str] = frozenset(),
        git_state: GitState | None = None,
        file_positions: bool = True,
    ) -> None:
        self.path = path
        self.display_path = display_path
        self.codes = codes
        self.policy = policy
        self.locked_datasets = locked_datasets
        self.git_state = git_state
        self.file_positions = file_positions

    def job(self) -> FileJob:
        from nbgraduate.knowledge.model_policy import ModelPolicyConfig
        from nbgraduate.lint.jobs import FileJob

        pinned, floating, providers_json = self.policy
        return FileJob(
            path=self.path,
            display_path=self.display_path,
            codes=self.codes,
            policy=ModelPolicyConfig(
                pinned=pinned, floating=floating, providers_json=providers_json
            ),
            locked_datasets=self.locked_datasets,
            git_state=self.git_state,
            file_positions=self.file_positions,
        )


def _plan_for(
    path: Path,
    settings: LintSettings,
    *,
    file_positions: bool = True,
    directory: str | None = None,
) -> FilePlan:
    """The plan for ``path`` under ``settings``; ``directory`` is its absolute directory, when
    the caller has it already."""
    if directory is None:
        directory = os.path.dirname(os.path.abspath(path))
    return FilePlan(
        path=path,
        display_path=str(path),
        codes=settings.codes_for(path),
        policy=_policy_of(settings),
        locked_datasets=_locked_datasets_beside(directory),
        file_positions=file_positions,
    )


#: Rules that ask git whether a dataset file is versioned.
_GIT_STATE_CODES = frozenset({"NBG201"})


def _with_git_state(plans: list[FilePlan]) -> list[FilePlan]:
    """Give each plan its repository's git state, read once per repository for the whole run
    (one ``git ls-files -s`` and one ``git status``), and only when a plan needs it."""
    roots: dict[str, str | None] = {}
    states: dict[str, GitState | None] = {}
    given: list[FilePlan] = []
    for plan in plans:
        if not plan.codes & _GIT_STATE_CODES:
            given.append(plan)
            continue
        root = _repository_root(os.path.dirname(os.path.abspath(plan.path)), roots)
        if root is None:
            given.append(plan)
            continue
        if root not in states:
            from nbgraduate.core.git_state import read_git_state

            states[root] = read_git_state(Path(root))
        state = states[root]
        given.append(plan if state is None else plan.replace(git_state=state))
    return given


def _repository_root(directory: str, known: dict[str, str | None]) -> str | None:
    """The nearest directory at or above the absolute ``directory`` holding ``.git``, or
    ``None``; as :func:`~nbgraduate.core.git.repository_root`, with every directory walked
    remembered in ``known`` (files of a run share most of their ancestors)."""
    walked: list[str] = []
    current = directory
    while current not in known:
        walked.append(current)
        if os.path.exists(os.path.join(current, ".git")):
            known[current] = current
            break
        parent = os.path.dirname(current)
        if parent == current:
            known[current] = None
            break
        current = parent
    root = known[current]
    for path in walked:
        known[path] = root
    return root


#: Settings objects are cached per configuration for the life of the process; so is this.
_policies: dict[int, tuple[LintSettings, tuple[tuple[str, ...], tuple[str, ...], str]]] = {}


def _policy_of(settings: LintSettings) -> tuple[tuple[str, ...], tuple[str, ...], str]:
    """The model-policy configuration of ``settings`` as plain data, built once per settings
    object (one lint run has a handful, and thousands of files)."""
    known = _policies.get(id(settings))
    if known is not None and known[0] is settings:
        return known[1]
    policy = (
        tuple(settings.model_pinned),
        tuple(settings.model_floating),
        json.dumps(list(settings.model_providers), sort_keys=True),
    )
    if len(_policies) > 64:
        _policies.clear()
    _policies[id(settings)] = (settings, policy)
    return policy


@functools.lru_cache(maxsize=256)
def _locked_datasets_beside(directory: str) -> frozenset[str]:
    """:func:`_locked_datasets` of the absolute ``directory``, resolved once: resolving every
    file's directory costs a system call per path component, and a run has few directories."""
    return _locked_datasets(Path(directory).resolve())


@functools.lru_cache(maxsize=256)
def _locked_datasets(directory: Path) -> frozenset[str]:
    """Datasets a graduated pipeline's lock pins with a digest. Read without the lock model
    (and pydantic): pre-commit lints pipeline notebooks on every commit."""
    if not (directory / LOCK_FILENAME).is_file():
        return frozenset()
    from nbgraduate.lock.layout import locked_local_datasets

    return locked_local_datasets(directory, digested_only=True)


#: A file's findings and its input error, if it could not be linted.
_Outcome = tuple[list[Diagnostic], InputError | None]


def _lint_plans(plans: list[FilePlan], request: LintRequest, project_root: Path) -> list[_Outcome]:
    """Every file's outcome, in order: from the cache when it has the file's findings, else
    linted (and then stored)."""
    if not request.cache or not plans:
        linted = _run_jobs([plan.job() for plan in plans], request.jobs)
        return [(result.diagnostics, result.error) for result in linted]
    from nbgraduate.lint.cache import LintCache, cache_directory

    cache = LintCache(cache_directory(project_root), project_root)
    outcomes: list[_Outcome | None] = []
    keys: list[str | None] = []
    for plan in plans:
        digest = cache.digest(plan.path)
        if digest is None:
            # Unreadable: linting it reports why.
            keys.append(None)
            outcomes.append(None)
            continue
        key = cache.key(plan, digest)
        keys.append(key)
        cached = cache.get(key)
        outcomes.append(None if cached is None else (cached, None))
    missing = [index for index, outcome in enumerate(outcomes) if outcome is None]
    linted = _run_jobs([plans[i].job() for i in missing], request.jobs)
    for index, result in zip(missing, linted, strict=True):
        outcomes[index] = (result.diagnostics, result.error)
        key = keys[index]
        # A file edited while it was linted: its findings belong to neither content.
        if key is not None and cache.unchanged(plans[index].path):
            cache.put(key, result.diagnostics, result.error)
    cache.close()
    return [outcome for outcome in outcomes if outcome is not None]


def _run_jobs(jobs: list[FileJob], workers: int | None) -> list[FileResult]:
    if not jobs:
        return []
    # Imported only when a file is linted: a run answered by the cache never loads the rules.
    from nbgraduate.lint.linter import lint_file

    worker_count = workers if workers is not None else (os.cpu_count() or 1)
    if worker_count <= 1 or len(jobs) < PARALLEL_THRESHOLD:
        return [lint_file(job) for job in jobs]
    from nbgraduate.lint import workers as forked

    if forked.can_fork():
        return forked.lint_in_workers(jobs, worker_count, lint_file)
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    method = "fork" if "fork" in multiprocessing.get_all_start_methods() else None
    context = multiprocessing.get_context(method)
    worker_count = min(worker_count, len(jobs))
    chunk = max(1, len(jobs) // (worker_count * 8))
    with ProcessPoolExecutor(max_workers=worker_count, mp_context=context) as executor:
        return list(executor.map(lint_file, jobs, chunksize=chunk))
