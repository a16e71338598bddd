"""``run_gate``: resolve the runs, check their contracts, pair, test and decide every metric."""

from __future__ import annotations

import zlib

import numpy as np

from nbgraduate.gate.bootstrap import bootstrap_bca
from nbgraduate.gate.contract import contract_differences
from nbgraduate.gate.errors import ContractMismatchError, GateInputError
from nbgraduate.gate.options import GateOptions
from nbgraduate.gate.pairing import PairedMetric, gateable_metrics, pair_metric
from nbgraduate.gate.report import GateReport, MetricResult, RunInfo
from nbgraduate.gate.runs import ResolvedRun, resolve_runs
from nbgraduate.gate.statistics import (
    Estimate,
    cluster_codes,
    describe_run,
    is_binary,
    mcnemar,
    paired_t,
)
from nbgraduate.gate.verdicts import Decision, decide
from nbgraduate.runs.records import RunRecord, RunStatus

__all__ = ["choose_method", "run_gate"]


def run_gate(options: GateOptions) -> GateReport:
    """Compare the candidate run with the baseline run and decide every metric.

    Raises :class:`~nbgraduate.gate.errors.GateInputError` (exit code 2) for anything that
    prevents a comparison, and :class:`~nbgraduate.gate.errors.ContractMismatchError` when the
    eval contracts differ and ``allow_contract_change`` is off.
    """
    options.validate()
    baseline, candidate = resolve_runs(
        options.baseline,
        options.candidate,
        store=options.store,
        pipeline=options.pipeline,
        repo_dir=options.repo_dir,
    )
    warnings: list[str] = []
    differences = contract_differences(baseline.record, candidate.record)
    if differences and not options.allow_contract_change:
        raise ContractMismatchError(
            [f"eval contracts differ: {difference}" for difference in differences]
            + ["the scores are not comparable; pass --allow-contract-change to gate anyway"]
        )
    warnings += [f"eval contract differs: {difference}" for difference in differences]
    warnings += _run_warnings("baseline", baseline.record)
    warnings += _run_warnings("candidate", candidate.record)

    names, notes = _select_metrics(options, baseline.record, candidate.record)
    paired = [
        pair_metric(name, baseline.record, candidate.record, id_tolerance=options.id_tolerance)
        for name in names
    ]
    estimates = [_estimate(metric, options) for metric in paired]
    decisions = decide([estimate for estimate, _ in estimates], options.confidence)
    results = [
        _metric_result(metric, estimate, codes, decision, options)
        for metric, (estimate, codes), decision in zip(paired, estimates, decisions, strict=True)
    ]
    return GateReport(
        baseline=_run_info(baseline),
        candidate=_run_info(candidate),
        margin=options.margin,
        confidence=options.confidence,
        inconclusive=options.inconclusive,
        metrics=tuple(results),
        warnings=tuple(warnings),
        notes=tuple(notes),
    )


def _metric_result(
    metric: PairedMetric,
    estimate: Estimate,
    codes: np.ndarray | None,
    decision: Decision,
    options: GateOptions,
) -> MetricResult:
    kind = "proportion" if estimate.method == "mcnemar" else estimate.statistic
    notes = list(estimate.notes)
    if metric.unpaired:
        notes.append(
            f"{metric.unpaired} example ids in only one run were dropped"
            f" (within --id-tolerance {options.id_tolerance:g})"
        )
    if decision.note:
        notes.append(decision.note)
    return MetricResult(
        name=metric.name,
        lower_is_better=metric.name in options.lower_is_better,
        n=metric.n,
        unpaired=metric.unpaired,
        baseline_repeats=metric.baseline_repeats,
        candidate_repeats=metric.candidate_repeats,
        baseline=describe_run(metric.baseline, codes, confidence=options.confidence, kind=kind),
        candidate=describe_run(metric.candidate, codes, confidence=options.confidence, kind=kind),
        difference=estimate,
        p_fail_adjusted=decision.p_fail_adjusted,
        p_pass_adjusted=decision.p_pass_adjusted,
        verdict=decision.verdict,
        notes=tuple(notes),
    )


def choose_method(
    requested: str, statistic: str, metric: PairedMetric, codes: np.ndarray | None
) -> str:
    """The test for one metric: ``auto`` is McNemar for pass/fail values without clusters,
    the bootstrap for the median, else the paired t. An explicit method that cannot apply
    is a usage error."""
    binary = is_binary(metric.baseline) and is_binary(metric.candidate)
    if requested == "auto":
        if statistic == "median":
            return "bootstrap"
        return "mcnemar" if binary and codes is None else "t"
    if requested == "mcnemar":
        if not binary:
            raise GateInputError(
                f"metric {metric.name!r}: --method mcnemar needs pass/fail values (0 or 1) in"
                " both runs, after repeats are averaged per example; use --method t or"
                " bootstrap"
            )
        if codes is not None:
            raise GateInputError(
                f"metric {metric.name!r}: McNemar's test assumes independent examples, and"
                " these carry cluster keys; use --method t (cluster-robust) or bootstrap"
            )
    return requested


