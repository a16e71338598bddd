"""``nbgraduate calibrate``: the command line of judge calibration (parses, calls, formats)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from nbgraduate.cli.exits import error_boundary
from nbgraduate.cli.store_option import StoreOption, store_location

__all__ = ["calibrate", "register"]


def calibrate(
    pipeline: Annotated[Path, typer.Argument(help="A graduated pipeline directory.")],
    base_url: Annotated[
        str | None,
        typer.Option(
            help="OpenAI-compatible API base URL (default: $OPENAI_BASE_URL, else "
            "https://api.openai.com/v1). The key is read from $OPENAI_API_KEY only."
        ),
    ] = None,
    concurrency: Annotated[int, typer.Option(min=1, help="Requests in flight at once.")] = 4,
    confidence: Annotated[
        float, typer.Option(help="Confidence of the drift test against the previous run.")
    ] = 0.95,
    timeout: Annotated[
        float,
        typer.Option(
            min=0.01,
            help="Seconds a request may take, from connecting to the last byte of the answer.",
        ),
    ] = 60.0,
    retries: Annotated[
        int, typer.Option(min=0, help="Retries of a request after 429, 5xx or a timeout.")
    ] = 5,
    retry_wait: Annotated[
        float,
        typer.Option(
            min=0.0,
            help="Seconds before the first retry (doubling, with jitter); Retry-After wins "
            "when longer.",
        ),
    ] = 1.0,
    write_reference: Annotated[
        bool,
        typer.Option(
            "--write-reference",
            help="Record this run's verdicts as the new reference and re-lock the pipeline.",
        ),
    ] = False,
    store: StoreOption = None,
) -> None:
    """Ask the pinned judge about the frozen calibration set and catch its drift.

    Exit codes: 0 no drift (or a new reference written), 1 drift (a significant change since
    the previous run, or a served model other than the pinned one), 2 usage or configuration
    error (including a floating judge or a prompt changed since locking), 3 the API could not
    answer (infrastructure failure).
    """
    from dataclasses import replace

    from nbgraduate.calibrate.client import DEFAULT_RETRY
    from nbgraduate.calibrate.render import render_report
    from nbgraduate.calibrate.run import CalibrationOptions, run_calibration

    options = CalibrationOptions(
        pipeline_dir=pipeline,
        base_url=base_url,
        concurrency=concurrency,
        confidence=confidence,
        timeout=timeout,
        write_reference=write_reference,
        store=store_location(store, pipeline),
        retry=replace(DEFAULT_RETRY, attempts=retries + 1, base_delay=retry_wait),
    )
    result = run_calibration(options)
    typer.echo(render_report(result, confidence=confidence), nl=False)
    raise typer.Exit(result.exit_code)


def register(app: typer.Typer) -> None:
    """Add ``calibrate`` to ``app`` (the ``nbgraduate`` application)."""
    app.command("calibrate")(error_boundary(calibrate))
