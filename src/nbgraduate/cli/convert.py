"""``nbgraduate convert``, ``lock`` and ``verify``: graduate a notebook and keep its lock true."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from nbgraduate.cli.exits import EXIT_ERROR, EXIT_FINDINGS, error_boundary

__all__ = ["register"]


def register(app: typer.Typer) -> None:
    """Add ``convert``, ``lock`` and ``verify`` to the ``nbgraduate`` command line."""
    app.command("convert")(error_boundary(convert))
    app.command("lock")(error_boundary(lock))
    app.command("verify")(error_boundary(verify))


class ReportFormat(str, Enum):
    text = "text"
    json = "json"


def convert(
    notebooks: Annotated[
        list[Path], typer.Argument(help="Notebooks or directories of notebooks to graduate.")
    ],
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            help="Pipeline directory (one notebook) or parent directory (several).",
        ),
    ] = None,
    pin: Annotated[
        list[str] | None,
        typer.Option(help="Replace a floating model alias: ALIAS=SNAPSHOT (repeatable)."),
    ] = None,
    force: Annotated[bool, typer.Option(help="Replace an existing pipeline directory.")] = False,
    move_source: Annotated[
        bool,
        typer.Option(
            help="Move each notebook into its pipeline as legacy/<name>.ipynb (a rename git"
            " follows; lint and the guard hook skip legacy/)."
        ),
    ] = False,
) -> None:
    """Graduate legacy notebooks into parameterised papermill pipelines with a locked manifest.

    Exit codes: 0 converted, 1 converted but something needs a human, 2 refused or bad input.
    """
    from nbgraduate.graduate.batch import convert_paths, render_summary
    from nbgraduate.graduate.convert import ConversionOptions, normalise_pin, render_report

    pins = dict(normalise_pin(text) for text in pin or [])
    results = convert_paths(
        notebooks,
        ConversionOptions(output_dir=output, pins=pins, force=force, move_source=move_source),
    )
    from nbgraduate.knowledge.secrets import redact

    for result in results:
        if result.status == "refused":
            typer.echo(redact(f"error: {result.source}: cannot convert: {result.reason}"), err=True)
    if len(results) == 1 and results[0].status != "refused":
        typer.echo(render_report(results[0]), nl=False)
    elif len(results) > 1:
        typer.echo(render_summary(results), nl=False)
    statuses = {result.status for result in results}
    if "refused" in statuses or not results:
        raise typer.Exit(EXIT_ERROR)
    if "needs-human" in statuses:
        raise typer.Exit(EXIT_FINDINGS)


def lock(
    pipeline: Annotated[Path, typer.Argument(help="A graduated pipeline directory.")],
    allow_floating: Annotated[
        bool, typer.Option(help="Lock even if a model id floats (recorded as floating).")
    ] = False,
) -> None:
    """(Re)compute nbgraduate.lock; a changed eval contract bumps its version and changelog."""
    from nbgraduate.lock.locking import lock_pipeline

    outcome = lock_pipeline(pipeline, allow_floating=allow_floating)
    from nbgraduate.lint.pipeline_baseline import record_pipeline_baseline
    from nbgraduate.lock.builder import find_pipeline_notebook

    # Locking is how a human accepts the pipeline as it is: the guard's baseline follows.
    record_pipeline_baseline(find_pipeline_notebook(pipeline))
    for problem in outcome.problems:
        typer.echo(f"warning: {pipeline}: {problem}", err=True)
    previous = outcome.previous
    version = outcome.lock.contract_version
    if previous is None:
        typer.echo(f"Locked {pipeline}: eval contract {version}")
    elif not outcome.written:
        typer.echo(f"{pipeline}: lock is up to date (eval contract {version})")
    else:
        bumped = (
            f"{previous.contract_version} -> {version}"
            if version != previous.contract_version
            else version
        )
        typer.echo(f"Re-locked {pipeline}: eval contract {bumped}")
        for change in outcome.changes:
            typer.echo(f"  - {change}")
    for model in outcome.lock.models:
        if not model.pinned:
            typer.echo(
                f"warning: {model.role} model {model.model_id} floats (--allow-floating)", err=True
            )


def verify(
    pipeline: Annotated[Path, typer.Argument(help="A graduated pipeline directory.")],
    output_format: Annotated[ReportFormat, typer.Option("--output-format")] = ReportFormat.text,
) -> None:
    """Check that the working tree matches nbgraduate.lock. Exit 0 when it does, 1 on drift."""
    from nbgraduate.lock.drift import reading_differences, render_drift
    from nbgraduate.lock.locking import verify_pipeline

    locked, current, drifts = verify_pipeline(pipeline)
    typer.echo(
        render_drift(drifts, pipeline=str(pipeline), output_format=output_format.value), nl=False
    )
    for difference in reading_differences(locked, current.lock):
        typer.echo(
            f"note: {pipeline}: the unchanged notebook now reads as {difference.message}"
            f" (lock written by nbgraduate {locked.nbgraduate_version}); `nbgraduate lock`"
            " records it without changing the eval contract",
            err=True,
        )
    if drifts:
        raise typer.Exit(EXIT_FINDINGS)
