"""Run the repeats of a pipeline notebook through papermill on real kernels, in worker processes.

Each repeat runs in a worker process of a process pool. The worker sets the repeat's
environment (``NBGRADUATE_RECORD_FILE``, ``NBGRADUATE_REPEAT`` and ``ExecutionRequest.env``)
before papermill starts the kernel, because a kernel inherits the environment of the process
that launches it; doing this in worker processes keeps parallel repeats from racing on one
``os.environ`` (and on papermill's ``chdir`` into ``cwd``). ``workers=1`` uses a one-process
pool, so a repeat behaves the same whatever the parallelism. Workers are *spawned*, so a script
calling :func:`execute` needs the usual ``if __name__ == "__main__":`` guard.

With ``shards=N`` above 1, each repeat runs as ``N`` tasks; task ``k`` of repeat ``i`` gets
``NBGRADUATE_SHARD_INDEX=k`` and ``NBGRADUATE_SHARD_COUNT=N`` in its kernel's environment (and
the ``shard_index``/``shard_count`` parameters when ``shard_parameters`` says the pipeline
declares them), and its files are named ``repeat-{i}.shard-{k}.*``.

Repeat ``i`` leaves these files in ``output_dir``:

* ``repeat-{i}.ipynb``: the executed notebook, written however the repeat ended, with the
  outputs of the cells that ran (papermill alone writes it only when notebook code raised; a
  small papermill engine writes it after timeouts, dead kernels and interrupts too);
* ``repeat-{i}.metrics.jsonl``: what the notebook recorded, if anything;
* ``repeat-{i}.kernel.log``: the kernel process's own stderr (start-up warnings, the last words
  of a crashing kernel), kept out of the caller's terminal.

How a repeat ended is classified so that a broken machine never reads as a regression:

* the notebook ran to the end: ``passed``;
* notebook code raised ``ImportError`` or ``ModuleNotFoundError``: ``infrastructure-error`` (the
  environment lacks a requirement; that is never the model's fault);
* notebook code raised anything else (a failed ``assert``, ``sys.exit(1)``): ``eval-failed``,
  with the detail
  ``cell N: ExceptionName: message`` where ``N`` counts the cells of the *source* notebook
  from 1 (the cell papermill injects is not counted) or ``injected parameters`` when the
  injected cell itself raised;
* everything else is an ``infrastructure-error``: ``timeout: cell N exceeded 5s``,
  ``kernel died in cell N``, ``kernel did not start: ...``, ``no kernel named 'x': ...``,
  ``interrupted in cell N`` (``interrupted before start`` for repeats that never ran),
  ``worker process died: ...``, or ``ExceptionName: message`` for anything unexpected. A kernel
  that dies before running any cell is started again, twice at most: parallel kernels can lose
  a race for a TCP port.

Interrupts are best effort: on ``KeyboardInterrupt`` or ``SIGTERM`` in the calling process
(``SIGTERM`` is only caught when :func:`execute` runs in the main thread), repeats that have not
started are cancelled, running ones are stopped (their kernels shut down, their notebooks kept)
and :func:`execute` *returns* the outcomes, the stopped ones as ``interrupted``, so the caller
can still write a record. A second interrupt while stopping propagates.
"""

from __future__ import annotations

import logging
import math
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future, wait
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from time import monotonic
from typing import TYPE_CHECKING, Any

from nbgraduate.core.errors import InputFileError, UsageError, one_line
from nbgraduate.notebook.parameters import SHARD_PARAMETERS
from nbgraduate.runs.records import RepeatResult, RunStatus
from nbgraduate.runs.sharding import SHARD_COUNT_ENV, SHARD_INDEX_ENV
from nbgraduate.runs.warm_kernel import WarmKernel, stop_kernel

if TYPE_CHECKING:
    import multiprocessing.queues

__all__ = [
    "RECORD_FILE_ENV",
    "REPEAT_ENV",
    "ExecutionRequest",
    "Progress",
    "RepeatOutcome",
    "execute",
]

RECORD_FILE_ENV = "NBGRADUATE_RECORD_FILE"
REPEAT_ENV = "NBGRADUATE_REPEAT"

