"""The typer application: the root options and one module per command group.

Each command module imports only typer and the standard library at module level and the
layer that does its work inside the command, so ``nbgraduate lint`` never pays for the
imports of ``run`` or ``gate``.
"""

from __future__ import annotations

from typing import Annotated

import typer

from nbgraduate import __version__
from nbgraduate.cli import calibrate, comment, convert, gate, hooks, init, lint, report, runs

__all__ = ["app"]


app = typer.Typer(
    name="nbgraduate",
    help="Graduate LLM eval notebooks into reproducible eval-as-code.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
)


def _print_version(value: bool) -> None:
    if value:
        typer.echo(f"nbgraduate {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_print_version, is_eager=True, help="Show the version and exit."
        ),
    ] = False,
) -> None:
    """Graduate LLM eval notebooks into reproducible eval-as-code."""


for _group in (lint, convert, runs, gate, report, comment, calibrate, init, hooks):
    _group.register(app)
