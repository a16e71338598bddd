"""Run a pipeline's tasks on a Dask distributed cluster (``nbgraduate run --cluster``).

``--cluster tcp://HOST:8786`` (or ``tls://...``) connects a ``distributed.Client`` to a
running scheduler; ``--cluster local:N`` starts a ``LocalCluster`` of ``N`` one-thread worker
processes for trying it out. Each task (a repeat, or one shard of a repeat) is submitted
with the pipeline bundle, which is sent to the scheduler once per run; the worker side is
:mod:`nbgraduate.runs.cluster_task`. The outcomes come back as the local executor's
:class:`~nbgraduate.runs.executor.RepeatOutcome`, their files written into the run's output
directory under the same names, so the rest of ``nbgraduate run`` cannot tell the
difference, except that each outcome also says which worker ran it in how many attempts.

A worker lost mid-task is Dask's to handle: the scheduler runs the task again elsewhere, up to
its ``distributed.scheduler.allowed-failures`` setting, after which the task fails with
``KilledWorker`` (an infrastructure error). On ``KeyboardInterrupt`` (``SIGTERM`` too) the
run's futures are cancelled and every task that had not come back is recorded as
``interrupted``; Dask cannot stop a task already running on a worker thread, so such a task
finishes there and its result is dropped.

``distributed`` is an optional dependency (``pip install 'nbgraduate[dask]'``), imported only
here and only when a cluster is asked for.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from nbgraduate.core import regex_cache
from nbgraduate.core.atomic import write_bytes_atomic
from nbgraduate.core.errors import NbgraduateError, UsageError, one_line
from nbgraduate.runs.cluster_task import ATTEMPTS_METADATA, PipelineBundle, TaskSpec, run_task
from nbgraduate.runs.executor import (
    ExecutionRequest,
    Progress,
    RepeatOutcome,
    _outcome_without_run,
    _sigterm_as_keyboard_interrupt,
    plan_jobs,
)
from nbgraduate.runs.records import RunStatus

if TYPE_CHECKING:
    from distributed import Client, Future

__all__ = ["ClusterUnavailable", "build_bundle", "connect", "execute_on_cluster"]

_ADDRESS = regex_cache.compile(r"^(tcp|tls|ws|wss|ucx)://\S+$")
_LOCAL = regex_cache.compile(r"^local:(\d+)$")
_POLL_S = 0.5


class ClusterUnavailable(NbgraduateError):
    """The cluster could not be reached or started: an infrastructure error."""

    exit_code = 3


@dataclass
class Connection:
    """A client, what to call to let go of it, and how the record names the cluster."""

    client: Client
    label: str
    _close: Callable[[], None]

    def close(self) -> None:
        self._close()


def check_cluster_address(value: str) -> str:
    """``value`` if it names a cluster this module can use, else a usage error."""
    if _LOCAL.match(value) or _ADDRESS.match(value):
        if value.startswith("local:") and int(value.split(":", 1)[1]) < 1:
            raise UsageError(f"--cluster {value}: a local cluster needs at least one worker")
        return value
    raise UsageError(
        f"--cluster {value!r}: expected a scheduler address (tcp://HOST:8786) or local:N"
    )


def connect(address: str) -> Connection:
    """Connect to the scheduler at ``address``, or start ``local:N``."""
    check_cluster_address(address)
    try:
        import distributed
    except ImportError:
        raise UsageError(
            "--cluster needs Dask's distributed scheduler: pip install 'nbgraduate[dask]'"
        ) from None
    # The outcome of every task is in the record; distributed's own log lines about the same
    # events (a lost worker, a closing cluster) would only interleave with ours.
    logging.getLogger("distributed").setLevel(logging.ERROR)
    local = _LOCAL.match(address)
    try:
        if local:
            workers = int(local.group(1))
            cluster = distributed.LocalCluster(
                n_workers=workers,
                threads_per_worker=1,
                processes=True,
                dashboard_address=None,
                silence_logs=logging.ERROR,
            )
            client = distributed.Client(cluster)

            def close_local() -> None:
                client.close()
                cluster.close()

            return Connection(client, address, close_local)
        # Dask's own connect timeout (distributed.comm.timeouts.connect, 30 s by default).
        client = distributed.Client(address)
    except (OSError, TimeoutError) as error:
        detail = one_line(str(error))
        raise ClusterUnavailable(f"cluster {address}: cannot connect: {detail}") from None
    return Connection(client, address, client.close)


def build_bundle(
    pipeline_dir: Path,
    notebook: str,
    lock_json: str,
    datasets: list[tuple[str, Path, str | None]],
    ship_limit: int,
    *,
    allow_drift: bool = False,
) -> PipelineBundle:
    """The pipeline's files as workers get them: each file of the pipeline directory, and each
    local dataset ``(path as the lock writes it, file, sha256)``, shipped when it is at most
    ``ship_limit`` bytes, else linked to where this machine reads it. The notebook, the lock,
    the requirements and the prompts are always shipped."""
    files: dict[str, bytes] = {}
    linked: dict[str, str] = {}
    digests: dict[str, str] = {}
    # What the lock is computed from always travels: a link would lead out of the worker's
    # copy of the repository, and the lock names nothing outside it.
    always = {notebook, "nbgraduate.lock", "requirements.txt", "requirements.lock"}

    def add(name: str, path: Path) -> None:
        if path.stat().st_size <= ship_limit or name in always or name.startswith("prompts/"):
            files[name] = path.read_bytes()
        else:
            linked[name] = str(path.resolve())

    for path in sorted(pipeline_dir.rglob("*")):
        relative = path.relative_to(pipeline_dir)
        if any(part.startswith(".") or part == "__pycache__" for part in relative.parts):
            continue
        if path.is_file():
            add(relative.as_posix(), path)
    for name, path, sha256 in datasets:
        if sha256 is None or not path.is_file():
            continue
        key = name if Path(name).is_absolute() else Path(name).as_posix()
        digests[key] = sha256
        if key in files or key in linked:
            continue
        if Path(name).is_absolute():
            linked[key] = str(path)  # verified where it is, whatever its size
        else:
            add(key, path)
    # Datasets inside the pipeline directory are shipped by the walk above; those linked must
    # be verified on the worker, which needs their digests.
    return PipelineBundle(
        notebook=notebook,
        files=files,
        linked=linked,
        dataset_digests=digests,
        lock_json=lock_json,
        allow_drift=allow_drift,
    )


def execute_on_cluster(
    request: ExecutionRequest, connection: Connection, bundle: PipelineBundle, run_id: str
) -> list[RepeatOutcome]:
    """Run every task of ``request`` on the cluster; outcomes ordered by repeat, then shard."""
    from distributed import as_completed

    output_dir = request.output_dir.resolve()
    output_dir.mkdir(parents=True, exist_ok=True)
    jobs = plan_jobs(request, request.notebook.resolve(), output_dir)
    client = connection.client
    outcomes: dict[int, RepeatOutcome] = {}
    futures: list[Future] = []
    shared: Future | None = None
    try:
        with _sigterm_as_keyboard_interrupt(), _forgetting_attempts(client, run_id):
            try:
                # A task whose result is the bundle, not scattered data: the scheduler keeps
                # the bundle in the task and recomputes it when the worker holding it is lost,
                # where scattered data would be gone and every task needing it cancelled.
                shared = client.submit(
                    _the_bundle, bundle, key=f"nbgraduate-{run_id}-bundle", pure=False
                )
                # On every worker before the tasks are placed: Dask places a task beside its
                # inputs, and one worker holding the bundle would get every task.
                client.replicate([shared])
                for job in jobs:
                    spec = TaskSpec(run_id=run_id, job=job, output_dirname=output_dir.name)
                    futures.append(
                        client.submit(
                            run_task,
                            spec,
                            shared,
                            key=f"nbgraduate-{run_id}-{job.repeat}.{job.shard}",
                            pure=False,
                        )
                    )
                index_of = {future.key: index for index, future in enumerate(futures)}
                tracker = _Tracker(client, futures, request.progress)
                tracker.report(outcomes)
                pending = as_completed(futures, timeout=None)
                for future in _with_ticks(pending, tracker, outcomes):
                    index = index_of[future.key]
                    outcomes[index] = _outcome(client, jobs[index], future, run_id)
                    tracker.report(outcomes)
            except KeyboardInterrupt:
                running = _processing(client)
                client.cancel(futures, force=True)
                for index, future in enumerate(futures):
                    if index not in outcomes and future.key in running:
                        # Dask cannot stop it; what it returns is dropped.
                        outcomes[index] = _outcome_without_run(jobs[index], "interrupted")
    finally:
        for future in futures:
            future.release()
        if shared is not None:
            shared.release()
    return [
        outcomes.get(index) or _outcome_without_run(job, "interrupted before start")
        for index, job in enumerate(jobs)
    ]


def _processing(client: Client) -> set[Any]:
    """The keys the cluster's workers are running now (empty when it cannot say)."""
    try:
        return {key for keys in client.processing().values() for key in keys}
    except Exception:  # cosmetic: progress, and the wording of an interrupted task
        return set()