# The name our papermill engine is registered under in each worker process.
_ENGINE_NAME = "nbgraduate"
# papermill's marker for the cell holding the parameters it injects.
_INJECTED_TAG = "injected-parameters"
# Details end up in run records and on one CLI line; a 5 kB assertion message would swamp both.
_DETAIL_LIMIT = 300
# Extra attempts when a kernel dies while starting (see ``_kernel_failed_to_start``).
_KERNEL_START_RETRIES = 2
# Exceptions that mean the environment, not the eval, is broken.
_MISSING_MODULE_ERRORS = frozenset({"ImportError", "ModuleNotFoundError"})
# How often the caller looks for newly started workers to stop after an interrupt.
_STOP_POLL_S = 0.2


@dataclass(frozen=True)
class ExecutionRequest:
    """What to run: one pipeline notebook, ``repeats`` times, on ``workers`` processes.

    ``parameters`` are injected by papermill as they are (the caller has validated and cast
    them). When both ``seed_parameter`` and ``base_seed`` are set, repeat ``i`` gets
    ``parameters[seed_parameter] = base_seed + i`` and records that seed; otherwise no seed is
    injected and the repeats record ``seed=None``. ``timeout`` limits each cell, in seconds
    (rounded up to whole seconds, as nbclient counts them). ``env`` is added to the kernel's
    environment; ``NBGRADUATE_RECORD_FILE`` and ``NBGRADUATE_REPEAT`` always win over it.
    """

    notebook: Path
    output_dir: Path
    parameters: dict[str, Any]
    seed_parameter: str | None
    base_seed: int | None
    repeats: int = 1
    workers: int = 1
    timeout: float | None = None
    kernel_name: str = "python3"
    cwd: Path | None = None
    env: dict[str, str] = field(default_factory=dict)
    #: A kernel already booting for repeat 0 (``nbgraduate run`` starts it before verifying);
    #: used only when it was started for the same kernel, directory and environment.
    warm_kernel: WarmKernel | None = None
    #: Tasks each repeat's examples are split across (``nbgraduate.shard`` picks a task's part).
    shards: int = 1
    #: Whether the notebook declares ``shard_index``/``shard_count`` (then they are injected).
    shard_parameters: bool = False
    #: Called from the calling thread whenever a task starts or ends (the progress line).
    progress: Callable[[Progress], None] | None = None

    def __post_init__(self) -> None:
        if self.repeats < 1:
            raise UsageError(f"repeats must be at least 1, got {self.repeats}")
        if self.shards < 1:
            raise UsageError(f"shards must be at least 1, got {self.shards}")
        if self.workers < 1:
            raise UsageError(f"workers must be at least 1, got {self.workers}")
        if self.timeout is not None and not self.timeout > 0:
            raise UsageError(f"timeout must be a positive number of seconds, got {self.timeout}")

    def seed_for(self, repeat: int) -> int | None:
        """The seed repeat ``repeat`` runs with, or ``None`` when no seed is injected."""
        if self.seed_parameter is None or self.base_seed is None:
            return None
        return self.base_seed + repeat


@dataclass(frozen=True, slots=True)
class Progress:
    """Where a run's tasks stand: ``done`` (ended, whatever the outcome) of which ``failed``
    did not pass, ``running`` now, ``total`` planned."""

    done: int
    running: int
    failed: int
    total: int


@dataclass(frozen=True)
class RepeatOutcome:
    """How one repeat ended, and where its notebook recorded metrics.

    ``result.executed_notebook`` is the executed notebook's path relative to the *parent* of
    ``ExecutionRequest.output_dir`` in POSIX form (``"executed/repeat-0.ipynb"`` for an
    ``output_dir`` named ``executed``), so a run directory holding both the record and
    ``output_dir`` can be moved; it is ``None`` when no notebook was written. ``record_file``
    is absolute and may not exist (the notebook recorded nothing, or never ran).
    """

    result: RepeatResult
    record_file: Path
    #: Which part of the repeat's examples this task ran (``--shards``), from 0.
    shard: int = 0
    #: Where the task ran: a Dask worker's name, else ``None`` (this machine).
    worker: str | None = None
    #: How often the task was started (a lost worker's task runs again elsewhere).
    attempts: int = 1


