"""The calibration report a human reads: agreement, the change since last time, what flipped."""

from __future__ import annotations

from collections.abc import Sequence

from nbgraduate.calibrate.agreement import Flip, LabelSummary, ScoreSummary
from nbgraduate.calibrate.reference import Verdict
from nbgraduate.calibrate.run import CalibrationResult, ExampleResult

__all__ = ["render_report"]

_MAX_ROWS = 100
_ANSWER_PREVIEW = 80


def render_report(result: CalibrationResult, *, confidence: float) -> str:
    """The whole report, ending with the result line and its exit code."""
    record = result.record
    run = f"run {record.run_id}, contract {record.contract_version}" if record else "not recorded"
    lines = [
        f"calibrate {result.pipeline}: judge {result.judge.model_id} via {result.base_url} ({run})"
    ]
    lines.extend(_traffic(result))
    if result.infrastructure_error is not None:
        lines.append(f"  infrastructure failure: {result.infrastructure_error}")
        lines.append(
            f"  result: INFRASTRUCTURE ERROR (exit {result.exit_code}): the judge could not be "
            "asked; this is neither drift nor a pass"
        )
        return "\n".join(lines) + "\n"
    served = sorted({e.served_model for e in result.examples if e.served_model}) or ["(not said)"]
    fingerprints = sorted(
        {e.system_fingerprint for e in result.examples if e.system_fingerprint}
    ) or ["(none)"]
    lines.append(
        f"  served model: {', '.join(served)}; system_fingerprint: {', '.join(fingerprints)}"
    )
    lines.append(f"  {_summary_line(result)}")
    lines.extend(_unparseable(result.examples))
    lines.extend(_comparison(result, confidence))
    lines.extend(f"  warning: {warning}" for warning in _warnings(result))
    if result.served_mismatch:
        lines.append(
            f"  drift: the server served {', '.join(result.served_mismatch)}, not the pinned "
            f"{result.judge.model_id}"
        )
    lines.extend(_reference_update(result))
    lines.append(f"  result: {_verdict(result)} (exit {result.exit_code})")
    return "\n".join(lines) + "\n"


def _traffic(result: CalibrationResult) -> list[str]:
    stats = result.stats
    retried = ""
    if stats.retries:
        reasons = ", ".join(
            f"{reason} x{count}" for reason, count in sorted(stats.retry_reasons.items())
        )
        retried = f" ({stats.retries} retried: {reasons})"
    return [
        f"  {result.example_count} examples, {stats.requests} requests{retried}, "
        f"{stats.total_tokens} tokens"
    ]


def _summary_line(result: CalibrationResult) -> str:
    summary = result.summary
    if isinstance(summary, LabelSummary):
        kappa = "undefined" if summary.kappa is None else f"{summary.kappa:.3f}"
        return (
            f"agreement with reference: {summary.agreed}/{summary.examples} = "
            f"{summary.agreement:.3f}, Cohen's kappa {kappa}, unparseable {summary.unparseable}"
        )
    if isinstance(summary, ScoreSummary):
        mad = (
            "n/a"
            if summary.mean_absolute_difference is None
            else f"{summary.mean_absolute_difference:.3f}"
        )
        rho = "undefined" if summary.spearman is None else f"{summary.spearman:.3f}"
        parsed = summary.examples - summary.unparseable
        return (
            f"against reference: mean absolute difference {mad}, Spearman {rho} "
            f"(over {parsed} parsed), unparseable {summary.unparseable}"
        )
    return "no verdicts"


def _unparseable(examples: Sequence[ExampleResult]) -> list[str]:
    failed = [example for example in examples if example.verdict is None]
    if not failed:
        return []
    lines = [f"  unparseable answers ({len(failed)}):"]
    for example in failed[:_MAX_ROWS]:
        answer = " ".join(example.answer.split())
        if len(answer) > _ANSWER_PREVIEW:
            answer = answer[: _ANSWER_PREVIEW - 1] + "…"
        lines.append(f"    {example.id}: {answer!r}")
    if len(failed) > _MAX_ROWS:
        lines.append(f"    ... {len(failed) - _MAX_ROWS} more")
    return lines


def _comparison(result: CalibrationResult, confidence: float) -> list[str]:
    comparison = result.comparison
    if comparison is None:
        return [
            "  previous run: none of this judge call on these inputs; this run is the baseline "
            "the next one is compared with"
        ]
    lines = [f"  previous run {comparison.previous_run_id}, at {confidence:.0%} confidence:"]
    for test in comparison.tests:
        outcome = "SIGNIFICANT CHANGE" if test.significant else "no significant change"
        lines.append(f"    {test.name}: {test.detail}, p = {test.p_value:.4g}: {outcome}")
    if comparison.flips:
        lines.append(f"  flipped examples ({len(comparison.flips)}):")
        lines.extend(f"    {row}" for row in _flip_table(comparison.flips))
    else:
        lines.append("  no example changed its verdict")
    return lines


def _flip_table(flips: Sequence[Flip]) -> list[str]:
    rows = [("id", "reference", "previous", "current")]
    rows.extend(
        (flip.id, _show(flip.reference), _show(flip.previous), _show(flip.current))
        for flip in flips[:_MAX_ROWS]
    )
    widths = [max(len(row[column]) for row in rows) for column in range(4)]
    table = [
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in rows
    ]
    if len(flips) > _MAX_ROWS:
        table.append(f"... {len(flips) - _MAX_ROWS} more")
    return table


def _show(verdict: Verdict | None) -> str:
    if verdict is None:
        return "(unparseable)"
    if isinstance(verdict, float):
        return f"{verdict:g}"
    return verdict


def _warnings(result: CalibrationResult) -> list[str]:
    warnings = list(result.warnings)
    if result.fingerprint_change is not None and result.comparison is not None:
        before, after = result.fingerprint_change
        moved = "and verdicts moved" if result.comparison.significant else "scores did not move"
        warnings.append(
            f"system_fingerprint changed since run {result.comparison.previous_run_id}: "
            f"{', '.join(before) or 'none'} -> {', '.join(after) or 'none'} ({moved}); the "
            "provider changed its backend"
        )
    return warnings


def _reference_update(result: CalibrationResult) -> list[str]:
    update = result.reference_update
    if update is None:
        return []
    if update.refused is not None:
        return [f"  reference NOT written: {update.refused}"]
    verdicts = "verdict" if update.changed == 1 else "verdicts"
    lines = [
        f"  wrote {update.changed} changed reference {verdicts} to calibration/reference.jsonl"
    ]
    outcome = update.lock
    if outcome is None:
        return lines
    previous = outcome.previous.contract_version if outcome.previous else None
    version = outcome.lock.contract_version
    if previous is not None and previous != version:
        lines.append(f"  re-locked: eval contract {previous} -> {version}")
        lines.extend(f"    - {change}" for change in outcome.changes)
    else:
        lines.append(f"  re-locked: eval contract {version} (unchanged)")
    if not update.lock_records_calibration:
        lines.append(
            "  note: nbgraduate.lock does not record calibration/ files, so a new reference "
            "does not bump the contract version"
        )
    return lines


def _verdict(result: CalibrationResult) -> str:
    update = result.reference_update
    if update is not None:
        return "reference NOT written" if update.refused else "new reference recorded"
    if result.drifted:
        return "DRIFT"
    return "no drift"
