"""The typer application: the root options and one module per command group.

Each command module imports only typer and the standard library at module level and the
layer that does its work inside the command, so ``nbgraduate run`` never pays for the
imports of ``gate``. ``nbgraduate lint``, ``--version`` and ``--help`` do not come here at
all (:mod:`nbgraduate.cli.root`); the listing of commands is ``commands.COMMAND_SUMMARIES``.
"""

from __future__ import annotations

from typing import Annotated

import typer

from nbgraduate import __version__
from nbgraduate.cli import (
    calibrate,
    comment,
    convert,
    env,
    gate,
    gc,
    hooks,
    init,
    lint,
    report,
    reproduce,
    runs,
)
from nbgraduate.cli.commands import COMMAND_SUMMARIES, ROOT_SUMMARY

__all__ = ["app"]


app = typer.Typer(
    name="nbgraduate",
    help=ROOT_SUMMARY,
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


def _use_listed_summaries(application: typer.Typer) -> None:
    """Every command's line in ``nbgraduate --help`` is its entry in ``COMMAND_SUMMARIES``
    (``--help`` prints that table without typer); a command missing there fails here."""
    for info in [*application.registered_commands, *application.registered_groups]:
        name = info.name
        if not isinstance(name, str) or name not in COMMAND_SUMMARIES:
            raise RuntimeError(f"command {name!r} has no line in cli.commands.COMMAND_SUMMARIES")
        info.short_help = COMMAND_SUMMARIES[name]


for _group in (
    lint,
    convert,
    env,
    runs,
    gate,
    reproduce,
    report,
    comment,
    calibrate,
    gc,
    init,
    hooks,
):
    _group.register(app)
_use_listed_summaries(app)