def _the_bundle(bundle: PipelineBundle) -> PipelineBundle:
    return bundle


def _with_ticks(pending: Any, tracker: _Tracker, outcomes: dict[int, RepeatOutcome]) -> Iterator:
    """The futures as they complete, reporting progress every half second in between."""
    while True:
        batch = pending.next_batch(block=False)
        yield from batch
        if pending.is_empty():
            return
        if not batch:
            time.sleep(_POLL_S)
            tracker.report(outcomes)


def _outcome(client: Client, job: Any, future: Future, run_id: str) -> RepeatOutcome:
    from nbgraduate.runs.cluster_task import attempt_key

    if future.status == "cancelled":
        return _outcome_without_run(job, "interrupted before start")
    error = future.exception()
    if error is not None:
        attempts = int(client.get_metadata(attempt_key(run_id, job.repeat, job.shard), 1))
        if type(error).__name__ == "KilledWorker":
            detail = (
                f"worker lost {attempts} times while running this task (Dask gives up after"
                " distributed.scheduler.allowed-failures)"
            )
        else:
            detail = f"task failed on the cluster: {type(error).__name__}: {error}"
        outcome = _outcome_without_run(job, one_line(detail)[:300])
        return RepeatOutcome(
            result=outcome.result,
            record_file=job.record_file,
            shard=job.shard,
            attempts=attempts,
        )
    report = future.result()
    for name, content in report.files.items():
        write_bytes_atomic(job.record_file.parent / name, content, durable=False)
    return RepeatOutcome(
        result=report.result,
        record_file=job.record_file,
        shard=job.shard,
        worker=report.worker,
        attempts=report.attempts,
    )


