"""One task of a distributed run, as it runs on a Dask worker.

The client (:mod:`nbgraduate.runs.cluster`) sends a :class:`PipelineBundle` once per run and a
:class:`TaskSpec` per task. On the worker, :func:`run_task`:

1. counts this attempt under a task-attempt key in the scheduler's metadata (a worker lost
   mid-task loses its memory, the scheduler does not), so the record can say how many
   attempts each task took;
2. lays the pipeline out in a scratch directory: the files shipped with the bundle, and a
   link to each larger file at the path the client read it from (a shared filesystem);
3. checks the worker runs what the lock says: each dataset's sha256 where the worker reads it
   (different bytes fail the task naming the file and both digests), the lock recomputed
   from the laid-out pipeline against the client's (notebook, scoring, prompts, parameters,
   models, requirements), and each locked requirement installed in the worker's environment;
4. executes the notebook through papermill exactly as a local repeat does
   (:mod:`nbgraduate.runs.executor`) and returns the executed notebook, the recorded
   metrics and the kernel's log as bytes.

A failed check is returned as an infrastructure-error outcome, not raised: Dask retries tasks
whose *worker* died, and a worker that sees different bytes would see them again.

Tasks on one worker process run one at a time: papermill changes the process's working
directory and the kernel inherits the process's environment, both process-wide. Start
workers with ``--nthreads 1`` and as many worker processes as there should be parallel
kernels (``dask worker --nworkers N``).
"""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path, PurePosixPath
from typing import Any

from nbgraduate.runs.records import RepeatResult, RunStatus

__all__ = ["ATTEMPTS_METADATA", "PipelineBundle", "TaskReport", "TaskSpec", "run_task"]

#: The scheduler metadata key under which tasks count their attempts, per run and task.
ATTEMPTS_METADATA = "nbgraduate-attempts"
_DIGEST_SHOWN = 64

# papermill's chdir and the kernel's inherited environment are process-wide.
_one_at_a_time = threading.Lock()
_engine_ready = False


@dataclass(frozen=True)
class PipelineBundle:
    """The pipeline as the client verified it; sent to each worker once per run.

    ``files`` are shipped bytes by POSIX path relative to the pipeline directory (``../``
    for a dataset beside it); ``linked`` are larger files by the same kind of path, with the
    absolute path the client read them from; ``dataset_digests`` are the sha256 of each local
    dataset as the client verified it, by that relative path (or its absolute path).
    """

    notebook: str
    files: dict[str, bytes]
    linked: dict[str, str]
    dataset_digests: dict[str, str]
    #: The lock as the client computed it from its working tree (JSON), and its versions.
    lock_json: str
    allow_drift: bool = False


@dataclass(frozen=True)
class TaskSpec:
    """One task: the executor's job as planned on the client (paths under the client's run
    directory, re-rooted on the worker)."""

    run_id: str
    job: Any  # nbgraduate.runs.executor._RepeatJob
    output_dirname: str


@dataclass(frozen=True)
class TaskReport:
    """What came back: the outcome, where it ran, in how many attempts, and the task's files
    by name in the run's output directory."""

    result: RepeatResult
    worker: str
    attempts: int
    files: dict[str, bytes] = field(default_factory=dict)


def attempt_key(run_id: str, repeat: int, shard: int) -> list[str]:
    """The scheduler metadata path a task's attempts are counted under."""
    return [ATTEMPTS_METADATA, run_id, f"{repeat}.{shard}"]


def run_task(spec: TaskSpec, bundle: PipelineBundle) -> TaskReport:
    """Run one task on this worker (the function Dask executes)."""
    worker, attempts = _count_attempt(spec)
    scratch = Path(tempfile.mkdtemp(prefix="nbgraduate-task-", dir=_scratch_parent()))
    try:
        with _one_at_a_time:
            return _run_here(spec, bundle, scratch, worker, attempts)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _run_here(
    spec: TaskSpec, bundle: PipelineBundle, scratch: Path, worker: str, attempts: int
) -> TaskReport:
    from nbgraduate.runs import executor

    started = datetime.now(timezone.utc)
    pipeline_dir = _pipeline_dir(scratch, bundle)
    run_dir = scratch / "run"
    output_dir = run_dir / spec.output_dirname
    output_dir.mkdir(parents=True)
    job = _rerooted(spec.job, pipeline_dir / bundle.notebook, output_dir, run_dir, pipeline_dir)
    problem = _lay_out(bundle, pipeline_dir, worker) or _check(
        bundle, pipeline_dir, worker, scratch
    )
    if problem is not None:
        now = datetime.now(timezone.utc)
        result = RepeatResult(
            repeat=job.repeat,
            seed=job.seed,
            status=RunStatus.INFRASTRUCTURE_ERROR,
            detail=executor._one_line(problem),
            started_at=started,
            ended_at=now,
            duration_s=(now - started).total_seconds(),
        )
        return TaskReport(result=result, worker=worker, attempts=attempts)
    global _engine_ready
    if not _engine_ready:
        executor._prepare_process()
        _engine_ready = True
    outcome = executor._run_repeat(job)
    files = {}
    for path in (job.executed_notebook, job.record_file, job.kernel_log):
        if path.is_file():
            files[path.name] = path.read_bytes()
    return TaskReport(result=outcome.result, worker=worker, attempts=attempts, files=files)


