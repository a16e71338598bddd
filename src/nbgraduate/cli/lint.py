"""``nbgraduate lint`` and ``nbgraduate rule``: find what makes a notebook irreproducible.

This command group is parsed with :mod:`argparse`, not typer. ``lint`` runs on every commit
(the pre-commit hook) and on every editor save, and importing typer (click, and typer's shell
completion machinery) costs about a third of linting one notebook from a cold start.
:func:`nbgraduate.cli.main` calls :func:`main` directly for ``nbgraduate lint`` and ``nbgraduate
rule``; :func:`register` adds both to the typer application as commands that hand their
arguments to the same parser, so ``nbgraduate --help`` lists them and typer's test runner
reaches them. There is one parser per command, here.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from nbgraduate.cli.commands import COMMAND_SUMMARIES
from nbgraduate.cli.exits import EXIT_CLEAN, EXIT_ERROR, EXIT_FINDINGS, error_boundary, fail

#: ``typing.TYPE_CHECKING`` without importing typing, which costs ``nbgraduate lint`` start-up.
TYPE_CHECKING = False

if TYPE_CHECKING:
    import typer

    from nbgraduate.lint.diagnostics import LintReport
    from nbgraduate.lint.rules.base import Rule

__all__ = ["COMMANDS", "main", "register"]


LINT_OUTPUT_FORMATS = ("concise", "full", "json", "sarif", "github", "gitlab")
RULE_OUTPUT_FORMATS = ("text", "json")
#: The formats that point at lines of the ``.ipynb`` file as stored (CI annotations).
_FORMATS_WITH_FILE_LINES = frozenset({"github", "gitlab", "sarif"})


def main(command: str, arguments: Sequence[str]) -> int:
    """Parse ``arguments`` of ``nbgraduate <command>`` (``lint`` or ``rule``) and run it.

    Returns the exit code; ``--help`` and usage errors stop with :class:`SystemExit`, as
    an :class:`~nbgraduate.core.errors.NbgraduateError` does through the error boundary.
    """
    build, run = COMMANDS[command]
    options = build().parse_intermixed_args(list(arguments))
    return run(options)


def register(app: typer.Typer) -> None:
    """Add ``lint`` and ``rule`` to the typer application, parsed by :func:`main`."""
    for name in COMMANDS:
        app.command(
            name,
            help=COMMAND_SUMMARIES[name],
            add_help_option=False,
            context_settings={"ignore_unknown_options": True, "allow_extra_args": True},
        )(_forwarding(name))


def _forwarding(command: str) -> Callable[..., None]:
    import typer

    def forward(context: typer.Context) -> None:
        raise typer.Exit(main(command, context.args))

    # Typer reads the signature; this module's annotations are strings naming a typer that
    # is imported here only, so give it the objects.
    forward.__annotations__ = {"context": typer.Context, "return": None}
    return forward


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


def _parser(command: str, usage: str, description: str) -> tuple[_Parser, argparse._ArgumentGroup]:
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


def _help(options: argparse._ArgumentGroup) -> None:
    options.add_argument("--help", action="help", help="Show this message and exit.")


def _at_least_one(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an integer") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{value} is below 1")
    return value


def _lint_parser() -> _Parser:
    parser, options = _parser(
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
    _help(options)
    return parser


def _rule_parser() -> _Parser:
    parser, options = _parser("rule", "[OPTIONS] [CODE]", COMMAND_SUMMARIES["rule"])
    parser.add_argument("code", nargs="?", metavar="CODE", help="A rule code such as NBG101.")
    options.add_argument("--all", dest="all_rules", action="store_true", help="Show every rule.")
    options.add_argument(
        "--output-format",
        choices=RULE_OUTPUT_FORMATS,
        default="text",
        help="How to print the rules (default: text).",
    )
    _help(options)
    return parser


# -- the commands --------------------------------------------------------------------------


def _split_codes(values: list[str] | None) -> list[str] | None:
    if values is None:
        return None
    return [code.strip() for value in values for code in value.split(",") if code.strip()]


@error_boundary
def lint(options: argparse.Namespace) -> int:
    """Lint the paths; the exit code (0 clean, 1 findings, 2 usage/config/unreadable input)."""
    from nbgraduate.lint.cache import cache_disabled_by_environment
    from nbgraduate.lint.runner import LintRequest, run_lint

    _tune_garbage_collection()

    request = LintRequest(
        paths=options.paths or [Path(".")],
        select=_split_codes(options.select),
        ignore=_split_codes(options.ignore),
        extend_select=_split_codes(options.extend_select),
        config_file=options.config,
        force_exclude=options.force_exclude,
        jobs=options.jobs,
        file_positions=options.output_format in _FORMATS_WITH_FILE_LINES,
        cache=not (options.no_cache or cache_disabled_by_environment()),
    )
    report = run_lint(request)
    if options.write_baseline is not None:
        from nbgraduate.lint.baseline import write_baseline

        target: Path = options.write_baseline
        written = write_baseline(target, report.diagnostics, target.resolve().parent)
        _report_input_errors(report)
        count = sum(entry.count for entry in written.entries)
        sys.stdout.write(f"Wrote {count} findings to {target}\n")
        return EXIT_ERROR if report.errors else EXIT_CLEAN
    baseline: Path | None = options.baseline
    if baseline is None:
        from nbgraduate.lint.runner import configured_baseline

        baseline = configured_baseline(options.config)
    if baseline is not None:
        from nbgraduate.lint.baseline import load_baseline

        recorded = load_baseline(baseline)
        report.diagnostics = recorded.filter_new(report.diagnostics, baseline.resolve().parent)

    from nbgraduate.lint.output import render

    rules: Sequence[type[Rule]] = ()
    if options.output_format == "sarif":
        # Only SARIF describes the rules; a run served from the cache need not import them.
        from nbgraduate.lint.rules import ALL_RULES as rules

    text = render(report, options.output_format, rules=rules, statistics=options.statistics)
    if options.output_file is not None:
        from nbgraduate.core.atomic import write_bytes_atomic

        try:
            # Atomic, so a reader never sees half a report, but not fsynced: a report lost in a
            # crash is written again by running lint again, and the fsyncs cost more than a run
            # answered by the cache.
            write_bytes_atomic(options.output_file, text.encode("utf-8"), durable=False)
        except OSError as error:
            raise fail(
                f"{options.output_file}: cannot write report: {error.strerror or error}"
            ) from None
    else:
        sys.stdout.write(text)
    _report_input_errors(report)
    if report.errors:
        return EXIT_ERROR
    if report.diagnostics and not options.exit_zero:
        return EXIT_FINDINGS
    return EXIT_CLEAN


def _tune_garbage_collection() -> None:
    """Linting builds millions of short-lived AST nodes and almost no reference cycles, so with
    the default threshold (a collection every 700 allocations) the collector ran thousands of
    times per large notebook and took a third of its time. The modules imported so far never
    become garbage (``freeze``), and collections come 100x less often; forked workers inherit
    both."""
    import gc

    gc.freeze()
    gc.set_threshold(100_000, 50, 1000)


def _report_input_errors(report: LintReport) -> None:
    from nbgraduate.cli.exits import error_line

    for error in report.errors:
        error_line(f"{error.path}: {error.reason}")


@error_boundary
def rule(options: argparse.Namespace) -> int:
    """Print one rule's documentation (or every rule's), as Markdown or JSON."""
    from nbgraduate.lint.rules import ALL_RULES, RULES_BY_CODE

    code: str | None = options.code
    if options.all_rules == (code is not None):
        raise fail("give either a rule code or --all")
    if code is not None:
        selected = RULES_BY_CODE.get(code.upper())
        if selected is None:
            raise fail(f"unknown rule code {code!r}; see `nbgraduate rule --all`")
        rules = [selected]
    else:
        rules = list(ALL_RULES)
    if options.output_format == "json":
        import json

        payload = [
            {
                "code": r.code,
                "name": r.name,
                "summary": r.summary,
                "severity": r.severity.value,
                "url": r.url(),
                "explanation": r.documentation(),
            }
            for r in rules
        ]
        sys.stdout.write(json.dumps(payload[0] if code is not None else payload, indent=2) + "\n")
        return EXIT_CLEAN
    sys.stdout.write("\n".join(r.documentation() for r in rules))
    return EXIT_CLEAN


#: Each command of the group: its parser and what runs it.
COMMANDS: dict[str, tuple[Callable[[], _Parser], Callable[[argparse.Namespace], int]]] = {
    "lint": (_lint_parser, lint),
    "rule": (_rule_parser, rule),
}
