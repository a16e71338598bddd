"""``nbgraduate run`` and ``nbgraduate runs``: execute a pipeline and read the run store."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from nbgraduate.cli.exits import error_boundary
from nbgraduate.cli.store_option import StoreOption, store_location

__all__ = ["register"]


def register(app: typer.Typer) -> None:
    """Add ``run`` and the ``runs`` group to the ``nbgraduate`` command line."""
    app.command("run")(error_boundary(run))
    runs_app = typer.Typer(help="List, show and export recorded runs.", no_args_is_help=False)
    runs_app.callback(invoke_without_command=True)(error_boundary(runs))
    runs_app.command("show")(error_boundary(runs_show))
    runs_app.command("export")(error_boundary(runs_export))
    runs_app.command("push")(error_boundary(runs_push))
    runs_app.command("files")(error_boundary(runs_files))
    app.add_typer(runs_app, name="runs")


def run(
    pipeline: Annotated[Path, typer.Argument(help="A graduated pipeline directory.")],
    parameter: Annotated[
        list[str] | None,
        typer.Option("--parameter", "-p", help="Override a parameter: NAME=VALUE."),
    ] = None,
    repeats: Annotated[
        int, typer.Option(min=1, help="Run the notebook this many times (seeds seed, seed+1, ...).")
    ] = 1,
    workers: Annotated[int, typer.Option(min=1, help="Run repeats in this many processes.")] = 1,
    timeout: Annotated[
        float | None, typer.Option(min=0.1, help="Per-cell timeout in seconds.")
    ] = None,
    allow_drift: Annotated[
        bool,
        typer.Option(help="Run despite drift from the lock (the record says: not reproducible)."),
    ] = False,
    store: StoreOption = None,
    no_snapshot: Annotated[
        bool,
        typer.Option(
            "--no-snapshot",
            help="Keep no copy of the local datasets in the run store (the record says so;"
            " `nbgraduate reproduce` then needs the same bytes at the commit).",
        ),
    ] = False,
    use_env: Annotated[
        bool,
        typer.Option("--env", help="Run in the environment `nbgraduate env` built for it."),
    ] = False,
    cluster: Annotated[
        str | None,
        typer.Option(
            "--cluster",
            metavar="tcp://HOST:PORT|local:N",
            help=(
                "Run the tasks on a Dask cluster: a scheduler's address, or local:N to start"
                " a LocalCluster of N workers (default: $NBGRADUATE_CLUSTER, else"
                " [tool.nbgraduate] cluster, else the local process pool)."
            ),
        ),
    ] = None,
    shards: Annotated[
        int,
        typer.Option(
            min=1,
            help=(
                "Split each repeat's examples across this many tasks (the notebook picks its"
                " part with nbgraduate.shard)."
            ),
        ),
    ] = 1,
    ship_limit: Annotated[
        str | None,
        typer.Option(
            "--ship-limit",
            metavar="SIZE",
            help=(
                "Datasets up to this size travel with each cluster task; larger ones are read"
                " where the worker sees them and checked by sha256 there (default 16MB)."
            ),
        ),
    ] = None,
) -> None:
    """Verify the lock and the kernel's environment, execute the pipeline through papermill,
    and record the run.

    Each local dataset is kept in the run store by its sha256 (once per content, up to
    [tool.nbgraduate] snapshot-max-mb, default 100 MB per file), so the run can be reproduced
    after the file is edited in place.

    Exit codes: 0 passed, 1 the eval failed, 2 usage/input error or drift, 3 infrastructure error.
    """
    # The kernel boots (~0.5 s) while the lock and record models are imported and the lock is
    # verified, instead of after; only a single worker runs repeat 0 in this process.
    from nbgraduate.runs.settings import resolve_cluster, resolve_ship_limit
    from nbgraduate.runs.warm_kernel import start_warm_kernel

    location = store_location(store, pipeline)
    cluster_address = resolve_cluster(cluster, pipeline)
    if cluster_address is not None:
        from nbgraduate.runs.cluster import check_cluster_address

        check_cluster_address(cluster_address)
    limit = resolve_ship_limit(ship_limit, pipeline)
    local_single = workers == 1 and shards == 1 and cluster_address is None
    warm = start_warm_kernel(pipeline, location) if local_single and not use_env else None
    from nbgraduate.cli.progress import ProgressLine
    from nbgraduate.runs.run import RunOptions, exit_code_for, parse_overrides, run_pipeline

    progress = ProgressLine()
    try:
        options = RunOptions(
            pipeline_dir=pipeline,
            overrides=parse_overrides(parameter or []),
            repeats=repeats,
            workers=workers,
            timeout=timeout,
            allow_drift=allow_drift,
            store=location,
            snapshot=not no_snapshot,
            use_env=use_env,
            cluster=cluster_address,
            shards=shards,
            ship_limit=limit,
            # Counting running tasks costs a scheduler call a second: only for a terminal.
            progress=progress if progress.enabled else None,
        )
        record = run_pipeline(options, warm)
        warm = None  # run_pipeline owns it now
    finally:
        progress.close()
        if warm is not None:
            warm.shutdown(remove_output=True)
    typer.echo(_run_summary(record))
    raise typer.Exit(exit_code_for(record))


def _run_summary(record) -> str:
    where = ""
    if record.shards > 1:
        where += f", {record.shards} shards each"
    if record.cluster is not None:
        workers = sorted({task.worker for task in record.tasks if task.worker})
        where += f", on {record.cluster} ({len(workers)} worker{'s' if len(workers) != 1 else ''})"
    lines = [
        f"run {record.run_id}: {record.status.value} in {record.duration_s:.1f}s "
        f"({len(record.repeats)} repeat{'s' if len(record.repeats) != 1 else ''}{where}, "
        f"contract {record.contract_version})"
    ]
    retried = [task for task in record.tasks if task.attempts > 1]
    for task in retried:
        lines.append(
            f"  repeat {task.repeat} shard {task.shard}: {task.attempts} attempts"
            f" (finished on {task.worker})"
        )
    if not record.reproducible:
        lines.append("  not reproducible: ran with drift from the lock")
    for drift in record.environment_drift:
        lines.append(f"  environment drift: {drift}")
    for unchecked in record.environment_unchecked:
        lines.append(f"  not checked: {unchecked}")
    if record.status_detail:
        lines.append(f"  {record.status_detail}")
    by_name: dict[str, list[float]] = {}
    for series in record.metrics:
        # A sharded run's scalars are per shard: averaged here would read as the run's value.
        name = series.name if series.shard is None else f"{series.name} (shard {series.shard})"
        by_name.setdefault(name, []).extend(series.values)
    for name, values in sorted(by_name.items()):
        mean = sum(values) / len(values)
        lines.append(f"  {name}: mean {mean:.4f} over {len(values)} values")
    return "\n".join(lines)


def runs(
    context: typer.Context,
    pipeline: Annotated[str | None, typer.Option(help="Only runs of this pipeline.")] = None,
    limit: Annotated[int, typer.Option(min=1, help="At most this many runs.")] = 20,
    store: StoreOption = None,
) -> None:
    """List recorded runs, newest first."""
    if context.invoked_subcommand is not None:
        return
    from nbgraduate.runs.store import open_store

    with open_store(store_location(store), create=False) as run_store:
        records = run_store.list(pipeline=pipeline, limit=limit)
    if not records:
        typer.echo("no runs recorded")
        return
    for record in records:
        line = (
            f"{record.run_id}  {record.kind:<11}  {record.status.value:<20}  {record.pipeline}  "
            f"{record.started_at:%Y-%m-%d %H:%M}  {record.duration_s:6.1f}s  "
            f"contract {record.contract_version}  {(record.git_commit or '-')[:8]}"
        )
        if record.reproduction is not None:
            line += f"  reproduces {record.reproduction.of}: {record.reproduction.verdict}"
        typer.echo(line)


_RUN_HELP = (
    "A run id (or a unique prefix), `latest` (the newest eval run, of --pipeline if given) or"
    " `latest@<git-ref>` (the newest at that commit), as `nbgraduate gate` takes them."
)


def runs_show(
    run_id: Annotated[str, typer.Argument(help=_RUN_HELP)],
    pipeline: Annotated[
        str | None, typer.Option(help="For `latest`: the newest run of this pipeline.")
    ] = None,
    store: StoreOption = None,
) -> None:
    """Print one run's full record as JSON; on stderr, the runs it is linked to.

    A run made by `nbgraduate reproduce` names the run it reproduces (and its record's
    `reproduction` says so too); a run that was reproduced names each reproduction and its
    verdict; a run made in CI names its workflow run.
    """
    from nbgraduate.gate.runs import resolve_run
    from nbgraduate.runs.store import open_store

    location = store_location(store)
    record = resolve_run(run_id, store=location, pipeline=pipeline).record
    typer.echo(record.model_dump_json(indent=2))
    with open_store(location, create=False) as run_store:
        reproductions = [
            other
            for other in run_store.list(pipeline=record.pipeline, kind=record.kind)
            if other.reproduction is not None and other.reproduction.of == record.run_id
        ]
    if record.reproduction is not None:
        typer.echo(
            f"reproduces: {record.reproduction.of} ({record.reproduction.verdict})", err=True
        )
    for other in reversed(reproductions):
        verdict = other.reproduction.verdict if other.reproduction is not None else "?"
        typer.echo(f"reproduced by: {other.run_id} ({verdict})", err=True)
    if record.ci is not None:
        typer.echo(f"CI run: {record.ci.url}", err=True)


def runs_export(
    run_id: Annotated[str, typer.Argument(help=_RUN_HELP)],
    output: Annotated[Path, typer.Option("--output", "-o", help="Where to write the record file.")],
    pipeline: Annotated[
        str | None, typer.Option(help="For `latest`: the newest run of this pipeline.")
    ] = None,
    store: StoreOption = None,
) -> None:
    """Write one run's record to a file another machine (or the gate) can read."""
    from nbgraduate.gate.runs import resolve_run
    from nbgraduate.runs.store import open_store

    location = store_location(store)
    resolved = resolve_run(run_id, store=location, pipeline=pipeline)
    with open_store(location, create=False) as run_store:
        record = run_store.export(resolved.record.run_id, output)
    typer.echo(f"exported {record.run_id} to {output}")


