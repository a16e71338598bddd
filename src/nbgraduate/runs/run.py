"""``nbgraduate run``: verify the lock, execute the pipeline, and record the run with provenance."""

from __future__ import annotations

import os
import platform
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from nbgraduate.core.errors import InputFileError, NbgraduateError, UsageError
from nbgraduate.lock.builder import LockComputation, seed_parameter_name
from nbgraduate.lock.drift import Drift
from nbgraduate.lock.layout import not_a_pipeline
from nbgraduate.lock.lockfile import PipelineLock
from nbgraduate.lock.locking import verify_pipeline
from nbgraduate.notebook.parameters import SHARD_PARAMETERS, Parameter, cast_value
from nbgraduate.runs.environment import (
    EnvironmentDriftRefused,
    PipelineEnvironment,
    environment_for_run,
)
from nbgraduate.runs.executor import ExecutionRequest, Progress, RepeatOutcome, execute
from nbgraduate.runs.layout import StoreLocation, default_store_root
from nbgraduate.runs.recording import read_recording
from nbgraduate.runs.records import (
    CiRun,
    MetricSeries,
    ModelUse,
    RepeatResult,
    RunRecord,
    RunStatus,
    ServedModel,
    TaskResult,
    credential_parameters,
    redact_json_value,
    redacted,
)
from nbgraduate.runs.snapshots import RunDataset, snapshot_datasets, snapshot_policy
from nbgraduate.runs.store import open_store
from nbgraduate.runs.warm_kernel import WarmKernel, new_run_id

_SEVERITY = {RunStatus.PASSED: 0, RunStatus.EVAL_FAILED: 1, RunStatus.INFRASTRUCTURE_ERROR: 2}


class DriftRefused(NbgraduateError):
    """The working tree does not match the lock, and the run was not told to go ahead."""

    def __init__(self, pipeline_dir: Path, drifts: list[Drift]) -> None:
        self.drifts = drifts
        listed = "; ".join(drift.message for drift in drifts[:3])
        more = f" (+{len(drifts) - 3} more)" if len(drifts) > 3 else ""
        super().__init__(
            f"{pipeline_dir}: refusing to run, the working tree differs from nbgraduate.lock: "
            f"{listed}{more}; re-lock with `nbgraduate lock`, or pass --allow-drift"
        )


@dataclass(frozen=True, slots=True)
class RunOptions:
    pipeline_dir: Path
    overrides: dict[str, str] = field(default_factory=dict)
    repeats: int = 1
    workers: int = 1
    timeout: float | None = None
    allow_drift: bool = False
    #: Where to record the run (``None``: ``<project>/.nbgraduate``).
    store: StoreLocation | None = None
    #: Keep a copy of each local dataset in the store's object area (``--no-snapshot``: off).
    snapshot: bool = True
    #: Run in the environment ``nbgraduate env`` built for the pipeline (else this one's).
    use_env: bool = False
    #: Every parameter's value, already typed (a reproduction passes the recorded ones);
    #: ``overrides`` are then not used.
    parameters: dict[str, object] | None = None
    #: The pipeline's name in the store (default: its path relative to the project); a
    #: reproduction, run in a temporary worktree, records under the original's name.
    pipeline_name: str | None = None
    #: A Dask cluster to run the tasks on (``tcp://HOST:8786``, ``local:N``), else local.
    cluster: str | None = None
    #: Tasks each repeat's examples are split across (``nbgraduate.shard`` picks the part).
    shards: int = 1
    #: Datasets up to this many bytes travel with each distributed task.
    ship_limit: int = 16 * 1024 * 1024
    #: Told whenever a task starts or ends (the CLI's progress line).
    progress: Callable[[Progress], None] | None = None


def parse_overrides(pairs: list[str]) -> dict[str, str]:
    """``-p name=value`` pairs; a malformed pair is a usage error."""
    overrides = {}
    for pair in pairs:
        name, separator, value = pair.partition("=")
        if not separator or not name.strip():
            raise UsageError(f"-p expects NAME=VALUE, got {pair!r}")
        overrides[name.strip()] = value
    return overrides


