"""The ``nbgraduate`` command line: parses arguments, calls the core, formats the result."""

from __future__ import annotations

import sys
from enum import Enum
from pathlib import Path
from typing import Annotated

import typer

from nbgraduate import __version__

app = typer.Typer(
    name="nbgraduate",
    help="Graduate LLM eval notebooks into reproducible eval-as-code.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
)

EXIT_CLEAN = 0
EXIT_FINDINGS = 1
EXIT_ERROR = 2


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


def _split_codes(values: list[str] | None) -> list[str] | None:
    if values is None:
        return None
    return [code.strip() for value in values for code in value.split(",") if code.strip()]


def _fail(message: str) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(EXIT_ERROR)


@app.command()
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
    from nbgraduate.errors import NbgraduateError
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
    try:
        report = run_lint(request)
        if write_baseline is not None:
            from nbgraduate.lint.baseline import write_baseline as write

            written = write(write_baseline, report.diagnostics, write_baseline.resolve().parent)
            _report_input_errors(report)
            typer.echo(
                f"Wrote {sum(e.count for e in written.entries)} findings to {write_baseline}"
            )
            raise typer.Exit(EXIT_ERROR if report.errors else EXIT_CLEAN)
        if baseline is None:
            from nbgraduate.lint.runner import configured_baseline

            baseline = configured_baseline(config)
        if baseline is not None:
            from nbgraduate.lint.baseline import load_baseline

            recorded = load_baseline(baseline)
            report.diagnostics = recorded.filter_new(report.diagnostics, baseline.resolve().parent)
    except NbgraduateError as error:
        raise _fail(str(error)) from None

    from nbgraduate.output import render
    from nbgraduate.rules import ALL_RULES

    text = render(report, output_format.value, rules=ALL_RULES, statistics=statistics)
    if output_file is not None:
        from nbgraduate.atomic import write_text_atomic

        try:
            write_text_atomic(output_file, text)
        except OSError as error:
            raise _fail(f"{output_file}: cannot write report: {error.strerror or error}") from None
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


@app.command()
def rule(
    code: Annotated[str | None, typer.Argument(help="A rule code such as NBG101.")] = None,
    all_rules: Annotated[bool, typer.Option("--all", help="Show every rule.")] = False,
    output_format: Annotated[
        RuleOutputFormat, typer.Option("--output-format")
    ] = RuleOutputFormat.text,
) -> None:
    """Explain a rule: what it does, why it breaks reproducibility, and what to write instead."""
    from nbgraduate.rules import ALL_RULES, RULES_BY_CODE

    if all_rules == (code is not None):
        raise _fail("give either a rule code or --all")
    if code is not None:
        selected = RULES_BY_CODE.get(code.upper())
        if selected is None:
            raise _fail(f"unknown rule code {code!r}; see `nbgraduate rule --all`")
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


class ReportFormat(str, Enum):
    text = "text"
    json = "json"


@app.command()
def convert(
    notebooks: Annotated[
        list[Path], typer.Argument(help="Notebooks or directories of notebooks to graduate.")
    ],
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            help="Pipeline directory (one notebook) or parent directory (several).",
        ),
    ] = None,
    pin: Annotated[
        list[str] | None,
        typer.Option(help="Replace a floating model alias: ALIAS=SNAPSHOT (repeatable)."),
    ] = None,
    force: Annotated[bool, typer.Option(help="Replace an existing pipeline directory.")] = False,
) -> None:
    """Graduate legacy notebooks into parameterised papermill pipelines with a locked manifest.

    Exit codes: 0 converted, 1 converted but something needs a human, 2 refused or bad input.
    """
    from nbgraduate.errors import NbgraduateError
    from nbgraduate.pipeline.batch import convert_paths, render_summary
    from nbgraduate.pipeline.convert import ConversionOptions, normalise_pin, render_report

    try:
        pins = dict(normalise_pin(text) for text in pin or [])
        results = convert_paths(
            notebooks, ConversionOptions(output_dir=output, pins=pins, force=force)
        )
    except NbgraduateError as error:
        raise _fail(str(error)) from None
    for result in results:
        if result.status == "refused":
            typer.echo(f"error: {result.source}: cannot convert: {result.reason}", err=True)
    if len(results) == 1 and results[0].status != "refused":
        typer.echo(render_report(results[0]), nl=False)
    elif len(results) > 1:
        typer.echo(render_summary(results), nl=False)
    statuses = {result.status for result in results}
    if "refused" in statuses or not results:
        raise typer.Exit(EXIT_ERROR)
    if "needs-human" in statuses:
        raise typer.Exit(EXIT_FINDINGS)