def _count_attempt(spec: TaskSpec) -> tuple[str, int]:
    from distributed import get_client, get_worker

    worker = get_worker()
    key = attempt_key(spec.run_id, spec.job.repeat, spec.job.shard)
    client = get_client()
    attempts = int(client.get_metadata(key, 0)) + 1
    client.set_metadata(key, attempts)
    return str(worker.name if worker.name is not None else worker.address), attempts


def _scratch_parent() -> str | None:
    from distributed import get_worker

    try:
        return get_worker().local_directory
    except ValueError:  # not on a worker (called directly)
        return None


def _pipeline_dir(scratch: Path, bundle: PipelineBundle) -> Path:
    # Files beside the pipeline (``../data/x.csv``) keep their relative place: the pipeline
    # sits as deep below the scratch root as the deepest ``..`` climbs.
    depth = max(
        (_ups(name) for name in [*bundle.files, *bundle.linked] if not os.path.isabs(name)),
        default=0,
    )
    return scratch.joinpath(*(["up"] * depth), "pipeline")


def _ups(name: str) -> int:
    climbed = lowest = 0
    for part in PurePosixPath(name).parts:
        climbed += -1 if part == ".." else (0 if part == "." else 1)
        lowest = min(lowest, climbed)
    return -lowest


def _lay_out(bundle: PipelineBundle, pipeline_dir: Path, worker: str) -> str | None:
    """Write the shipped files and link the larger ones; the first dataset whose bytes differ
    from what the client verified is the problem returned."""
    from nbgraduate.lock.digests import file_sha256

    pipeline_dir.mkdir(parents=True, exist_ok=True)
    for name, content in bundle.files.items():
        target = Path(os.path.normpath(pipeline_dir / name))
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content)
    for name, source in sorted(bundle.linked.items()):
        expected = bundle.dataset_digests.get(name)
        if expected is not None:
            try:
                seen = file_sha256(source)
            except OSError as error:
                return (
                    f"worker {worker}: dataset {name} cannot be read at {source}: "
                    f"{error.strerror or error}"
                )
            if seen != expected:
                return (
                    f"worker {worker}: dataset {name} at {source} has sha256 "
                    f"{seen[:_DIGEST_SHOWN]}, the run verified {expected[:_DIGEST_SHOWN]}"
                )
        if os.path.isabs(name):
            continue  # read where it is
        target = Path(os.path.normpath(pipeline_dir / name))
        target.parent.mkdir(parents=True, exist_ok=True)
        target.symlink_to(source)
    return None


def _check(bundle: PipelineBundle, pipeline_dir: Path, worker: str, scratch: Path) -> str | None:
    """The lock recomputed here against the client's, and the requirements installed here."""
    from nbgraduate.lock.builder import compute_lock
    from nbgraduate.lock.drift import find_drift
    from nbgraduate.lock.lockfile import PipelineLock
    from nbgraduate.runs.environment import check_environment, installed_distributions, locked_pins

    expected = PipelineLock.model_validate_json(bundle.lock_json)
    try:
        here = compute_lock(
            pipeline_dir,
            contract_version=expected.contract_version,
            schema_version=expected.schema_version,
            laid_out_in=scratch,
        ).lock
    except Exception as error:  # a notebook that does not parse here: report, do not retry
        return f"worker {worker}: cannot recompute the lock: {type(error).__name__}: {error}"
    # The worker's Python is its own; the record keeps the client's provenance. A linked
    # dataset lies outside the scratch repository (the lock here cannot read it); its bytes
    # were checked by digest when it was linked.
    drifts = [
        drift
        for drift in find_drift(expected, here)
        if drift.kind != "python"
        and not (drift.kind == "dataset" and drift.subject in bundle.linked)
    ]
    if drifts:
        listed = "; ".join(drift.message for drift in drifts[:3])
        return f"worker {worker}: the pipeline differs from what the run verified: {listed}"
    check = check_environment(locked_pins(expected, pipeline_dir), installed_distributions())
    missing = [line for line in check.drift if line.endswith("not installed")]
    problems = check.drift if not bundle.allow_drift else missing
    if problems:
        listed = "; ".join(problems[:3])
        more = f" (+{len(problems) - 3} more)" if len(problems) > 3 else ""
        return f"worker {worker}: its environment lacks locked requirements: {listed}{more}"
    return None


def _rerooted(job: Any, notebook: Path, output_dir: Path, run_dir: Path, cwd: Path) -> Any:
    from nbgraduate.runs.recording import RECORD_FILE_ENV

    record_file = output_dir / job.record_file.name
    return replace(
        job,
        notebook=notebook,
        executed_notebook=output_dir / job.executed_notebook.name,
        record_file=record_file,
        kernel_log=output_dir / job.kernel_log.name,
        run_dir=run_dir,
        cwd=cwd,
        env={**job.env, RECORD_FILE_ENV: str(record_file)},
    )
