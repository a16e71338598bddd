"""The gate report as text (terminal), JSON (machines) or Markdown (PR comment, step summary)."""

from __future__ import annotations

import json
import math
from datetime import timezone
from typing import Any

from nbgraduate.gate.report import GateReport, MetricResult, RunInfo, Verdict
from nbgraduate.gate.statistics import POWER, RunSummary

__all__ = [
    "JSON_SCHEMA_VERSION",
    "MARKER",
    "render",
    "render_json",
    "render_markdown",
    "render_text",
]

#: Hidden first line of the Markdown: ``nbgraduate comment`` finds its PR comment by it.
MARKER = "<!-- nbgraduate-gate -->"
JSON_SCHEMA_VERSION = 1
_COMMIT_SHOWN = 8

_METHOD_NAMES = {
    "t": "paired t",
    "bootstrap": "paired BCa bootstrap",
    "mcnemar": "exact McNemar and Tango score test",
}


def render(report: GateReport, output_format: str, *, workflow_url: str | None = None) -> str:
    """``report`` in ``text``, ``json`` or ``markdown``, ending with a newline."""
    if output_format == "json":
        return render_json(report, workflow_url=workflow_url)
    if output_format == "markdown":
        return render_markdown(report, workflow_url=workflow_url)
    if output_format == "text":
        return render_text(report)
    raise ValueError(f"unknown output format {output_format!r}")


# -- text ------------------------------------------------------------------------------------


def render_text(report: GateReport) -> str:
    lines = [f"nbgraduate gate: {_headline(report)}"]
    for role, run in (("baseline", report.baseline), ("candidate", report.candidate)):
        ci = f"  CI run {run.ci_url}" if run.ci_url else ""
        lines.append(f"{role + ':':<11}{run.run_id}  {_run_details(run)}{ci}")
    lines.append(
        f"margin {_num(report.margin)}, confidence {_percent(report.confidence)}; intervals are"
        " one-sided bounds; difference = candidate - baseline (negative is worse)"
    )
    lines += [f"warning: {warning}" for warning in report.warnings]
    lines.append("")
    width = max(len(metric.name) for metric in report.metrics)
    for metric in report.metrics:
        estimate = metric.difference
        lines.append(
            f"{metric.name:<{width}}  {metric.verdict.value:<12}  difference"
            f" {_with_bounds(estimate.estimate, estimate.lower, estimate.upper)}"
            f"  baseline {_summary(metric.baseline)}  candidate {_summary(metric.candidate)}"
            f"  n {metric.n}  MDE {_num(estimate.mde)}"
        )
        lines.append(f"{'':<{width}}  {_method_line(metric, report.adjusted)}")
        if metric.verdict is Verdict.INCONCLUSIVE:
            lines.append(f"{'':<{width}}  {_needed_line(metric, report.margin)}")
        lines += [f"{'':<{width}}  note: {note}" for note in metric.notes]
    lines += [f"note: {note}" for note in report.notes]
    return "\n".join(lines) + "\n"


# -- JSON ------------------------------------------------------------------------------------


def render_json(report: GateReport, *, workflow_url: str | None = None) -> str:
    payload: dict[str, Any] = {
        "schema_version": JSON_SCHEMA_VERSION,
        "verdict": report.verdict.value,
        "exit_code": report.exit_code,
        "margin": report.margin,
        "confidence": report.confidence,
        "inconclusive": report.inconclusive,
        "benjamini_hochberg": report.adjusted,
        "baseline": _run_json(report.baseline),
        "candidate": _run_json(report.candidate),
        "workflow_run_url": workflow_url,
        "warnings": list(report.warnings),
        "notes": list(report.notes),
        "metrics": [_metric_json(metric) for metric in report.metrics],
    }
    return json.dumps(payload, indent=2, ensure_ascii=False) + "\n"