@app.command()
def lock(
    pipeline: Annotated[Path, typer.Argument(help="A graduated pipeline directory.")],
    allow_floating: Annotated[
        bool, typer.Option(help="Lock even if a model id floats (recorded as floating).")
    ] = False,
) -> None:
    """(Re)compute nbgraduate.lock; a changed eval contract bumps its version and changelog."""
    from nbgraduate.errors import NbgraduateError
    from nbgraduate.pipeline.locking import lock_pipeline

    try:
        outcome = lock_pipeline(pipeline, allow_floating=allow_floating)
    except NbgraduateError as error:
        raise _fail(str(error)) from None
    for problem in outcome.problems:
        typer.echo(f"warning: {pipeline}: {problem}", err=True)
    previous = outcome.previous
    version = outcome.lock.contract_version
    if previous is None:
        typer.echo(f"Locked {pipeline}: eval contract {version}")
    elif not outcome.written:
        typer.echo(f"{pipeline}: lock is up to date (eval contract {version})")
    else:
        bumped = (
            f"{previous.contract_version} -> {version}"
            if version != previous.contract_version
            else version
        )
        typer.echo(f"Re-locked {pipeline}: eval contract {bumped}")
        for change in outcome.changes:
            typer.echo(f"  - {change}")
    for model in outcome.lock.models:
        if not model.pinned:
            typer.echo(
                f"warning: {model.role} model {model.model_id} floats (--allow-floating)", err=True
            )


@app.command()
def verify(
    pipeline: Annotated[Path, typer.Argument(help="A graduated pipeline directory.")],
    output_format: Annotated[ReportFormat, typer.Option("--output-format")] = ReportFormat.text,
) -> None:
    """Check that the working tree matches nbgraduate.lock. Exit 0 when it does, 1 on drift."""
    from nbgraduate.errors import NbgraduateError
    from nbgraduate.pipeline.drift import render_drift
    from nbgraduate.pipeline.locking import verify_pipeline

    try:
        _locked, _current, drifts = verify_pipeline(pipeline)
    except NbgraduateError as error:
        raise _fail(str(error)) from None
    typer.echo(
        render_drift(drifts, pipeline=str(pipeline), output_format=output_format.value), nl=False
    )
    if drifts:
        raise typer.Exit(EXIT_FINDINGS)


@app.command()
def run(
    pipeline: Annotated[Path, typer.Argument(help="A graduated pipeline directory.")],
    parameter: Annotated[
        list[str] | None,
        typer.Option("--parameter", "-p", help="Override a parameter: NAME=VALUE."),
    ] = None,
    repeats: Annotated[
        int, typer.Option(min=1, help="Run the notebook this many times (seeds seed, seed+1, ...).")
    ] = 1,
    workers: Annotated[int, typer.Option(min=1, help="Run repeats in this many processes.")] = 1,
    timeout: Annotated[
        float | None, typer.Option(min=0.1, help="Per-cell timeout in seconds.")
    ] = None,
    allow_drift: Annotated[
        bool,
        typer.Option(help="Run despite drift from the lock (the record says: not reproducible)."),
    ] = False,
    store: Annotated[
        Path | None, typer.Option(help="Run store directory (default: <project>/.nbgraduate).")
    ] = None,
) -> None:
    """Verify the lock, execute the pipeline through papermill, and record the run.

    Exit codes: 0 passed, 1 the eval failed, 2 usage/input error or drift, 3 infrastructure error.
    """
    # The kernel boots (~0.5 s) while the lock and record models are imported and the lock is
    # verified, instead of after; only a single worker runs repeat 0 in this process.
    from nbgraduate.pipeline.warm_kernel import start_warm_kernel

    warm = start_warm_kernel(pipeline, store) if workers == 1 else None
    from nbgraduate.errors import NbgraduateError
    from nbgraduate.pipeline.run import RunOptions, exit_code_for, parse_overrides, run_pipeline

    try:
        options = RunOptions(
            pipeline_dir=pipeline,
            overrides=parse_overrides(parameter or []),
            repeats=repeats,
            workers=workers,
            timeout=timeout,
            allow_drift=allow_drift,
            store_root=store,
        )
        record = run_pipeline(options, warm)
        warm = None  # run_pipeline owns it now
    except NbgraduateError as error:
        raise _fail(str(error)) from None
    finally:
        if warm is not None:
            warm.shutdown(remove_output=True)
    typer.echo(_run_summary(record))
    raise typer.Exit(exit_code_for(record))