def _estimate(metric: PairedMetric, options: GateOptions) -> tuple[Estimate, np.ndarray | None]:
    codes = cluster_codes(metric.clusters)
    method = choose_method(options.method, options.statistic, metric, codes)
    sign = -1.0 if metric.name in options.lower_is_better else 1.0
    d = sign * (metric.candidate - metric.baseline)
    if method == "t":
        estimate = paired_t(d, codes, confidence=options.confidence, margin=options.margin)
    elif method == "mcnemar":
        estimate = mcnemar(d, confidence=options.confidence, margin=options.margin)
    else:
        # Seeded per metric by name, so adding a metric does not change another's resamples.
        seed = np.random.SeedSequence(
            options.seed, spawn_key=(zlib.crc32(metric.name.encode("utf-8")),)
        )
        estimate = bootstrap_bca(
            d,
            codes,
            statistic=options.statistic,
            confidence=options.confidence,
            margin=options.margin,
            n_resamples=options.n_resamples,
            seed=seed,
        )
    return estimate, codes


def _select_metrics(
    options: GateOptions, baseline: RunRecord, candidate: RunRecord
) -> tuple[list[str], list[str]]:
    baseline_metrics, baseline_scalars = gateable_metrics(baseline)
    candidate_metrics, candidate_scalars = gateable_metrics(candidate)
    notes: list[str] = []
    if options.metrics:
        for name in options.metrics:
            for role, record, per_example, scalars in (
                ("baseline", baseline, baseline_metrics, baseline_scalars),
                ("candidate", candidate, candidate_metrics, candidate_scalars),
            ):
                if name in scalars:
                    raise GateInputError(
                        f"metric {name!r} in the {role} run {record.run_id} has no per-example"
                        " ids; the gate pairs examples by id"
                    )
                if name not in per_example:
                    raise GateInputError(
                        f"metric {name!r} is not in the {role} run {record.run_id} (its"
                        f" per-example metrics: {_names(per_example)})"
                    )
        names = list(options.metrics)
    else:
        names = [name for name in baseline_metrics if name in candidate_metrics]
        for name in baseline_metrics:
            if name not in candidate_metrics:
                notes.append(f"metric {name}: only in the baseline run, not gated")
        for name in candidate_metrics:
            if name not in baseline_metrics:
                notes.append(f"metric {name}: only in the candidate run, not gated")
        for name in dict.fromkeys(baseline_scalars + candidate_scalars):
            notes.append(f"metric {name}: no per-example ids, not gated")
        if not names:
            raise GateInputError(
                "the runs share no per-example metric (baseline:"
                f" {_names(baseline_metrics)}; candidate: {_names(candidate_metrics)})"
                + _how_to_record(baseline_scalars + candidate_scalars)
            )
    # A name neither run recorded is a typo that would silently gate the metric the wrong
    # way round; a recorded metric that is not selected this time is fine (shared CI flags).
    recorded = set(baseline_metrics) | set(candidate_metrics)
    unknown = [name for name in options.lower_is_better if name not in recorded]
    if unknown:
        raise GateInputError(
            f"--lower-is-better {', '.join(unknown)}: no such per-example metric in either run"
            f" (gated: {_names(names)})"
        )
    return names, notes


def _how_to_record(scalars: list[str]) -> str:
    """The line a pipeline notebook needs so that its next runs can be gated."""
    if scalars:
        name = scalars[0]
        return (
            f"; metric {name!r} was recorded without ids: record every example's value with its"
            f' id, `nbgraduate.record("{name}", per_example_values, ids=example_ids)`, once'
            " after the per-example results are computed"
        )
    return (
        "; record one in the pipeline notebook, once after the per-example results are"
        ' computed: `import nbgraduate; nbgraduate.record("accuracy", per_example_scores,'
        " ids=example_ids)` (the pipeline's CONVERSION.md says where), then run both sides"
        " again"
    )


def _run_warnings(role: str, record: RunRecord) -> list[str]:
    warnings = []
    if record.status is not RunStatus.PASSED:
        warnings.append(f"the {role} run {record.run_id} ended with status {record.status.value}")
    if not record.reproducible:
        warnings.append(
            f"the {role} run {record.run_id} is not reproducible (it ran with drift from its lock)"
        )
    return warnings


def _run_info(run: ResolvedRun) -> RunInfo:
    record = run.record
    return RunInfo(
        run_id=record.run_id,
        pipeline=record.pipeline,
        spec=run.spec,
        source=run.source,
        git_commit=record.git_commit,
        git_dirty=record.git_dirty,
        started_at=record.started_at,
        contract_version=record.contract_version,
        status=record.status.value,
        ci_url=record.ci.url if record.ci is not None else None,
    )


def _names(names: list[str]) -> str:
    return ", ".join(names) if names else "none"