def execute(request: ExecutionRequest) -> list[RepeatOutcome]:
    """Run every repeat of ``request`` and return their outcomes ordered by repeat index.

    Raises :class:`~nbgraduate.core.errors.InputFileError` when the notebook does not exist; every
    failure *during* a repeat is reported in its outcome instead.
    """
    notebook = request.notebook.resolve()
    if not notebook.is_file():
        raise InputFileError(request.notebook, "no such notebook")
    output_dir = request.output_dir.resolve()
    output_dir.mkdir(parents=True, exist_ok=True)
    jobs = plan_jobs(request, notebook, output_dir)
    workers = min(request.workers, len(jobs))
    warm = request.warm_kernel
    if workers == 1:
        return _run_in_this_process(jobs, warm, request.progress)
    if warm is not None:
        warm.shutdown()
    return _run_in_workers(jobs, workers, request.progress)


@dataclass(frozen=True)
class _RepeatJob:
    """Everything a worker process needs to run one repeat (picklable, absolute paths)."""

    repeat: int
    seed: int | None
    shard: int
    shard_count: int
    notebook: Path
    executed_notebook: Path
    record_file: Path
    kernel_log: Path
    run_dir: Path
    parameters: dict[str, Any]
    kernel_name: str
    cwd: Path
    timeout: float | None
    env: dict[str, str]


def plan_jobs(request: ExecutionRequest, notebook: Path, output_dir: Path) -> list[_RepeatJob]:
    """One job per task: each repeat, split into ``request.shards`` parts."""
    return [
        _plan_repeat(request, notebook, output_dir, repeat, shard)
        for repeat in range(request.repeats)
        for shard in range(request.shards)
    ]


def task_stem(repeat: int, shard: int, shards: int) -> str:
    """How a task's files are named: ``repeat-0``, or ``repeat-0.shard-1`` in a sharded run."""
    return f"repeat-{repeat}" if shards == 1 else f"repeat-{repeat}.shard-{shard}"


def _plan_repeat(
    request: ExecutionRequest, notebook: Path, output_dir: Path, repeat: int, shard: int = 0
) -> _RepeatJob:
    seed = request.seed_for(repeat)
    parameters = dict(request.parameters)
    if request.seed_parameter is not None and seed is not None:
        parameters[request.seed_parameter] = seed
    stem = task_stem(repeat, shard, request.shards)
    record_file = output_dir / f"{stem}.metrics.jsonl"
    env = {**request.env, RECORD_FILE_ENV: str(record_file), REPEAT_ENV: str(repeat)}
    if request.shards > 1:
        # Only in sharded runs, so an unsharded repeat 0 still matches the warm kernel's env.
        env[SHARD_INDEX_ENV], env[SHARD_COUNT_ENV] = str(shard), str(request.shards)
    if request.shard_parameters:
        index_name, count_name = SHARD_PARAMETERS
        parameters[index_name], parameters[count_name] = shard, request.shards
    return _RepeatJob(
        repeat=repeat,
        seed=seed,
        shard=shard,
        shard_count=request.shards,
        notebook=notebook,
        executed_notebook=output_dir / f"{stem}.ipynb",
        record_file=record_file,
        kernel_log=output_dir / f"{stem}.kernel.log",
        run_dir=output_dir.parent,
        parameters=parameters,
        kernel_name=request.kernel_name,
        cwd=(request.cwd or notebook.parent).resolve(),
        timeout=request.timeout,
        env=env,
    )


# --- the calling process -------------------------------------------------------------------