def resolve_parameters(lock: PipelineLock, overrides: dict[str, str]) -> dict[str, object]:
    """Defaults from the lock, with overrides cast by the declared types; unknown names fail."""
    values: dict[str, object] = {parameter.name: parameter.default for parameter in lock.parameters}
    for name, raw in overrides.items():
        declared = lock.parameter(name)
        if declared is None:
            known = ", ".join(sorted(values)) or "none"
            raise UsageError(f"unknown parameter {name!r} (this pipeline has: {known})")
        parameter = Parameter(declared.name, declared.type, declared.default, declared.help)
        values[name] = cast_value(parameter, raw)
    return values


def typed_parameters(lock: PipelineLock, given: dict[str, object]) -> dict[str, object]:
    """Defaults from the lock, replaced by ``given`` values as they are; unknown names fail."""
    values: dict[str, object] = {parameter.name: parameter.default for parameter in lock.parameters}
    unknown = sorted(name for name in given if name not in values)
    if unknown:
        known = ", ".join(sorted(values)) or "none"
        raise UsageError(f"unknown parameter {unknown[0]!r} (this pipeline has: {known})")
    values.update(given)
    return values


def run_pipeline(
    options: RunOptions,
    warm: WarmKernel | None = None,
    *,
    before_recording: Callable[[RunRecord], RunRecord] | None = None,
) -> RunRecord:
    """Run the pipeline and store its record; the record's status says how it ended.

    ``warm`` is a kernel :func:`start_warm_kernel` launched for this run before the imports
    and the verification; it is shut down (and its directory removed) if the run is refused.
    ``before_recording`` may complete the record before it is stored (a reproduction adds
    its verdict): records are never changed once stored.
    """
    problem = not_a_pipeline(options.pipeline_dir)
    if problem is not None:
        if warm is not None:
            warm.shutdown(remove_output=True)
        raise InputFileError(options.pipeline_dir, problem)
    pipeline_dir = options.pipeline_dir.resolve()
    location = options.store or StoreLocation(root=default_store_root(pipeline_dir))
    name_in_store = options.pipeline_name or pipeline_name_in_store(pipeline_dir, location)
    if warm is not None and (
        warm.store != location or options.cluster is not None or options.shards > 1
    ):
        warm.shutdown(remove_output=True)
        warm = None
    try:
        if options.cluster is not None and options.use_env:
            raise UsageError(
                "--env runs the kernel in an environment built on this machine; a cluster's"
                " workers run in their own (the run checks they have the locked requirements)"
            )
        locked, current, drifts = verify_pipeline(pipeline_dir)
        if drifts and not options.allow_drift:
            raise DriftRefused(options.pipeline_dir, drifts)
        if options.parameters is not None:
            parameters = typed_parameters(locked, options.parameters)
        else:
            parameters = resolve_parameters(locked, options.overrides)
        datasets = _run_datasets(current, parameters, pipeline_dir)
        policy = snapshot_policy(pipeline_dir, enabled=options.snapshot)
        # Built environments are this machine's, beside its embedded store whatever store
        # records the run.
        local_root = location.root or default_store_root(pipeline_dir)
        environment, environment_check, installed = environment_for_run(
            locked,
            pipeline_dir,
            local_root,
            name_in_store,
            options.use_env,
        )
        if environment_check.drift and not options.allow_drift:
            raise EnvironmentDriftRefused(options.pipeline_dir, environment_check.drift)
        shard_parameters = _shard_parameters(current, options)
        # Opened (and checked: a damaged store is refused) before anything runs.
        run_store = open_store(location)
    except BaseException:
        if warm is not None:
            warm.shutdown(remove_output=True)
        raise
    seed_parameter = seed_parameter_name(locked)
    base_seed = parameters.get(seed_parameter) if seed_parameter else None
    run_id = warm.run_id if warm is not None else new_run_id()
    started = datetime.now(timezone.utc)
    with run_store as store:
        # Before the notebook runs: the copy must be of the bytes it reads.
        snapshots = snapshot_datasets(datasets, store.objects, policy)
        work_dir = warm.output_dir if warm is not None else location.make_work_directory(run_id)
        request = ExecutionRequest(
            notebook=pipeline_dir / locked.notebook,
            output_dir=work_dir,
            parameters=parameters,
            seed_parameter=seed_parameter,
            base_seed=base_seed if isinstance(base_seed, int) else None,
            repeats=options.repeats,
            workers=options.workers,
            timeout=options.timeout,
            kernel_name=environment.kernel_name if environment else locked.kernel_name,
            cwd=pipeline_dir,
            env=_kernel_env(environment),
            warm_kernel=warm,
            shards=options.shards,
            shard_parameters=shard_parameters,
            progress=options.progress,
        )
        if options.cluster is None:
            outcomes = execute(request)
        else:
            outcomes = _execute_on_cluster(
                request, options, pipeline_dir, locked.notebook, current, datasets, run_id
            )
        ended = datetime.now(timezone.utc)
        tasks = _tasks(outcomes) if options.cluster is not None or options.shards > 1 else []
        merged = merge_task_metrics(outcomes, options.shards)
        metrics, usage, served, problems = merged
        repeats = _repeat_results(outcomes, options.shards)
        worst = max(
            (r.status for r in repeats),
            key=_SEVERITY.__getitem__,
            default=RunStatus.INFRASTRUCTURE_ERROR,
        )
        if problems and worst != RunStatus.INFRASTRUCTURE_ERROR:
            # A shard that recorded nothing, or two that scored one example: never a PASS.
            worst = RunStatus.INFRASTRUCTURE_ERROR
        details = [
            f"repeat {r.repeat}: {r.detail}"
            for r in repeats
            if r.detail and r.status != RunStatus.PASSED
        ] + problems
        commit, dirty = git_state(pipeline_dir)
        record = RunRecord(
            run_id=run_id,
            pipeline=name_in_store,
            git_commit=commit,
            git_dirty=dirty,
            lock_digest=locked.digest(),
            contract_version=locked.contract_version,
            reproducible=not drifts and not environment_check.drift,
            environment_drift=environment_check.drift,
            environment_unchecked=environment_check.reported,
            parameters=parameters,
            overrides=_overrides(locked, parameters),
            models=_models_as_run(current.lock, parameters),
            dataset_digests={d.path: d.sha256 or "missing" for d in datasets if not d.remote},
            datasets=snapshots,
            prompt_digests={p.path: p.sha256 for p in current.lock.prompts},
            seeds=[r.seed for r in repeats if r.seed is not None],
            temperature=_temperature(parameters, locked),
            python_version=platform.python_version(),
            platform=platform.platform(),
            packages=_package_versions(locked, installed),
            started_at=started,
            ended_at=ended,
            duration_s=(ended - started).total_seconds(),
            status=worst,
            status_detail="; ".join(details) or None,
            repeats=repeats,
            cluster=options.cluster,
            shards=options.shards,
            tasks=tasks,
            metrics=metrics,
            usage=usage,
            served=served,
            ci=CiRun.from_environment(os.environ),
        )
        _redact_executed_notebooks(work_dir, credential_parameters(parameters))
        if before_recording is not None:
            record = before_recording(record)
        record = redacted(record)  # what the store keeps is also what the caller prints
        store.add(record, artifacts=run_files(work_dir))
    if not location.keeps_run_directories:
        shutil.rmtree(work_dir, ignore_errors=True)
    return record