def _run_json(run: RunInfo) -> dict[str, Any]:
    return {
        "run_id": run.run_id,
        "pipeline": run.pipeline,
        "spec": run.spec,
        "source": run.source,
        "git_commit": run.git_commit,
        "git_dirty": run.git_dirty,
        "started_at": run.started_at.isoformat(),
        "contract_version": run.contract_version,
        "status": run.status,
        "ci_run_url": run.ci_url,
    }


def _metric_json(metric: MetricResult) -> dict[str, Any]:
    estimate = metric.difference
    return {
        "name": metric.name,
        "verdict": metric.verdict.value,
        "lower_is_better": metric.lower_is_better,
        "method": estimate.method,
        "statistic": estimate.statistic,
        "n": metric.n,
        "clusters": estimate.clusters,
        "unpaired_dropped": metric.unpaired,
        "repeats": {"baseline": metric.baseline_repeats, "candidate": metric.candidate_repeats},
        "baseline": _summary_json(metric.baseline),
        "candidate": _summary_json(metric.candidate),
        "difference": {
            "estimate": _finite(estimate.estimate),
            "lower": _finite(estimate.lower),
            "upper": _finite(estimate.upper),
            "standard_error": _finite(estimate.standard_error),
            "df": _finite(estimate.df),
        },
        "p_fail": _finite(estimate.p_fail),
        "p_pass": _finite(estimate.p_pass),
        "p_fail_adjusted": _finite(metric.p_fail_adjusted),
        "p_pass_adjusted": _finite(metric.p_pass_adjusted),
        "mde": _finite(estimate.mde),
        "power": POWER,
        "n_needed": estimate.n_needed,
        "notes": list(metric.notes),
    }


def _summary_json(summary: RunSummary) -> dict[str, float | None]:
    return {
        "center": _finite(summary.center),
        "lower": _finite(summary.lower),
        "upper": _finite(summary.upper),
    }


def _finite(value: float | None) -> float | None:
    if value is None or not math.isfinite(value):
        return None
    return float(value)


# -- Markdown --------------------------------------------------------------------------------