def _run_in_this_process(
    jobs: list[_RepeatJob],
    warm: WarmKernel | None = None,
    progress: Callable[[Progress], None] | None = None,
) -> list[RepeatOutcome]:
    """Run repeats one after another here: with one worker, a spawned process only adds its
    start-up (~350 ms of a ~1.2 s one-cell run) and changes nothing else, because repeats run
    sequentially and each one's environment is set and restored around it."""
    _prepare_process()
    outcomes: list[RepeatOutcome] = []
    interrupted = False
    try:
        with _sigterm_as_keyboard_interrupt():
            for job in jobs:
                if interrupted:
                    outcomes.append(_outcome_without_run(job, "interrupted before start"))
                    continue
                usable = (
                    warm is not None
                    and job.repeat == 0
                    and job.shard == 0
                    and warm.matches(job.kernel_name, job.cwd, job.env)
                )
                _report(progress, outcomes, running=1, total=len(jobs))
                outcome = _run_repeat(job, warm if usable else None)
                outcomes.append(outcome)
                _report(progress, outcomes, running=0, total=len(jobs))
                interrupted = (outcome.result.detail or "").startswith("interrupted")
    finally:
        if warm is not None:
            warm.shutdown()
    return outcomes


def _report(
    progress: Callable[[Progress], None] | None,
    ended: list[RepeatOutcome],
    *,
    running: int,
    total: int,
) -> None:
    if progress is None:
        return
    failed = sum(1 for outcome in ended if outcome.result.status != RunStatus.PASSED)
    progress(Progress(done=len(ended), running=running, failed=failed, total=total))


def _run_in_workers(
    jobs: list[_RepeatJob], workers: int, progress: Callable[[Progress], None] | None = None
) -> list[RepeatOutcome]:
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    # spawn, not fork: forking a caller that has threads (a CLI with a progress thread, a test
    # runner) can deadlock the child, and spawn behaves the same on Linux and macOS.
    context = multiprocessing.get_context("spawn")
    worker_pids: multiprocessing.queues.SimpleQueue[int] = context.SimpleQueue()
    pool = ProcessPoolExecutor(
        max_workers=workers,
        mp_context=context,
        initializer=_start_worker,
        initargs=(worker_pids,),
    )
    futures: list[Future[RepeatOutcome]] = []
    stopped = False
    try:
        with _sigterm_as_keyboard_interrupt():
            try:
                futures.extend(pool.submit(_run_repeat, job) for job in jobs)
                _wait_reporting(futures, workers, progress)
            except KeyboardInterrupt:
                stopped = True
                _stop_repeats(futures, worker_pids)
    except BaseException:
        # A second interrupt while stopping: do not wait for anything any more.
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown(wait=True)
    return [
        _outcome_of(job, futures[index], stopped)
        if index < len(futures)
        else _outcome_without_run(job, "interrupted before start")
        for index, job in enumerate(jobs)
    ]


def _wait_reporting(
    futures: list[Future[RepeatOutcome]],
    workers: int,
    progress: Callable[[Progress], None] | None,
) -> None:
    """Wait for every future, reporting progress as tasks end (a pool does not say when one
    starts: the running count is the busy workers)."""
    if progress is None:
        wait(futures)
        return
    pending = set(futures)
    while True:
        failed = sum(1 for future in futures if future.done() and not _passed(future))
        progress(
            Progress(
                done=len(futures) - len(pending),
                running=min(workers, len(pending)),
                failed=failed,
                total=len(futures),
            )
        )
        if not pending:
            return
        _, pending = wait(pending, timeout=1.0, return_when="FIRST_COMPLETED")


def _passed(future: Future[RepeatOutcome]) -> bool:
    if future.cancelled() or future.exception() is not None:
        return False
    return future.result().result.status == RunStatus.PASSED


@contextmanager
def _sigterm_as_keyboard_interrupt() -> Iterator[None]:
    # A CI runner cancels a job with SIGTERM; turning it into KeyboardInterrupt lets the running
    # repeats stop cleanly (kernels shut down, notebooks written) instead of being orphaned.
    # Signal handlers can only be installed from the main thread.
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, _raise_keyboard_interrupt)
    try:
        yield
    finally:
        # ``None`` means the previous handler was not installed from Python: the default one.
        signal.signal(signal.SIGTERM, signal.SIG_DFL if previous is None else previous)


