"""``nbgraduate report``: the pipelines' offline HTML dashboard."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from nbgraduate.cli.exits import error_boundary

__all__ = ["register"]


def register(app: typer.Typer) -> None:
    """Add ``report`` to the ``nbgraduate`` command line."""
    app.command("report")(error_boundary(report))


def report(
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="Directory for index.html (default: <store>/report)."),
    ] = None,
    store: Annotated[
        Path | None, typer.Option(help="Run store directory (default: <project>/.nbgraduate).")
    ] = None,
) -> None:
    """Build the pipelines' dashboard: a static, offline HTML page from the run store."""
    from nbgraduate.report import build_report
    from nbgraduate.runs.store import default_store_root

    store_root = store or default_store_root(Path.cwd())
    page = build_report(
        store_root,
        output or store_root / "report",
        warn=lambda line: typer.echo(f"warning: {line}", err=True),
    )
    typer.echo(f"wrote {page}")