def _shard_parameters(current: LockComputation, options: RunOptions) -> bool:
    """Whether the notebook declares ``shard_index``/``shard_count``; ``--shards`` above 1
    needs them (that is how a pipeline says it picks its part with ``nbgraduate.shard``)."""
    declared = {parameter.name for parameter in current.parameters}
    both = all(name in declared for name in SHARD_PARAMETERS)
    if options.shards > 1 and not both:
        raise UsageError(
            f"{options.pipeline_dir}: --shards {options.shards} needs the pipeline to declare"
            " `shard_index: int = 0` and `shard_count: int = 1` in its parameters cell and to"
            " score only `nbgraduate.shard(examples, key=...)` (convert adds the parameters)"
        )
    return both


def _execute_on_cluster(
    request: ExecutionRequest,
    options: RunOptions,
    pipeline_dir: Path,
    notebook: str,
    current: LockComputation,
    datasets: list[RunDataset],
    run_id: str,
) -> list[RepeatOutcome]:
    from nbgraduate.runs.cluster import build_bundle, connect, execute_on_cluster

    assert options.cluster is not None
    bundle = build_bundle(
        pipeline_dir,
        notebook,
        current.lock.model_dump_json(),
        [(d.path, d.file, d.sha256) for d in datasets if not d.remote and d.file is not None],
        options.ship_limit,
        allow_drift=options.allow_drift,
    )
    connection = connect(options.cluster)
    try:
        return execute_on_cluster(request, connection, bundle, run_id)
    finally:
        connection.close()