def _raise_keyboard_interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def _stop_repeats(
    futures: list[Future[RepeatOutcome]], worker_pids: multiprocessing.queues.SimpleQueue[int]
) -> None:
    for future in futures:
        future.cancel()  # only succeeds for repeats not yet handed to a worker
    # Workers ignore SIGINT (so a Ctrl-C reaching the whole process group does not hit them
    # twice) and stop on SIGTERM; keep signalling until every repeat has settled, because a
    # worker that was still starting up has not reported its pid yet.
    signalled: set[int] = set()
    while True:
        while not worker_pids.empty():
            pid = worker_pids.get()
            if pid not in signalled:
                signalled.add(pid)
                _terminate(pid)
        _, pending = wait(futures, timeout=_STOP_POLL_S)
        if not pending:
            return


def _terminate(pid: int) -> None:
    with suppress(ProcessLookupError):  # the worker has already exited
        os.kill(pid, signal.SIGTERM)


def _outcome_of(job: _RepeatJob, future: Future[RepeatOutcome], stopped: bool) -> RepeatOutcome:
    from concurrent.futures.process import BrokenProcessPool

    if future.cancelled():
        return _outcome_without_run(job, "interrupted before start")
    error = future.exception()
    if error is None:
        return future.result()
    if isinstance(error, KeyboardInterrupt):
        # The stop arrived in the worker just outside the papermill call.
        return _outcome_without_run(job, "interrupted", executed=job.executed_notebook.is_file())
    if isinstance(error, BrokenProcessPool):
        # A worker killed by our own SIGTERM before it could install its handler, or by the OS.
        detail = "interrupted" if stopped else _one_line(f"worker process died: {error}")
        return _outcome_without_run(job, detail, executed=job.executed_notebook.is_file())
    raise error  # a bug in the worker code itself: let it surface


def _outcome_without_run(job: _RepeatJob, detail: str, *, executed: bool = False) -> RepeatOutcome:
    now = datetime.now(timezone.utc)
    result = RepeatResult(
        repeat=job.repeat,
        seed=job.seed,
        status=RunStatus.INFRASTRUCTURE_ERROR,
        detail=detail,
        started_at=now,
        ended_at=now,
        duration_s=0.0,
        executed_notebook=_relative_notebook(job) if executed else None,
    )
    return RepeatOutcome(result=result, record_file=job.record_file, shard=job.shard)


# --- the worker processes ------------------------------------------------------------------

# Per worker process: whether it has been told to stop, and whether a repeat is running (only
# then does a stop raise KeyboardInterrupt, which papermill and nbclient clean up after).
_worker_stopping = False
_repeat_running = False


def _start_worker(worker_pids: multiprocessing.queues.SimpleQueue[int]) -> None:
    signal.signal(signal.SIGINT, _ignore_signal)
    signal.signal(signal.SIGTERM, _stop_worker)
    _prepare_process()
    worker_pids.put(os.getpid())


def _prepare_process() -> None:
    # The outcome carries the status; papermill's and nbclient's log lines about the same
    # failure would only interleave with the caller's output.
    logging.getLogger("papermill").setLevel(logging.CRITICAL)
    _register_engine()


def _ignore_signal(signum: int, frame: object) -> None:
    # A Python handler rather than SIG_IGN: SIG_IGN would be inherited by the kernel, which
    # needs SIGINT to be interruptible.
    return None


def _stop_worker(signum: int, frame: object) -> None:
    global _worker_stopping
    if _worker_stopping:
        return
    _worker_stopping = True
    if _repeat_running:
        raise KeyboardInterrupt


def _register_engine() -> None:
    from papermill.engines import NBClientEngine, papermill_engines
    from papermill.iorw import write_ipynb

    class NotebookKeepingEngine(NBClientEngine):
        """papermill's nbclient engine, which also writes the notebook when execution raises.

        papermill writes the output itself when a cell raised, but not after a timeout, a dead
        kernel or an interrupt; those are exactly the runs someone will want to inspect. Saving
        after every cell (``request_save_on_cell_execute``) would also cover them, at the price
        of rewriting the whole notebook twice per cell.
        """

        @classmethod
        def execute_notebook(  # type: ignore[override]
            cls,
            nb: Any,
            kernel_name: str,
            *,
            keep_notebook_at: str,
            ran_notebook: list[Any],
            **kwargs: Any,
        ) -> Any:
            ran_notebook.append(nb)
            try:
                return super().execute_notebook(nb, kernel_name, **kwargs)
            except BaseException:
                write_ipynb(nb, keep_notebook_at)
                raise

    papermill_engines.register(_ENGINE_NAME, NotebookKeepingEngine)


