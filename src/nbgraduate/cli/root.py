"""The root of the command line, without typer: ``--version``, ``--help``, and the dispatch.

``nbgraduate lint`` runs on every commit and every editor save, so its start-up is kept to
the interpreter, argparse and the linter: ``lint`` and ``rule`` go straight to their argparse
parser (:mod:`nbgraduate.cli.lint`), the pre-commit hooks' ``hook`` to theirs
(:mod:`nbgraduate.cli.hooks`), and ``--version`` and ``--help`` are answered here. Every
other command goes to the typer application (:mod:`nbgraduate.cli.app`). The command list
that ``--help`` prints is :data:`nbgraduate.cli.commands.COMMAND_SUMMARIES`; the typer
application takes its short help from the same table, so both print the same listing.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from nbgraduate.cli.commands import COMMAND_SUMMARIES, ROOT_SUMMARY
from nbgraduate.cli.exits import StdoutGuard, write_stdout

__all__ = ["main", "root_help"]

#: The commands parsed by argparse in :mod:`nbgraduate.cli.lint` (``hook`` is parsed by
#: argparse too, in :mod:`nbgraduate.cli.hooks`).
_ARGPARSE_COMMANDS = frozenset({"lint", "rule"})


def main(arguments: Sequence[str]) -> None:
    """Run ``nbgraduate`` with ``arguments`` (without the program name); exits the process."""
    if list(arguments) == ["--version"]:
        from nbgraduate import __version__

        write_stdout(f"nbgraduate {__version__}\n")
        return
    if list(arguments) == ["--help"]:
        write_stdout(root_help())
        return
    if arguments and arguments[0] in _ARGPARSE_COMMANDS:
        from nbgraduate.cli import lint

        _leave(lint.main(arguments[0], arguments[1:]))
    if arguments and arguments[0] == "hook":
        from nbgraduate.cli import hooks

        _leave(hooks.main(arguments[1:]))
    from nbgraduate.cli.app import app

    with StdoutGuard():
        app(args=list(arguments), prog_name="nbgraduate")


def _leave(code: int) -> None:
    """End the process with ``code`` once the output is flushed, skipping the interpreter's
    tear-down: clearing every module and collecting the heap costs a lint run about 5 ms (a
    twentieth of linting one notebook) and changes nothing on disk. ``lint`` and ``rule``
    register no exit handlers and close what they open. The ordinary exit is taken when
    something else registered one (coverage measuring the test-suite's subprocesses saves its
    data there) or when a flush fails (a closed pipe), which Python then reports as always."""
    import atexit

    handlers = getattr(atexit, "_ncallbacks", None)
    if handlers is None or handlers():
        sys.exit(code)
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except (OSError, ValueError):
        sys.exit(code)
    import os

    os._exit(code)


def root_help() -> str:
    """``nbgraduate --help``, laid out as click lays out the typer application's help."""
    options = [
        ("--version", "Show the version and exit."),
        ("--help", "Show this message and exit."),
    ]
    lines = [
        "Usage: nbgraduate [OPTIONS] COMMAND [ARGS]...",
        "",
        f"  {ROOT_SUMMARY}",
        "",
        "Options:",
        *_rows(options),
        "",
        "Commands:",
        *_rows(list(COMMAND_SUMMARIES.items())),
    ]
    return "\n".join(lines) + "\n"


def _rows(rows: list[tuple[str, str]]) -> list[str]:
    width = max(len(name) for name, _ in rows)
    return [f"  {name:<{width}}  {text}" for name, text in rows]
