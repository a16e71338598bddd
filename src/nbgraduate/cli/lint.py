"""``nbgraduate lint`` and ``nbgraduate rule``: find what makes a notebook irreproducible.

This command group is parsed with :mod:`argparse`, not typer. ``lint`` runs on every commit
(the pre-commit hook) and on every editor save, and importing typer (click, and typer's shell
completion machinery) costs about a third of linting one notebook from a cold start.
:func:`nbgraduate.cli.main` calls :func:`main` directly for ``nbgraduate lint`` and ``nbgraduate
rule``; :func:`register` adds both to the typer application as commands that hand their
arguments to the same parser, so ``nbgraduate --help`` lists them and typer's test runner
reaches them. There is one parser per command, in :mod:`nbgraduate.cli.lint_parsers`; the
common ``lint`` command lines are read without it (:mod:`nbgraduate.cli.lint_options`).
"""

from __future__ import annotations

import sys
from pathlib import Path

from nbgraduate.cli.commands import COMMAND_SUMMARIES
from nbgraduate.cli.exits import (
    EXIT_CLEAN,
    EXIT_ERROR,
    EXIT_FINDINGS,
    error_boundary,
    fail,
    write_stdout,
)
from nbgraduate.cli.lint_options import common_lint_options
from nbgraduate.core import regex_cache

#: ``typing.TYPE_CHECKING`` without importing typing, which costs ``nbgraduate lint`` start-up.
TYPE_CHECKING = False

if TYPE_CHECKING:
    from argparse import Namespace
    from collections.abc import Callable, Sequence
    from types import SimpleNamespace

    import typer

    from nbgraduate.lint.diagnostics import LintReport
    from nbgraduate.lint.rules.base import Rule

__all__ = ["COMMANDS", "main", "register"]


#: The formats that point at lines of the ``.ipynb`` file as stored (CI annotations).
_FORMATS_WITH_FILE_LINES = frozenset({"github", "gitlab", "sarif"})


def main(command: str, arguments: Sequence[str]) -> int:
    """Parse ``arguments`` of ``nbgraduate <command>`` (``lint`` or ``rule``) and run it.

    Returns the exit code; ``--help`` and usage errors stop with :class:`SystemExit`, as
    an :class:`~nbgraduate.core.errors.NbgraduateError` does through the error boundary.
    """
    run = COMMANDS[command]
    # The command lines pre-commit and editors run are read without argparse, whose import and
    # parser cost a run answered by the cache about a tenth of its time; anything else (help,
    # errors, every unusual form) goes to the parser, which stays the one definition.
    options = common_lint_options(arguments) if command == "lint" else None
    if options is None:
        from nbgraduate.cli.lint_parsers import parse

        options = parse(command, arguments)
    try:
        return run(options)
    finally:
        # Patterns compiled for the first time are kept for the next run here, once lint is
        # done compiling, rather than left to an exit handler.
        regex_cache.save()


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


# -- the commands --------------------------------------------------------------------------


def _split_codes(values: list[str] | None) -> list[str] | None:
    if values is None:
        return None
    return [code.strip() for value in values for code in value.split(",") if code.strip()]


@error_boundary
def lint(options: Namespace | SimpleNamespace) -> int:
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
        write_stdout(text, what="the report")
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
def rule(options: Namespace | SimpleNamespace) -> int:
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
        write_stdout(json.dumps(payload[0] if code is not None else payload, indent=2) + "\n")
        return EXIT_CLEAN
    write_stdout("\n".join(r.documentation() for r in rules))
    return EXIT_CLEAN


#: Each command of the group and what runs it (its parser: ``lint_parsers.PARSERS``).
COMMANDS: dict[str, Callable[[Namespace | SimpleNamespace], int]] = {"lint": lint, "rule": rule}