def _run_repeat(job: _RepeatJob, warm: WarmKernel | None = None) -> RepeatOutcome:
    # Files left by an earlier run in the same directory would pass for this one's (and a
    # record file is appended to, which would mix two runs' metrics). A warm kernel is already
    # writing to its log.
    stale_files = [job.executed_notebook, job.record_file]
    if warm is None:
        stale_files.append(job.kernel_log)
    for stale in stale_files:
        stale.unlink(missing_ok=True)
    if _worker_stopping:
        # Handed to this worker just before it was told to stop.
        return _outcome_without_run(job, "interrupted before start")
    started_at = datetime.now(timezone.utc)
    started = monotonic()
    with _environment(job.env), _stderr_to(job.kernel_log, append=warm is not None):
        for attempt in range(1 + _KERNEL_START_RETRIES):
            manager = None
            if warm is not None and attempt == 0:
                manager, warm.used = warm.manager, True
            error, notebook = _execute_once(job, manager)
            if manager is not None:
                # nbclient leaves a kernel it did not start running; this one is done.
                stop_kernel(manager)
            if not _kernel_failed_to_start(error, notebook):
                break
    duration = monotonic() - started
    ended_at = datetime.now(timezone.utc)
    if error is None:
        status, detail = RunStatus.PASSED, None
    else:
        status, detail = _classify(error, job, notebook)
    result = RepeatResult(
        repeat=job.repeat,
        seed=job.seed,
        status=status,
        detail=detail,
        started_at=started_at,
        ended_at=ended_at,
        duration_s=duration,
        executed_notebook=_relative_notebook(job) if job.executed_notebook.is_file() else None,
    )
    return RepeatOutcome(result=result, record_file=job.record_file, shard=job.shard)


def _execute_once(job: _RepeatJob, manager: Any = None) -> tuple[BaseException | None, Any]:
    """Run the notebook once; return what it raised and the notebook object papermill ran."""
    global _repeat_running
    import papermill

    ran_notebook: list[Any] = []
    error: BaseException | None = None
    try:
        _repeat_running = True
        papermill.execute_notebook(
            str(job.notebook),
            str(job.executed_notebook),
            parameters=job.parameters,
            engine_name=_ENGINE_NAME,
            kernel_name=job.kernel_name,
            cwd=str(job.cwd),
            execution_timeout=_whole_seconds(job.timeout),
            progress_bar=False,
            log_output=False,
            request_save_on_cell_execute=False,
            keep_notebook_at=str(job.executed_notebook),
            ran_notebook=ran_notebook,
            **({"km": manager} if manager is not None else {}),
        )
    except (Exception, KeyboardInterrupt) as raised:
        error = raised
    finally:
        _repeat_running = False
    return error, ran_notebook[0] if ran_notebook else None


def _kernel_failed_to_start(error: BaseException | None, notebook: Any) -> bool:
    # Kernels started at the same moment by parallel workers can race for the same free TCP
    # port; the loser dies before replying to kernel_info (jupyter/jupyter_client#154). No cell
    # has run then, so starting again is safe.
    return (
        isinstance(error, RuntimeError)
        and notebook is not None
        and _last_started_cell(notebook) is None
    )


@contextmanager
def _environment(updates: dict[str, str]) -> Iterator[None]:
    # The worker is reused for later repeats; put its environment back as it was.
    saved = {name: os.environ.get(name) for name in updates}
    os.environ.update(updates)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


@contextmanager
def _stderr_to(log_path: Path, *, append: bool = False) -> Iterator[None]:
    # The kernel inherits this process's stderr: its start-up warnings and the tracebacks of a
    # crashing kernel go to a per-repeat log instead of interleaving with the caller's output.
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(log_path, "ab" if append else "wb") as log:
            os.dup2(log.fileno(), 2)
        yield
    finally:
        sys.stderr.flush()
        os.dup2(saved, 2)
        os.close(saved)


def _whole_seconds(timeout: float | None) -> int | None:
    # nbclient's timeout is an Integer trait; round up so a limit is never tightened.
    return None if timeout is None else max(1, math.ceil(timeout))