def merge_task_metrics(
    outcomes: list[RepeatOutcome], shards: int
) -> tuple[list[MetricSeries], dict[str, float], list[ServedModel], list[str]]:
    """The run's metrics from its tasks' record files, its summed usage, the models served,
    and what makes a sharded run's metrics incomplete.

    Unsharded, each task's series are kept as recorded. Sharded, the per-example series (with
    ids) of one repeat's shards merge into one series, each id once; an id recorded by two
    shards, or a metric one shard recorded and another (that ran) did not, is a problem.
    Scalar series stay one per shard, marked with it: averaging them would be a guess.
    """
    metrics: list[MetricSeries] = []
    usage: dict[str, float] = {}
    served: list[ServedModel] = []
    problems: list[str] = []
    by_repeat: dict[int, list[tuple[int, list[MetricSeries], bool]]] = {}
    for outcome in outcomes:
        recording = read_recording(outcome.record_file)
        recorded = recording.metrics
        for counter, amount in recording.usage.items():
            usage[counter] = usage.get(counter, 0.0) + amount
        served.extend(answer for answer in recording.served if answer not in served)
        if shards == 1:
            metrics.extend(recorded)
            continue
        ran = outcome.result.status == RunStatus.PASSED
        by_repeat.setdefault(outcome.result.repeat, []).append((outcome.shard, recorded, ran))
    for repeat, parts in sorted(by_repeat.items()):
        merged, repeat_problems = _merge_shards(repeat, parts)
        metrics.extend(merged)
        problems.extend(repeat_problems)
    return metrics, usage, served, problems


def _merge_shards(
    repeat: int, parts: list[tuple[int, list[MetricSeries], bool]]
) -> tuple[list[MetricSeries], list[str]]:
    problems: list[str] = []
    merged: dict[str, MetricSeries] = {}
    owner: dict[str, dict[str, int]] = {}
    scalars: list[MetricSeries] = []
    recorded_by: dict[str, set[int]] = {}
    for shard, recorded, _ran in sorted(parts, key=lambda part: part[0]):
        for series in recorded:
            recorded_by.setdefault(series.name, set()).add(shard)
            if series.ids is None:
                scalars.append(series.model_copy(update={"shard": shard}))
                continue
            seen = owner.setdefault(series.name, {})
            clash = next((example for example in series.ids if example in seen), None)
            if clash is not None:
                problems.append(
                    f"repeat {repeat}: metric {series.name!r}: example {clash!r} was scored by"
                    f" shards {seen[clash]} and {shard} (does the notebook pick its examples"
                    " with nbgraduate.shard?)"
                )
                continue
            seen.update(dict.fromkeys(series.ids, shard))
            known = merged.get(series.name)
            if known is None:
                merged[series.name] = series.model_copy(
                    update={
                        "values": list(series.values),
                        "ids": list(series.ids),
                        "clusters": None if series.clusters is None else list(series.clusters),
                    }
                )
                continue
            known.values.extend(series.values)
            known.ids.extend(series.ids)  # type: ignore[union-attr]
            if (known.clusters is None) != (series.clusters is None):
                problems.append(
                    f"repeat {repeat}: metric {series.name!r}: some shards record clusters"
                    " and others do not"
                )
            elif known.clusters is not None and series.clusters is not None:
                known.clusters.extend(series.clusters)
    ran = sorted(shard for shard, _recorded, ran in parts if ran)
    for name, shards in sorted(recorded_by.items()):
        missing = [shard for shard in ran if shard not in shards]
        if missing:
            listed = ", ".join(str(shard) for shard in missing)
            problems.append(f"repeat {repeat}: metric {name!r} missing from shard {listed}")
    return [*merged.values(), *scalars], problems


def _tasks(outcomes: list[RepeatOutcome]) -> list[TaskResult]:
    return [
        TaskResult(
            repeat=outcome.result.repeat,
            shard=outcome.shard,
            status=outcome.result.status,
            detail=outcome.result.detail,
            worker=outcome.worker or "local",
            attempts=outcome.attempts,
            started_at=outcome.result.started_at,
            ended_at=outcome.result.ended_at,
            duration_s=outcome.result.duration_s,
            executed_notebook=outcome.result.executed_notebook,
        )
        for outcome in outcomes
    ]


