"""``nbgraduate report``: the pipelines' offline HTML dashboard."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from nbgraduate.cli.exits import error_boundary
from nbgraduate.cli.store_option import StoreOption, store_location

__all__ = ["register"]


def register(app: typer.Typer) -> None:
    """Add ``report`` to the ``nbgraduate`` command line."""
    app.command("report")(error_boundary(report))


def report(
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            help="Directory for index.html (default: report/ in the store directory, or in"
            " <project>/.nbgraduate for a database store).",
        ),
    ] = None,
    store: StoreOption = None,
) -> None:
    """Build the pipelines' dashboard: a static, offline HTML page from the run store."""
    from nbgraduate.report import build_report
    from nbgraduate.runs.layout import default_store_root

    location = store_location(store)
    beside = location.root if location.root is not None else default_store_root(Path.cwd())
    page = build_report(
        location,
        output or beside / "report",
        warn=lambda line: typer.echo(f"warning: {line}", err=True),
    )
    typer.echo(f"wrote {page}")