class _Tracker:
    """Progress of the run's futures: done and failed from the outcomes, running from the
    scheduler's view of what its workers are processing."""

    def __init__(
        self, client: Client, futures: list[Future], progress: Callable[[Progress], None] | None
    ) -> None:
        self.client = client
        self.keys = {future.key for future in futures}
        self.total = len(futures)
        self.progress = progress

    def report(self, outcomes: dict[int, RepeatOutcome]) -> None:
        if self.progress is None:
            return
        running = len(_processing(self.client) & self.keys)
        failed = sum(1 for o in outcomes.values() if o.result.status != RunStatus.PASSED)
        self.progress(
            Progress(done=len(outcomes), running=running, failed=failed, total=self.total)
        )


@contextmanager
def _forgetting_attempts(client: Client, run_id: str) -> Iterator[None]:
    """Drop the run's attempt counters from the scheduler's metadata when the run is over:
    a long-lived scheduler would otherwise keep every run's."""
    try:
        yield
    finally:
        # A scheduler that went away keeps nothing to forget.
        with suppress(Exception):
            client.run_on_scheduler(_forget_attempts, run_id=run_id)


def _forget_attempts(run_id: str, dask_scheduler: Any = None) -> None:
    if dask_scheduler is not None:
        dask_scheduler.task_metadata.get(ATTEMPTS_METADATA, {}).pop(run_id, None)