def _repeat_results(outcomes: list[RepeatOutcome], shards: int) -> list[RepeatResult]:
    """One result per repeat: a sharded repeat passes when every shard passed and is an
    infrastructure error otherwise (never a partial verdict), spans from its first shard's
    start to its last one's end, and shows shard 0's notebook."""
    if shards == 1:
        return [outcome.result for outcome in outcomes]
    results: list[RepeatResult] = []
    by_repeat: dict[int, list[RepeatOutcome]] = {}
    for outcome in outcomes:
        by_repeat.setdefault(outcome.result.repeat, []).append(outcome)
    for repeat, parts in sorted(by_repeat.items()):
        first = min(parts, key=lambda outcome: outcome.shard).result
        # A shard that did not pass leaves the repeat without part of its examples: whatever
        # stopped it (an assert on its part included), the repeat has no verdict to give.
        failed = [p for p in parts if p.result.status != RunStatus.PASSED]
        status = RunStatus.INFRASTRUCTURE_ERROR if failed else RunStatus.PASSED
        details = [
            f"shard {p.shard} {p.result.status.value}: {p.result.detail or 'no detail'}"
            for p in failed
        ]
        started = min(p.result.started_at for p in parts)
        ended = max(p.result.ended_at for p in parts)
        results.append(
            RepeatResult(
                repeat=repeat,
                seed=first.seed,
                status=status,
                detail="; ".join(details) or None,
                started_at=started,
                ended_at=ended,
                duration_s=(ended - started).total_seconds(),
                executed_notebook=first.executed_notebook,
            )
        )
    return results


def run_files(work_dir: Path) -> dict[str, Path]:
    """The files a run left in its work directory, by their name in the run."""
    return {
        path.relative_to(work_dir).as_posix(): path
        for path in sorted(work_dir.rglob("*"))
        if path.is_file() and not path.is_symlink()
    }


def _redact_executed_notebooks(work_dir: Path, credentials: list[str]) -> None:
    """Mask secrets in the executed notebooks before they are stored with the run: their
    outputs may print a key, and papermill writes ``-p`` values into their
    injected-parameters cell."""
    import json

    from nbgraduate.core.atomic import write_text_atomic
    from nbgraduate.knowledge import secrets

    for path in sorted(work_dir.rglob("*.ipynb")):
        if not path.is_file() or path.is_symlink():
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue
        if not secrets.may_contain_secret(text) and not any(c in text for c in credentials):
            continue
        try:
            document = json.loads(text)
        except (ValueError, RecursionError):
            continue
        cleaned = redact_json_value(document, credentials)
        if cleaned != document:
            write_text_atomic(path, json.dumps(cleaned, indent=1, ensure_ascii=False) + "\n")


def _overrides(lock: PipelineLock, parameters: dict[str, object]) -> dict[str, object]:
    """The parameters whose value is not the lock's default, in the lock's order."""
    return {
        declared.name: parameters[declared.name]
        for declared in lock.parameters
        if declared.name in parameters and parameters[declared.name] != declared.default
    }


def _models_as_run(lock: PipelineLock, parameters: dict[str, object]) -> list[ModelUse]:
    """The models this run used: a ``-p judge_model=...`` override replaces the locked id (and
    is classified afresh: overriding a snapshot with an alias is recorded as floating)."""
    from nbgraduate.knowledge.model_policy import ModelPolicyConfig, policy_for

    policy = policy_for(ModelPolicyConfig())
    models = []
    for model in lock.models:
        used = parameters.get(model.parameter) if model.parameter else None
        if isinstance(used, str) and used != model.model_id:
            verdict = policy.classify(used)
            models.append(
                ModelUse(
                    model_id=used,
                    role=model.role,
                    provider=verdict.provider,
                    pinned=verdict.status == "pinned",
                )
            )
        else:
            models.append(
                ModelUse(
                    model_id=model.model_id,
                    role=model.role,
                    provider=model.provider,
                    pinned=model.pinned,
                )
            )
    return models