def _run_summary(record) -> str:
    lines = [
        f"run {record.run_id}: {record.status.value} in {record.duration_s:.1f}s "
        f"({len(record.repeats)} repeat{'s' if len(record.repeats) != 1 else ''}, "
        f"contract {record.contract_version})"
    ]
    if not record.reproducible:
        lines.append("  not reproducible: ran with drift from the lock")
    if record.status_detail:
        lines.append(f"  {record.status_detail}")
    by_name: dict[str, list[float]] = {}
    for series in record.metrics:
        by_name.setdefault(series.name, []).extend(series.values)
    for name, values in sorted(by_name.items()):
        mean = sum(values) / len(values)
        lines.append(f"  {name}: mean {mean:.4f} over {len(values)} values")
    return "\n".join(lines)


runs_app = typer.Typer(help="List, show and export recorded runs.", no_args_is_help=False)
app.add_typer(runs_app, name="runs")


@runs_app.callback(invoke_without_command=True)
def runs(
    context: typer.Context,
    pipeline: Annotated[str | None, typer.Option(help="Only runs of this pipeline.")] = None,
    limit: Annotated[int, typer.Option(min=1, help="At most this many runs.")] = 20,
    store: Annotated[
        Path | None, typer.Option(help="Run store directory (default: <project>/.nbgraduate).")
    ] = None,
) -> None:
    """List recorded runs, newest first."""
    if context.invoked_subcommand is not None:
        return
    from nbgraduate.errors import NbgraduateError
    from nbgraduate.store import RunStore, default_store_root

    try:
        with RunStore(store or default_store_root(Path.cwd()), create=False) as run_store:
            records = run_store.list(pipeline=pipeline, limit=limit)
    except NbgraduateError as error:
        raise _fail(str(error)) from None
    if not records:
        typer.echo("no runs recorded")
        return
    for record in records:
        typer.echo(
            f"{record.run_id}  {record.kind:<11}  {record.status.value:<20}  {record.pipeline}  "
            f"{record.started_at:%Y-%m-%d %H:%M}  {record.duration_s:6.1f}s  "
            f"contract {record.contract_version}  {(record.git_commit or '-')[:8]}"
        )


@runs_app.command("show")
def runs_show(
    run_id: Annotated[str, typer.Argument(help="A run id or a unique prefix of one.")],
    store: Annotated[Path | None, typer.Option(help="Run store directory.")] = None,
) -> None:
    """Print one run's full record as JSON."""
    from nbgraduate.errors import NbgraduateError
    from nbgraduate.store import RunStore, default_store_root

    try:
        with RunStore(store or default_store_root(Path.cwd()), create=False) as run_store:
            record = run_store.get(run_id)
    except NbgraduateError as error:
        raise _fail(str(error)) from None
    typer.echo(record.model_dump_json(indent=2))


@runs_app.command("export")
def runs_export(
    run_id: Annotated[str, typer.Argument(help="A run id or a unique prefix of one.")],
    output: Annotated[Path, typer.Option("--output", "-o", help="Where to write the record file.")],
    store: Annotated[Path | None, typer.Option(help="Run store directory.")] = None,
) -> None:
    """Write one run's record to a file another machine (or the gate) can read."""
    from nbgraduate.errors import NbgraduateError
    from nbgraduate.store import RunStore, default_store_root

    try:
        with RunStore(store or default_store_root(Path.cwd()), create=False) as run_store:
            record = run_store.export(run_id, output)
    except NbgraduateError as error:
        raise _fail(str(error)) from None
    typer.echo(f"exported {record.run_id} to {output}")


@app.command()
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
    from nbgraduate.errors import NbgraduateError
    from nbgraduate.report import build_report
    from nbgraduate.store import default_store_root

    store_root = store or default_store_root(Path.cwd())
    try:
        page = build_report(store_root, output or store_root / "report")
    except NbgraduateError as error:
        raise _fail(str(error)) from None
    typer.echo(f"wrote {page}")


# Commands that live in their own modules; each imports only typer and the standard library at
# module level, so registering them keeps start-up cheap.
from nbgraduate import cli_calibrate, cli_comment, cli_gate  # noqa: E402

cli_calibrate.register(app)
cli_comment.register(app)
cli_gate.register(app)
from nbgraduate import cli_hooks, cli_init  # noqa: E402

cli_hooks.register(app)
cli_init.register(app)


def main() -> None:
    app()
