"""``nbgraduate reproduce``: re-run a recorded run from its commit and say whether it holds."""

from __future__ import annotations

from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from nbgraduate.cli.exits import error_boundary

__all__ = ["register"]


class ReproduceOutputFormat(str, Enum):
    text = "text"
    json = "json"


def register(app: typer.Typer) -> None:
    """Add ``reproduce`` to the ``nbgraduate`` command line."""
    app.command("reproduce")(error_boundary(reproduce))


def reproduce(
    run: Annotated[
        str,
        typer.Argument(
            metavar="RUN",
            help="A run id or unique prefix, 'latest', 'latest@<git-ref>', or a record file"
            " from 'nbgraduate runs export'.",
        ),
    ],
    repeats: Annotated[
        int | None,
        typer.Option(
            "--repeats", metavar="N", min=1, help="Repeats to run (default: the original's)."
        ),
    ] = None,
    margin: Annotated[
        float,
        typer.Option(
            "--margin",
            metavar="X",
            help="How far the reproduction may be from the original, in the metric's own"
            " units, to count as within variation (0.05 = five points of accuracy).",
        ),
    ] = 0.05,
    confidence: Annotated[
        float,
        typer.Option(
            "--confidence", metavar="Y", help="Confidence of the equivalence test (0.5 to 1)."
        ),
    ] = 0.95,
    allow_dirty: Annotated[
        bool,
        typer.Option(
            "--allow-dirty",
            help="Reproduce a run made from a work tree with uncommitted changes, from its"
            " commit (what ran may differ).",
        ),
    ] = False,
    pipeline: Annotated[
        str | None,
        typer.Option("--pipeline", metavar="NAME", help="Pipeline for 'latest' (default: any)."),
    ] = None,
    workers: Annotated[int, typer.Option(min=1, help="Run repeats in this many processes.")] = 1,
    timeout: Annotated[
        float | None, typer.Option(min=0.1, help="Per-cell timeout in seconds.")
    ] = None,
    output_format: Annotated[
        ReproduceOutputFormat, typer.Option("--output-format", help="How to print the report.")
    ] = ReproduceOutputFormat.text,
    store: Annotated[
        Path | None,
        typer.Option(help="Run store directory (default: <project>/.nbgraduate)."),
    ] = None,
) -> None:
    """Re-run a recorded run from its commit and say whether its number holds.

    The record's commit is checked out into a temporary git worktree (your work tree is never
    touched); each dataset is restored byte for byte from the run store's snapshot (or
    verified at the commit); the environment is compared with the recorded package versions;
    the pipeline runs with the recorded parameters, seeds and repeats, and the new run is
    recorded, linked to the original. Then, per example:

    \b
    identical         every value as recorded
    within variation  the original was repeated and a paired equivalence test
                      (two one-sided tests at --confidence) puts every metric
                      within +-margin of it
    diverged          anything else, listing the examples that changed; with a
                      single repeat in the original only identical counts

    \b
    Exit codes:
      0  reproduced (identical, or within variation)
      1  diverged
      2  usage error (a bad option, a run not found)
      3  infrastructure error (the reproduction's kernel died, git failed)
      4  cannot reproduce (refused, with the reason: a deleted snapshot, a dirty
         original, an unpinned remote dataset, a commit not in this repository)
    """
    from nbgraduate.reproduce import ReproduceOptions, render
    from nbgraduate.reproduce import reproduce as run_reproduction

    report = run_reproduction(
        ReproduceOptions(
            run=run,
            repeats=repeats,
            margin=margin,
            confidence=confidence,
            allow_dirty=allow_dirty,
            pipeline=pipeline,
            store_root=store,
            workers=workers,
            timeout=timeout,
        )
    )
    typer.echo(render(report, output_format.value), nl=False)
    raise typer.Exit(report.exit_code)