def _classify(error: BaseException, job: _RepeatJob, notebook: Any) -> tuple[RunStatus, str]:
    from jupyter_client.kernelspec import NoSuchKernel
    from nbclient.exceptions import CellTimeoutError, DeadKernelError
    from papermill.exceptions import PapermillExecutionError

    if isinstance(error, PapermillExecutionError):
        cell = _source_cell_label(job.notebook, error.source, error.cell_index)
        detail = f"{cell}: {error.ename}: {error.evalue}"
        if error.ename in _MISSING_MODULE_ERRORS:
            # A package the environment lacks says nothing about the model under evaluation.
            return RunStatus.INFRASTRUCTURE_ERROR, _one_line(
                f"{detail} (the kernel's environment lacks a requirement: "
                "build it with `nbgraduate env`)"
            )
        return RunStatus.EVAL_FAILED, _one_line(detail)
    if _kernel_failed_to_start(error, notebook):
        log = job.kernel_log.relative_to(job.run_dir).as_posix()
        return RunStatus.INFRASTRUCTURE_ERROR, _one_line(
            f"kernel did not start: {error} (its log is {log})"
        )
    running = _running_cell(job.notebook, notebook)
    if isinstance(error, CellTimeoutError):
        where = f" {running}" if running else ""
        # nbclient raises the same error when a cell's output never arrives after its reply.
        if job.timeout is None or "IOPub" in str(error):
            return (
                RunStatus.INFRASTRUCTURE_ERROR,
                f"timeout: output of{where or ' a cell'} never arrived",
            )
        limit = f"{_whole_seconds(job.timeout)}s"
        return RunStatus.INFRASTRUCTURE_ERROR, f"timeout:{where} exceeded {limit}"
    if isinstance(error, DeadKernelError):
        where = f" in {running}" if running else ""
        return RunStatus.INFRASTRUCTURE_ERROR, f"kernel died{where}"
    if isinstance(error, KeyboardInterrupt):
        where = f" in {running}" if running else ""
        return RunStatus.INFRASTRUCTURE_ERROR, f"interrupted{where}"
    if isinstance(error, NoSuchKernel):
        return RunStatus.INFRASTRUCTURE_ERROR, (
            f"no kernel named {job.kernel_name!r}: install it or choose another "
            "(`jupyter kernelspec list` shows the installed ones)"
        )
    return RunStatus.INFRASTRUCTURE_ERROR, _one_line(f"{type(error).__name__}: {error}")


def _running_cell(source_path: Path, notebook: Any) -> str | None:
    """The label of the cell that was executing when the run stopped, if any cell had started."""
    index = None if notebook is None else _last_started_cell(notebook)
    if index is None:
        return None
    return _source_cell_label(source_path, notebook.cells[index].source, index)


def _last_started_cell(notebook: Any) -> int | None:
    started = [
        index
        for index, cell in enumerate(notebook.cells)
        if cell.get("metadata", {}).get("papermill", {}).get("start_time")
    ]
    return started[-1] if started else None


def _source_cell_label(source_path: Path, cell_source: str, executed_index: int) -> str:
    """Name an executed cell as the user knows it: ``cell N`` of the source notebook, from 1.

    papermill inserts (or replaces) the injected-parameters cell and drops its own error
    markers, so indices shift; the cell is found by its source text, taking the match nearest
    to its executed position when the same source appears more than once.
    """
    import nbformat

    cells = nbformat.read(str(source_path), as_version=4).cells
    matches = [
        index
        for index, cell in enumerate(cells)
        if cell.source == cell_source
        and _INJECTED_TAG not in cell.get("metadata", {}).get("tags", [])
    ]
    if not matches:
        return "injected parameters"
    index = min(matches, key=lambda candidate: abs(candidate - executed_index))
    return f"cell {index + 1}"


def _relative_notebook(job: _RepeatJob) -> str:
    return job.executed_notebook.relative_to(job.run_dir).as_posix()


def _one_line(text: str) -> str:
    line = one_line(text)
    return line if len(line) <= _DETAIL_LIMIT else line[: _DETAIL_LIMIT - 3] + "..."