def _run_datasets(
    current: LockComputation, parameters: dict[str, object], pipeline_dir: Path
) -> list[RunDataset]:
    """The datasets this run reads, with the digests just verified: a parameter that pointed
    at a locked dataset and was overridden points at another file, whose digest is taken now."""
    from nbgraduate.lock.digests import file_sha256
    from nbgraduate.lock.layout import resolve_in_project

    lock = current.lock
    found: dict[str, RunDataset] = {}
    for dataset in lock.datasets:
        if dataset.remote:
            pin = current.remote_pins.get(dataset.path)
            found[dataset.path] = RunDataset(dataset.path, None, None, remote=True, pin=pin)
        elif dataset.sha256:
            found[dataset.path] = RunDataset(
                dataset.path, _dataset_file(dataset.path, pipeline_dir), dataset.sha256
            )
    for declared in lock.parameters:
        default, used = declared.default, parameters.get(declared.name)
        if default not in found or found[default].remote:
            continue
        if not isinstance(used, str) or used == default:
            continue
        del found[default]
        path = resolve_in_project(pipeline_dir, used)
        if path is None:  # outside the repository: never read, hashed or kept
            found[used] = RunDataset(used, None, None)
            continue
        found[used] = RunDataset(used, path, file_sha256(path) if path.is_file() else None)
    return list(found.values())


def _dataset_file(path: str, pipeline_dir: Path) -> Path:
    return Path(path) if Path(path).is_absolute() else pipeline_dir / path


def pipeline_name_in_store(pipeline_dir: Path, store: StoreLocation | Path) -> str:
    """How the store names a pipeline: its path relative to the project, so that every
    checkout (and every CI job writing to a shared store) names it the same way."""
    if isinstance(store, Path):
        store = StoreLocation(root=store)
    if store.root is not None:
        project = store.root.resolve().parent
    else:
        project = default_store_root(pipeline_dir).parent
    try:
        return pipeline_dir.relative_to(project).as_posix() or "."
    except ValueError:
        return pipeline_dir.as_posix()


def _temperature(parameters: dict[str, object], lock: PipelineLock) -> float | None:
    for name in ("temperature", "judge_temperature", "TEMPERATURE"):
        value = parameters.get(name)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
    return lock.sampling.temperature


def _package_versions(lock: PipelineLock, installed: dict[str, str]) -> dict[str, str]:
    """Versions of the locked requirements where the kernel ran, and of the run's own tools."""
    from nbgraduate.runs.environment import canonical

    versions = {}
    for requirement in lock.requirements:
        versions[requirement.name] = installed.get(canonical(requirement.name), "not installed")
    for name in ("nbgraduate", "papermill", "ipykernel"):
        if name in installed:
            versions.setdefault(name, installed[name])
    return versions


def _kernel_env(environment: PipelineEnvironment | None) -> dict[str, str]:
    """What the kernel of a built environment needs to be found: its kernel spec's folder."""
    import os

    if environment is None:
        return {}
    existing = os.environ.get("JUPYTER_PATH")
    return {"JUPYTER_PATH": os.pathsep.join([environment.jupyter_path, *filter(None, [existing])])}


def git_state(directory: Path) -> tuple[str | None, bool | None]:
    """The commit checked out and whether the work tree has changes (the store is ignored)."""
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            cwd=directory,
            capture_output=True,
            text=True,
            check=True,
            timeout=10,
        ).stdout.strip()
        # The whole work tree, not just the pipeline: its datasets often live beside it.
        status = subprocess.run(
            ["git", "status", "--porcelain", "--", ":(top)", ":(exclude,top).nbgraduate"],
            cwd=directory,
            capture_output=True,
            text=True,
            check=True,
            timeout=10,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return None, None
    return commit or None, bool(status.strip())


def exit_code_for(record: RunRecord) -> int:
    """0 passed, 1 eval failed, 3 infrastructure error (2 is kept for usage and input errors)."""
    return {RunStatus.PASSED: 0, RunStatus.EVAL_FAILED: 1, RunStatus.INFRASTRUCTURE_ERROR: 3}[
        record.status
    ]


__all__ = [
    "DriftRefused",
    "RunOptions",
    "exit_code_for",
    "git_state",
    "new_run_id",
    "parse_overrides",
    "pipeline_name_in_store",
    "resolve_parameters",
    "run_pipeline",
    "typed_parameters",
]