def runs_push(
    run_ids: Annotated[list[str], typer.Argument(help="Run ids (or unique prefixes) to copy.")],
    to: Annotated[
        str,
        typer.Option(
            "--to", metavar="DIR|URL", help="The store to copy into (a postgresql:// URL)."
        ),
    ],
    store: StoreOption = None,
) -> None:
    """Copy runs, with their files, into another store (idempotent: pushing twice is a no-op).

    Exit codes: 0 every run is there, 2 a run is missing here or stored there differently.
    """
    from nbgraduate.runs.push import push_runs
    from nbgraduate.runs.store import open_store

    destination_location = store_location(to)
    with (
        open_store(store_location(store), create=False) as source,
        open_store(destination_location) as destination,
    ):
        results = push_runs(source, destination, run_ids)
    for result in results:
        typer.echo(
            f"{result.run_id}: {result.outcome} ({result.files} file"
            f"{'s' if result.files != 1 else ''}) -> {destination_location.display}"
        )


def runs_files(
    run_id: Annotated[str, typer.Argument(help=_RUN_HELP)],
    name: Annotated[
        str | None, typer.Argument(help="A file of the run to write out (default: list them).")
    ] = None,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Where to write the file.")
    ] = None,
    pipeline: Annotated[
        str | None, typer.Option(help="For `latest`: the newest run of this pipeline.")
    ] = None,
    store: StoreOption = None,
) -> None:
    """List a run's stored files (executed notebooks, logs), or write one out with -o."""
    from nbgraduate.core.atomic import write_bytes_atomic
    from nbgraduate.core.errors import UsageError
    from nbgraduate.gate.runs import resolve_run
    from nbgraduate.runs.store import open_store

    location = store_location(store)
    record = resolve_run(run_id, store=location, pipeline=pipeline).record
    with open_store(location, create=False) as run_store:
        if name is None:
            for ref in run_store.artifacts(record.run_id):
                typer.echo(f"{ref.name}  {ref.size:>10}  sha256:{ref.sha256[:16]}  {ref.location}")
            return
        if output is None:
            raise UsageError("name where to write the file with -o/--output")
        data = run_store.read_artifact(record.run_id, name)
    write_bytes_atomic(output, data)
    typer.echo(f"wrote {output} ({len(data)} bytes, {name} of run {record.run_id})")
