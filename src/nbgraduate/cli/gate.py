"""The ``nbgraduate gate`` command: parse the options, run the gate, print and exit with its code.

Nothing heavy is imported at module level: the linter's start-up imports this module (to
register the command) and must not pay for numpy or scipy.
"""

from __future__ import annotations

import os
from enum import Enum
from typing import Annotated

import typer

from nbgraduate.cli.exits import error_boundary
from nbgraduate.cli.store_option import StoreOption

__all__ = ["gate", "register"]


class GateMethod(str, Enum):
    auto = "auto"
    t = "t"
    bootstrap = "bootstrap"
    mcnemar = "mcnemar"


class GateStatistic(str, Enum):
    mean = "mean"
    median = "median"


class InconclusivePolicy(str, Enum):
    fail = "fail"
    # "pass" is a keyword; the member name does not matter to typer, only its value.
    pass_ = "pass"


class GateOutputFormat(str, Enum):
    text = "text"
    json = "json"
    markdown = "markdown"


_RUN_HELP = (
    "a run id or unique prefix, 'latest', 'latest@<git-ref>', or a record file from"
    " 'nbgraduate runs export'"
)


def gate(
    baseline: Annotated[
        str,
        typer.Option("--baseline", metavar="RUN", help=f"The run to compare with: {_RUN_HELP}."),
    ],
    candidate: Annotated[
        str, typer.Option("--candidate", metavar="RUN", help=f"The run to gate: {_RUN_HELP}.")
    ],
    margin: Annotated[
        float,
        typer.Option(
            "--margin",
            metavar="X",
            help="How much worse the candidate may be, in the metric's own units"
            " (0.02 = two points of accuracy).",
        ),
    ],
    confidence: Annotated[
        float,
        typer.Option(
            "--confidence",
            metavar="Y",
            help="Confidence of each one-sided bound, e.g. 0.95 (between 0.5 and 1).",
        ),
    ],
    metric: Annotated[
        list[str] | None,
        typer.Option(
            "--metric",
            metavar="NAME",
            help="Gate this metric (repeatable; default: every per-example metric both runs"
            " recorded).",
        ),
    ] = None,
    method: Annotated[
        GateMethod,
        typer.Option(
            "--method",
            help="auto: exact McNemar for pass/fail (0/1) metrics, BCa bootstrap for"
            " --statistic median, else paired t (cluster-robust when the records carry"
            " cluster keys).",
        ),
    ] = GateMethod.auto,
    statistic: Annotated[
        GateStatistic,
        typer.Option("--statistic", help="Compare means, or medians (bootstrap only)."),
    ] = GateStatistic.mean,
    lower_is_better: Annotated[
        list[str] | None,
        typer.Option(
            "--lower-is-better",
            metavar="NAME",
            help="Metrics where smaller is better (latency, cost, error rate); repeatable.",
        ),
    ] = None,
    id_tolerance: Annotated[
        float,
        typer.Option(
            "--id-tolerance",
            metavar="F",
            help="Fraction of example ids that may be in only one run (dropped); more is an error.",
        ),
    ] = 0.0,
    allow_contract_change: Annotated[
        bool,
        typer.Option(
            "--allow-contract-change",
            help="Gate runs whose eval contracts differ (datasets, models, prompts,"
            " temperature); the report carries a warning.",
        ),
    ] = False,
    inconclusive: Annotated[
        InconclusivePolicy,
        typer.Option(
            "--inconclusive", help="Exit code of an INCONCLUSIVE verdict: fail (1) or pass (0)."
        ),
    ] = InconclusivePolicy.fail,
    output_format: Annotated[
        GateOutputFormat, typer.Option("--output-format", help="How to print the report.")
    ] = GateOutputFormat.text,
    pipeline: Annotated[
        str | None,
        typer.Option(
            "--pipeline",
            metavar="NAME",
            help="Pipeline for 'latest' (default: the other run's; needed when both are 'latest').",
        ),
    ] = None,
    resamples: Annotated[
        int, typer.Option("--resamples", metavar="N", help="Bootstrap resamples.")
    ] = 10_000,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the bootstrap resamples.")] = 0,
    store: StoreOption = None,
    record: Annotated[
        bool,
        typer.Option(
            "--record/--no-record",
            help="Keep the decision in the run store (when there is one) for the dashboard's"
            " verdicts over time.",
        ),
    ] = True,
) -> None:
    """Decide whether the candidate run is no worse than the baseline by more than --margin.

    Examples are paired by id (repeats averaged per example first) and each metric gets a
    one-sided test of the paired difference (candidate - baseline, flipped for
    --lower-is-better metrics) at --confidence:

    \b
    FAIL          the upper bound is below -margin (worse beyond the margin)
    PASS          the lower bound is above -margin (non-inferior)
    INCONCLUSIVE  neither; the report gives the minimum detectable effect and
                  about how many examples would decide the margin

    RUN is a run id or a unique prefix of one, 'latest' (the newest run of the pipeline),
    'latest@<git-ref>' (the newest run at the commit that git rev-parse gives for the ref in
    the current repository), or a record file from 'nbgraduate runs export' (a CI artifact).

    Several metrics are decided on Benjamini-Hochberg adjusted p-values. Runs whose eval
    contracts differ are refused unless --allow-contract-change. The Markdown report is also
    appended to $GITHUB_STEP_SUMMARY when that is set, whatever --output-format says.

    \b
    Exit codes:
      0  every metric PASSes
      1  any FAIL, or any INCONCLUSIVE unless --inconclusive pass
      2  usage or input error (a run not found, ids that do not pair, different
         eval contracts)
    """
    from nbgraduate.gate import (
        GateOptions,
        append_step_summary,
        render,
        run_gate,
        workflow_run_url,
    )

    options = GateOptions(
        baseline=baseline,
        candidate=candidate,
        margin=margin,
        confidence=confidence,
        metrics=_split_names(metric),
        method=method.value,  # type: ignore[arg-type]
        statistic=statistic.value,  # type: ignore[arg-type]
        lower_is_better=_split_names(lower_is_better),
        id_tolerance=id_tolerance,
        allow_contract_change=allow_contract_change,
        inconclusive=inconclusive.value,  # type: ignore[arg-type]
        pipeline=pipeline,
        store=store,
        n_resamples=resamples,
        seed=seed,
    )
    report = run_gate(options)
    if record:
        _record(report, store)
    url = workflow_run_url(os.environ)
    typer.echo(render(report, output_format.value, workflow_url=url), nl=False)
    markdown = render(report, "markdown", workflow_url=url)
    try:
        append_step_summary(os.environ, markdown)
    except OSError as error:
        # The verdict stands; a summary that cannot be written must not change the exit code.
        typer.echo(f"warning: cannot append to $GITHUB_STEP_SUMMARY: {error}", err=True)
    raise typer.Exit(report.exit_code)


def _record(report: object, store: str | None) -> None:
    from nbgraduate.core.errors import NbgraduateError
    from nbgraduate.gate.history import record_decision

    try:
        record_decision(report, store, os.environ)  # type: ignore[arg-type]
    except NbgraduateError as error:
        # The verdict stands; a history that cannot be written must not change the exit code.
        typer.echo(f"warning: the decision was not kept in the run store: {error}", err=True)


def register(app: typer.Typer) -> None:
    """Add ``gate`` to the ``nbgraduate`` command line."""
    app.command("gate")(error_boundary(gate))


def _split_names(values: list[str] | None) -> tuple[str, ...]:
    # Metric names are free text, but a comma-separated list is the common CI spelling.
    if not values:
        return ()
    return tuple(name.strip() for value in values for name in value.split(",") if name.strip())
