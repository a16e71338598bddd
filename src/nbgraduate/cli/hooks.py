"""``nbgraduate hook verify|guard``: the command line of the hooks in .pre-commit-hooks.yaml.

Parsed with :mod:`argparse`, not typer, as ``lint`` is: pre-commit runs these on every commit,
and importing typer and building the application of every command costs each hook about a
tenth of a commit's budget. :func:`nbgraduate.cli.root.main` calls :func:`main` directly;
:func:`register` adds ``hook`` to the typer application as a command that hands its arguments
to the same parsers, so ``nbgraduate --help`` lists it and typer's test runner reaches it.
"""

from __future__ import annotations

import sys
from pathlib import Path
from types import SimpleNamespace

from nbgraduate.cli.exits import (
    EXIT_CLEAN,
    EXIT_ERROR,
    EXIT_FINDINGS,
    error_boundary,
    fail,
    write_stdout,
)

#: ``typing.TYPE_CHECKING`` without importing typing (start-up, as in ``cli.lint``).
TYPE_CHECKING = False

if TYPE_CHECKING:
    import argparse
    from collections.abc import Callable, Sequence

    import typer

__all__ = ["main", "register"]

_GROUP_HELP = "The checks nbgraduate's pre-commit hooks run on staged files."

_VERIFY_HELP = """\
Every graduated pipeline the staged files touch must match its nbgraduate.lock.

A pipeline is touched by a staged file in the directory holding its lock (or below it), a
staged deletion there, or a staged change to a dataset its lock records. Exit 1, with the
drift and the command that re-locks, when one does not match."""

_GUARD_HELP = """\
Under [tool.nbgraduate] eval-paths, let in only graduated pipelines, kept graduated.

Blocks (exit 1) a notebook that is not a graduated pipeline's notebook, and a pipeline notebook
with install magics, saved outputs, a parameter reassigned after the parameters cell, a model id
/ sampling value / dataset path written outside the parameters cell, or a lint finding the
configured baseline does not accept."""


def main(arguments: Sequence[str]) -> int:
    """Run ``nbgraduate hook ARGUMENTS``; the exit code (0 pass, 1 blocked, 2 usage error)."""
    arguments = list(arguments)
    if not arguments or arguments[0] == "--help":
        write_stdout(_group_help())
        return EXIT_CLEAN if arguments else EXIT_ERROR
    command, rest = arguments[0], arguments[1:]
    run = _COMMANDS.get(command)
    if run is None:
        sys.stderr.write(_GROUP_USAGE)
        raise fail(f"no such command {command!r} (commands: {', '.join(_COMMANDS)})")
    options = _staged_files_only(command, rest)
    if options is None:
        options = _PARSERS[command]().parse_intermixed_args(rest)
    return run(options)


def _staged_files_only(command: str, arguments: Sequence[str]) -> SimpleNamespace | None:
    """The options of ``nbgraduate hook COMMAND ARGUMENTS`` when every argument is a file, as
    pre-commit writes them, read as the argparse parser reads them; ``None`` for anything
    else (an option, ``--``, an empty argument), which goes to the parser. Importing argparse
    and building the parser cost each hook run about a tenth of its start-up."""
    if not all(argument and argument[0] != "-" for argument in arguments):
        return None
    options = SimpleNamespace(files=[Path(argument) for argument in arguments])
    if command == "guard":
        options.config = None
    return options


def register(app: typer.Typer) -> None:
    """Add ``hook`` to the typer application, parsed by :func:`main`."""
    import typer

    def forward(context: typer.Context) -> None:
        raise typer.Exit(main(context.args))

    forward.__annotations__ = {"context": typer.Context, "return": None}
    app.command(
        "hook",
        help=_GROUP_HELP,
        add_help_option=False,
        context_settings={"ignore_unknown_options": True, "allow_extra_args": True},
    )(forward)


# -- the commands --------------------------------------------------------------------------


@error_boundary
def verify(options: argparse.Namespace | SimpleNamespace) -> int:
    from nbgraduate.core.git import repository_root
    from nbgraduate.repo.hooks.verify import verify_touched

    report = verify_touched(options.files, root=repository_root(Path.cwd()))
    write_stdout(report.render())
    return EXIT_FINDINGS if report.blocks else EXIT_CLEAN


@error_boundary
def guard(options: argparse.Namespace | SimpleNamespace) -> int:
    from nbgraduate.repo.hooks.guard import guard as run_guard

    report = run_guard(options.files, config_file=options.config)
    if report.unconfigured:
        sys.stderr.write(
            "nbgraduate-guard: no `eval-paths` in [tool.nbgraduate]; nothing to guard"
            " (`nbgraduate init --eval-path evals/` sets it)\n"
        )
        return EXIT_CLEAN
    write_stdout(report.render())
    return EXIT_FINDINGS if report.blocks else EXIT_CLEAN


# -- the parsers ---------------------------------------------------------------------------

_GROUP_USAGE = "Usage: nbgraduate hook [OPTIONS] COMMAND [ARGS]...\n"


def _group_help() -> str:
    return (
        f"{_GROUP_USAGE}\n  {_GROUP_HELP}\n\nOptions:\n  --help  Show this message and exit.\n\n"
        "Commands:\n"
        "  verify  Every graduated pipeline the staged files touch must match its lock.\n"
        "  guard   Under [tool.nbgraduate] eval-paths, let in only graduated pipelines.\n"
    )


def _hook_parser(command: str, description: str, files_help: str) -> argparse.ArgumentParser:
    """``nbgraduate hook <command> [OPTIONS] [FILES]...``: the staged files, ``--help``, and
    for ``guard`` the configuration file."""
    from nbgraduate.cli.lint_parsers import add_help_option, command_parser

    parser, options = command_parser(f"hook {command}", "[OPTIONS] [FILES]...", description)
    parser.add_argument("files", nargs="*", type=Path, metavar="FILES", help=files_help)
    if command == "guard":
        options.add_argument(
            "--config",
            type=Path,
            metavar="PATH",
            help="Use this pyproject.toml instead of searching upwards.",
        )
    add_help_option(options)
    return parser


def _verify_parser() -> argparse.ArgumentParser:
    return _hook_parser("verify", _VERIFY_HELP, "Staged files (pre-commit passes them).")


def _guard_parser() -> argparse.ArgumentParser:
    return _hook_parser("guard", _GUARD_HELP, "Staged notebooks (pre-commit passes them).")


_COMMANDS: dict[str, Callable[[argparse.Namespace | SimpleNamespace], int]] = {
    "verify": verify,
    "guard": guard,
}
_PARSERS: dict[str, Callable[[], argparse.ArgumentParser]] = {
    "verify": _verify_parser,
    "guard": _guard_parser,
}
