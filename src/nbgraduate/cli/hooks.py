"""``nbgraduate hook verify|guard``: the command line of the hooks in .pre-commit-hooks.yaml."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from nbgraduate.cli.exits import EXIT_FINDINGS, error_boundary

__all__ = ["hook_app", "register"]


hook_app = typer.Typer(
    help="The checks nbgraduate's pre-commit hooks run on staged files.",
    no_args_is_help=True,
)


def register(app: typer.Typer) -> None:
    app.add_typer(hook_app, name="hook")


@hook_app.command("verify")
@error_boundary
def verify(
    files: Annotated[
        list[Path] | None, typer.Argument(help="Staged files (pre-commit passes them).")
    ] = None,
) -> None:
    """Every graduated pipeline the staged files touch must match its nbgraduate.lock.

    A pipeline is touched by a staged file in the directory holding its lock (or below it),
    a staged deletion there, or a staged change to a dataset its lock records. Exit 1, with
    the drift and the command that re-locks, when one does not match.
    """
    from nbgraduate.core.git import repository_root
    from nbgraduate.repo.hooks.verify import verify_touched

    report = verify_touched(files or [], root=repository_root(Path.cwd()))
    sys.stdout.write(report.render())
    if report.blocks:
        raise typer.Exit(EXIT_FINDINGS)


@hook_app.command("guard")
@error_boundary
def guard(
    files: Annotated[
        list[Path] | None, typer.Argument(help="Staged notebooks (pre-commit passes them).")
    ] = None,
    config: Annotated[
        Path | None, typer.Option(help="Use this pyproject.toml instead of searching upwards.")
    ] = None,
) -> None:
    """Under [tool.nbgraduate] eval-paths, let in only graduated pipelines, kept graduated.

    Blocks (exit 1) a notebook that is not a graduated pipeline's notebook, and a pipeline
    notebook with install magics, saved outputs, a parameter reassigned after the parameters
    cell, a model id / sampling value / dataset path written outside the parameters cell, or
    a lint finding the configured baseline does not accept.
    """
    from nbgraduate.repo.hooks.guard import guard as run_guard

    report = run_guard(files or [], config_file=config)
    if report.unconfigured:
        typer.echo(
            "nbgraduate-guard: no `eval-paths` in [tool.nbgraduate]; nothing to guard"
            " (`nbgraduate init --eval-path evals/` sets it)",
            err=True,
        )
        return
    sys.stdout.write(report.render())
    if report.blocks:
        raise typer.Exit(EXIT_FINDINGS)
