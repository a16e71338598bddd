"""The argparse parsers of ``nbgraduate lint`` and ``nbgraduate rule``: options, help, usage errors.

The one definition of both command lines; :func:`command_parser` and :func:`add_help_option`
also build the parsers of ``nbgraduate hook`` (:mod:`nbgraduate.cli.hooks`), the other commands
that run on every commit. :mod:`nbgraduate.cli.lint` reads the common ``lint``
command lines without them (:mod:`nbgraduate.cli.lint_options`, held to this parser by its
tests) and imports this module for everything else.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from nbgraduate.cli.commands import COMMAND_SUMMARIES
from nbgraduate.cli.exits import EXIT_ERROR, fail, write_stdout
from nbgraduate.cli.lint_options import LINT_OUTPUT_FORMATS, RULE_OUTPUT_FORMATS

#: ``typing.TYPE_CHECKING`` without importing typing (start-up, as in ``cli.lint``).
TYPE_CHECKING = False

if TYPE_CHECKING:
    from typing import IO

__all__ = ["PARSERS", "add_help_option", "command_parser", "parse"]


def parse(command: str, arguments: Sequence[str]) -> argparse.Namespace:
    """``arguments`` of ``nbgraduate <command>`` parsed; ``--help`` and usage errors stop with
    :class:`SystemExit`."""
    return PARSERS[command]().parse_intermixed_args(list(arguments))


# -- the parsers ---------------------------------------------------------------------------


class _Formatter(argparse.RawDescriptionHelpFormatter):
    """argparse's layout, with ``Usage:`` capitalised like every other command's help."""

    def __init__(
        self,
        prog: str,
        indent_increment: int = 2,
        max_help_position: int = 24,
        width: int | None = None,
    ) -> None:
        # argparse makes a formatter for every option it adds, and the first one imports
        # shutil (and bz2, lzma, zlib with it) for the terminal width: the same width, here.
        if width is None:
            width = _terminal_columns() - 2
        super().__init__(prog, indent_increment, max_help_position, width)

    def add_usage(self, usage, actions, groups, prefix=None):  # type: ignore[no-untyped-def]
        super().add_usage(usage, actions, groups, "Usage: " if prefix is None else prefix)


def _terminal_columns() -> int:
    """``shutil.get_terminal_size().columns``: ``COLUMNS``, else the terminal's, else 80."""
    try:
        columns = int(os.environ["COLUMNS"])
    except (KeyError, ValueError):
        columns = 0
    if columns > 0:
        return columns
    try:
        return os.get_terminal_size(sys.__stdout__.fileno()).columns or 80  # type: ignore[union-attr]
    except (AttributeError, ValueError, OSError):
        return 80


class _Parser(argparse.ArgumentParser):
    """A usage error is the usage line and one ``error:`` line, exit code 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        raise fail(message, EXIT_ERROR)

    def _print_message(self, message: str, file: IO[str] | None = None) -> None:
        # argparse drops a write error silently (``--help > /dev/full`` would exit 0 having
        # printed nothing): help on standard output goes through the one writer that says so.
        if message and file is sys.stdout:
            write_stdout(message)
            return
        super()._print_message(message, file)


def command_parser(
    command: str, usage: str, description: str
) -> tuple[argparse.ArgumentParser, argparse._ArgumentGroup]:
    """A parser laid out like every other command's help (``Usage:``, ``Arguments``,
    ``Options``) whose usage errors are the usage line and one ``error:`` line, exit 2."""
    parser = _Parser(
        prog=f"nbgraduate {command}",
        usage=f"nbgraduate {command} {usage}",
        description=description,
        formatter_class=_Formatter,
        add_help=False,
        allow_abbrev=False,
    )
    parser._positionals.title = "Arguments"
    options = parser.add_argument_group("Options")
    return parser, options


def add_help_option(options: argparse._ArgumentGroup) -> None:
    options.add_argument("--help", action="help", help="Show this message and exit.")


def _at_least_one(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an integer") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{value} is below 1")
    return value


def _lint_parser() -> argparse.ArgumentParser:
    parser, options = command_parser(
        "lint",
        "[OPTIONS] [PATH]...",
        f"{COMMAND_SUMMARIES['lint']} Never executes the notebook.\n\n"
        "Exit codes: 0 clean, 1 findings, 2 usage/config error or unreadable input.",
    )
    parser.add_argument(
        "paths",
        nargs="*",
        type=Path,
        metavar="PATH",
        help="Notebooks, scripts or directories (default: .).",
    )
    options.add_argument(
        "--output-format",
        choices=LINT_OUTPUT_FORMATS,
        default="concise",
        help="How to print findings (default: concise).",
    )
    options.add_argument(
        "-o",
        "--output-file",
        type=Path,
        metavar="PATH",
        help="Write the report here instead of stdout.",
    )
    options.add_argument(
        "--select",
        action="append",
        metavar="CODES",
        help="Rule codes or prefixes to enable (e.g. NBG1,NBG201).",
    )
    options.add_argument(
        "--extend-select",
        action="append",
        metavar="CODES",
        help="Codes to enable on top of the configured selection.",
    )
    options.add_argument(
        "--ignore", action="append", metavar="CODES", help="Rule codes or prefixes to disable."
    )
    options.add_argument(
        "--statistics",
        action=argparse.BooleanOptionalAction,
        default=False,
        help="Show counts per rule instead of each finding.",
    )
    options.add_argument(
        "--exit-zero",
        action=argparse.BooleanOptionalAction,
        default=False,
        help="Exit 0 even when there are findings.",
    )
    options.add_argument(
        "--force-exclude",
        action=argparse.BooleanOptionalAction,
        default=False,
        help="Apply excludes to files passed explicitly (for pre-commit).",
    )
    options.add_argument(
        "--config",
        type=Path,
        metavar="PATH",
        help="Use this pyproject.toml instead of searching upwards.",
    )
    options.add_argument(
        "--baseline",
        type=Path,
        metavar="PATH",
        help="Report only findings not recorded in this baseline file"
        " (default: `baseline` in [tool.nbgraduate]).",
    )
    options.add_argument(
        "--write-baseline",
        type=Path,
        metavar="PATH",
        help="Record today's findings in this baseline file.",
    )
    options.add_argument(
        "--jobs",
        type=_at_least_one,
        metavar="N",
        help="Worker processes (default: one per CPU).",
    )
    options.add_argument(
        "--no-cache",
        action="store_true",
        help="Neither read nor write the result cache (.nbgraduate/cache, or"
        " NBGRADUATE_CACHE_DIR); NBGRADUATE_NO_CACHE=1 does the same.",
    )
    add_help_option(options)
    return parser


def _rule_parser() -> argparse.ArgumentParser:
    parser, options = command_parser("rule", "[OPTIONS] [CODE]", COMMAND_SUMMARIES["rule"])
    parser.add_argument("code", nargs="?", metavar="CODE", help="A rule code such as NBG101.")
    options.add_argument("--all", dest="all_rules", action="store_true", help="Show every rule.")
    options.add_argument(
        "--output-format",
        choices=RULE_OUTPUT_FORMATS,
        default="text",
        help="How to print the rules (default: text).",
    )
    add_help_option(options)
    return parser


#: Each command's parser.
PARSERS: dict[str, Callable[[], argparse.ArgumentParser]] = {
    "lint": _lint_parser,
    "rule": _rule_parser,
}