def render_markdown(report: GateReport, *, workflow_url: str | None = None) -> str:
    """The PR-comment/step-summary form, starting with the hidden :data:`MARKER` line."""
    lines = [MARKER, f"## nbgraduate gate: {_headline(report)}", ""]
    runs = (
        f"Baseline `{report.baseline.run_id}` → candidate `{report.candidate.run_id}`"
        f" · margin {_num(report.margin)} · confidence {_percent(report.confidence)}"
    )
    if workflow_url:
        runs += f" · [workflow run]({workflow_url})"
    lines += [runs, ""]
    if report.warnings:
        lines.append("> [!WARNING]")
        lines += [f"> - {_escape(warning)}" for warning in report.warnings]
        lines.append("")
    lines += [
        "| Metric | Baseline | Candidate | Difference | Margin | Verdict | n | MDE |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for metric in report.metrics:
        estimate = metric.difference
        name = _escape(metric.name) + (" (lower is better)" if metric.lower_is_better else "")
        lines.append(
            f"| {name} | {_summary(metric.baseline)} | {_summary(metric.candidate)}"
            f" | {_with_bounds(estimate.estimate, estimate.lower, estimate.upper)}"
            f" | {_num(report.margin)} | **{metric.verdict.value}** | {metric.n}"
            f" | {_num(estimate.mde)} |"
        )
    lines.append("")
    for metric in report.metrics:
        details = [_method_line(metric, report.adjusted)]
        if metric.verdict is Verdict.INCONCLUSIVE:
            details.append(_needed_line(metric, report.margin))
        details += list(metric.notes)
        lines.append(f"- **{_escape(metric.name)}**: {_escape('; '.join(details))}.")
    lines += [f"- {_escape(note)}." for note in report.notes]
    lines += [
        "",
        f"Difference = candidate − baseline (baseline − candidate for lower-is-better"
        f" metrics): negative is worse. Each end of an interval is a one-sided"
        f" {_percent(report.confidence)} confidence bound. FAIL: the upper bound is below"
        f" −margin; PASS: the lower bound is above −margin; otherwise INCONCLUSIVE. MDE: the"
        f" distance from −margin decided with {POWER:.0%} power at this n."
        + (" Verdicts use Benjamini–Hochberg adjusted p-values." if report.adjusted else ""),
        "",
    ]
    for role, run in (("Baseline", report.baseline), ("Candidate", report.candidate)):
        ci = f" · [CI run]({run.ci_url})" if run.ci_url else ""
        lines.append(f"- {role} `{run.run_id}`: {_escape(_run_details(run))}{ci}")
    return "\n".join(lines) + "\n"


def _escape(text: str) -> str:
    # Table cells and list items: a pipe would end the cell, a newline the row.
    return text.replace("|", "\\|").replace("\n", " ")


# -- shared pieces ---------------------------------------------------------------------------


def _headline(report: GateReport) -> str:
    counts = report.counts()
    tally = ", ".join(
        f"{counts[verdict]} {verdict.value}" for verdict in Verdict if counts[verdict]
    )
    headline = f"{report.verdict.value} ({tally})"
    if report.verdict is Verdict.INCONCLUSIVE and report.exit_code == 0:
        headline += ", allowed by --inconclusive pass"
    return headline


def _run_details(run: RunInfo) -> str:
    commit = f"commit {run.git_commit[:_COMMIT_SHOWN]}" if run.git_commit else "no git commit"
    if run.git_dirty:
        commit += " (dirty)"
    started = run.started_at.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    parts = [f"pipeline {run.pipeline}", commit, started]
    if run.contract_version:
        parts.append(f"contract {run.contract_version}")
    if run.spec != run.run_id:
        parts.append(f"from {run.spec} ({run.source})")
    return ", ".join(parts)


def _method_line(metric: MetricResult, adjusted: bool) -> str:
    estimate = metric.difference
    what = _METHOD_NAMES.get(estimate.method, estimate.method)
    if estimate.method == "mcnemar":
        what += " on the pass-rate difference"
    else:
        what += f" on the {estimate.statistic} difference"
    if estimate.clusters is not None:
        what += f", {estimate.clusters} clusters"
    if metric.lower_is_better:
        what += ", lower is better"
    p_values = f"p(FAIL) {_p(estimate.p_fail)}, p(PASS) {_p(estimate.p_pass)}"
    if adjusted:
        p_values += (
            f" (Benjamini-Hochberg adjusted {_p(metric.p_fail_adjusted)},"
            f" {_p(metric.p_pass_adjusted)})"
        )
    return f"{what}; {p_values}"


def _needed_line(metric: MetricResult, margin: float) -> str:
    needed = metric.difference.n_needed
    if needed is None:
        if margin <= 0:
            return "a margin of 0 cannot be decided for equal runs at any sample size"
        return "too little data to estimate the sample size needed"
    return (
        f"about {needed} paired examples would decide the margin (no change PASSes and a drop"
        f" of twice the margin FAILs, each with {POWER:.0%} power)"
    )


def _summary(summary: RunSummary) -> str:
    return _with_bounds(summary.center, summary.lower, summary.upper)


def _with_bounds(center: float, lower: float | None, upper: float | None) -> str:
    if lower is None or upper is None:
        return f"{_num(center)} [n/a]"
    return f"{_num(center)} [{_num(lower)}, {_num(upper)}]"


def _num(value: float | None) -> str:
    if value is None or not math.isfinite(value):
        return "n/a"
    if value == 0:
        return "0"
    return f"{value:.4g}"


def _p(value: float) -> str:
    return "<0.0001" if value < 1e-4 else f"{value:.4f}"


def _percent(fraction: float) -> str:
    text = f"{fraction * 100:.2f}".rstrip("0").rstrip(".")
    return f"{text}%"
