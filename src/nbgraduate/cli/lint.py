"""``nbgraduate lint`` and ``nbgraduate rule``: find what makes a notebook irreproducible."""

from __future__ import annotations

import sys
from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from nbgraduate.cli.exits import EXIT_CLEAN, EXIT_ERROR, EXIT_FINDINGS, error_boundary, fail

__all__ = ["register"]


def register(app: typer.Typer) -> None:
    """Add ``lint`` and ``rule`` to the ``nbgraduate`` command line."""
    app.command("lint")(error_boundary(lint))
    app.command("rule")(error_boundary(rule))


class LintOutputFormat(str, Enum):
    concise = "concise"
    full = "full"
    json = "json"
    sarif = "sarif"
    github = "github"
    gitlab = "gitlab"


class RuleOutputFormat(str, Enum):
    text = "text"
    json = "json"


def _split_codes(values: list[str] | None) -> list[str] | None:
    if values is None:
        return None
    return [code.strip() for value in values for code in value.split(",") if code.strip()]


def lint(
    paths: Annotated[
        list[Path] | None, typer.Argument(help="Notebooks, scripts or directories (default: .).")
    ] = None,
    output_format: Annotated[
        LintOutputFormat, typer.Option("--output-format", help="How to print findings.")
    ] = LintOutputFormat.concise,
    output_file: Annotated[
        Path | None,
        typer.Option("--output-file", "-o", help="Write the report here instead of stdout."),
    ] = None,
    select: Annotated[
        list[str] | None,
        typer.Option(help="Rule codes or prefixes to enable (e.g. NBG1,NBG201)."),
    ] = None,
    extend_select: Annotated[
        list[str] | None,
        typer.Option(help="Codes to enable on top of the configured selection."),
    ] = None,
    ignore: Annotated[
        list[str] | None, typer.Option(help="Rule codes or prefixes to disable.")
    ] = None,
    statistics: Annotated[
        bool, typer.Option(help="Show counts per rule instead of each finding.")
    ] = False,
    exit_zero: Annotated[bool, typer.Option(help="Exit 0 even when there are findings.")] = False,
    force_exclude: Annotated[
        bool, typer.Option(help="Apply excludes to files passed explicitly (for pre-commit).")
    ] = False,
    config: Annotated[
        Path | None, typer.Option(help="Use this pyproject.toml instead of searching upwards.")
    ] = None,
    baseline: Annotated[
        Path | None,
        typer.Option(
            help="Report only findings not recorded in this baseline file "
            "(default: `baseline` in [tool.nbgraduate])."
        ),
    ] = None,
    write_baseline: Annotated[
        Path | None, typer.Option(help="Record today's findings in this baseline file.")
    ] = None,
    jobs: Annotated[
        int | None, typer.Option(min=1, help="Worker processes (default: one per CPU).")
    ] = None,
) -> None:
    """Find what makes an eval notebook irreproducible. Never executes the notebook.

    Exit codes: 0 clean, 1 findings, 2 usage/config error or unreadable input.
    """
    from nbgraduate.lint.runner import LintRequest, run_lint

    request = LintRequest(
        paths=paths or [Path(".")],
        select=_split_codes(select),
        ignore=_split_codes(ignore),
        extend_select=_split_codes(extend_select),
        config_file=config,
        force_exclude=force_exclude,
        jobs=jobs,
    )
    report = run_lint(request)
    if write_baseline is not None:
        from nbgraduate.lint.baseline import write_baseline as write

        written = write(write_baseline, report.diagnostics, write_baseline.resolve().parent)
        _report_input_errors(report)
        typer.echo(f"Wrote {sum(e.count for e in written.entries)} findings to {write_baseline}")
        raise typer.Exit(EXIT_ERROR if report.errors else EXIT_CLEAN)
    if baseline is None:
        from nbgraduate.lint.runner import configured_baseline

        baseline = configured_baseline(config)
    if baseline is not None:
        from nbgraduate.lint.baseline import load_baseline

        recorded = load_baseline(baseline)
        report.diagnostics = recorded.filter_new(report.diagnostics, baseline.resolve().parent)

    from nbgraduate.lint.output import render
    from nbgraduate.lint.rules import ALL_RULES

    text = render(report, output_format.value, rules=ALL_RULES, statistics=statistics)
    if output_file is not None:
        from nbgraduate.core.atomic import write_text_atomic

        try:
            write_text_atomic(output_file, text)
        except OSError as error:
            raise fail(f"{output_file}: cannot write report: {error.strerror or error}") from None
    else:
        sys.stdout.write(text)
    _report_input_errors(report)
    if report.errors:
        raise typer.Exit(EXIT_ERROR)
    if report.diagnostics and not exit_zero:
        raise typer.Exit(EXIT_FINDINGS)


def _report_input_errors(report) -> None:
    for error in report.errors:
        typer.echo(f"error: {error.path}: {error.reason}", err=True)


def rule(
    code: Annotated[str | None, typer.Argument(help="A rule code such as NBG101.")] = None,
    all_rules: Annotated[bool, typer.Option("--all", help="Show every rule.")] = False,
    output_format: Annotated[
        RuleOutputFormat, typer.Option("--output-format")
    ] = RuleOutputFormat.text,
) -> None:
    """Explain a rule: what it does, why it breaks reproducibility, and what to write instead."""
    from nbgraduate.lint.rules import ALL_RULES, RULES_BY_CODE

    if all_rules == (code is not None):
        raise fail("give either a rule code or --all")
    if code is not None:
        selected = RULES_BY_CODE.get(code.upper())
        if selected is None:
            raise fail(f"unknown rule code {code!r}; see `nbgraduate rule --all`")
        rules = [selected]
    else:
        rules = list(ALL_RULES)
    if output_format is RuleOutputFormat.json:
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
        typer.echo(json.dumps(payload[0] if code is not None else payload, indent=2))
        return
    typer.echo("\n".join(r.documentation() for r in rules), nl=False)
