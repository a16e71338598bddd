"""The reproduction report as text (terminal) or JSON (machines)."""

from __future__ import annotations

import json
import math
from datetime import timezone
from typing import Any

from nbgraduate.reproduce.compare import ChangedExample, MetricComparison
from nbgraduate.reproduce.report import ReproductionReport
from nbgraduate.runs.records import RunRecord, ServedModel

__all__ = ["JSON_SCHEMA_VERSION", "render"]

JSON_SCHEMA_VERSION = 1
_COMMIT_SHOWN = 8
_CHANGED_SHOWN = 20
_HEADLINES = {
    "identical": "REPRODUCED (identical)",
    "within-variation": "REPRODUCED (within run-to-run variation)",
    "diverged": "DIVERGED",
    "infrastructure-error": "NOT RUN (infrastructure error)",
}
_METHODS = {"t": "paired t", "mcnemar": "exact McNemar and Tango score test"}


def render(report: ReproductionReport, output_format: str) -> str:
    """``report`` as ``text`` or ``json``, ending with a newline."""
    if output_format == "json":
        return _json(report)
    if output_format == "text":
        return _text(report)
    raise ValueError(f"unknown output format {output_format!r}")


# -- text ------------------------------------------------------------------------------------


def _text(report: ReproductionReport) -> str:
    original, reproduction = report.original, report.reproduction
    lines = [f"nbgraduate reproduce: {_HEADLINES[report.verdict]}"]
    lines.append(f"original:      {original.run_id}  {_run_line(original)}")
    if report.source:
        lines.append(f"               (named {report.source})")
    lines.append(
        f"reproduction:  {reproduction.run_id}  {_run_line(reproduction)}; took"
        f" {report.duration_s:.1f}s in all ({_ratio(report)} the original's run)"
    )
    for dataset in report.restored:
        digest = f" (sha256 {dataset.sha256[:12]}...)" if dataset.sha256 else ""
        lines.append(f"dataset {dataset.path}{digest}: from the {dataset.source}")
    if report.environment:
        lines += [f"environment differs: {difference}" for difference in report.environment]
    else:
        lines.append("environment: the recorded Python and package versions")
    lines += _served_lines(original.served, reproduction.served)
    lines += [f"note: {note}" for note in report.notes]
    if report.comparison is None:
        lines.append(
            f"error: the reproduction ended {reproduction.status.value}:"
            f" {reproduction.status_detail or 'no detail'}"
        )
        return "\n".join(lines) + "\n"
    comparison = report.comparison
    if comparison.verdict != "identical":
        lines.append(
            f"margin {_plain(comparison.margin)}, confidence {_percent(comparison.confidence)};"
            " difference = reproduction - original"
        )
    lines.append("")
    for metric in comparison.metrics:
        lines += _metric_lines(metric, comparison.margin)
    if comparison.reasons:
        lines.append("")
        lines += [f"diverged: {reason}" for reason in comparison.reasons]
    return "\n".join(lines) + "\n"


def _run_line(record: RunRecord) -> str:
    commit = record.git_commit[:_COMMIT_SHOWN] if record.git_commit else "no commit"
    if record.git_dirty:
        commit += " (dirty)"
    started = record.started_at.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    repeats = len(record.repeats)
    return (
        f"pipeline {record.pipeline}, commit {commit}, {started}, {repeats}"
        f" repeat{'s' if repeats != 1 else ''}, {record.status.value} in {record.duration_s:.1f}s"
    )


def _ratio(report: ReproductionReport) -> str:
    if report.original.duration_s <= 0:
        return "n/a x"
    return f"{report.duration_s / report.original.duration_s:.2f}x"


def _served_lines(before: list[ServedModel], after: list[ServedModel]) -> list[str]:
    if not before and not after:
        return []
    old, new = _served_text(before), _served_text(after)
    if old == new:
        return [f"served: {new} (as in the original)"]
    return [f"served: {old} originally, {new} now (the provider changed what it serves)"]


def _served_text(served: list[ServedModel]) -> str:
    if not served:
        return "nothing recorded"
    parts = []
    for item in sorted(served, key=lambda s: (s.model or "", s.system_fingerprint or "")):
        text = item.model or "unknown model"
        if item.requested and item.requested != item.model:
            text = f"{item.requested} -> {text}"
        if item.system_fingerprint:
            text += f" fingerprint {item.system_fingerprint}"
        parts.append(text)
    return ", ".join(parts)


def _metric_lines(metric: MetricComparison, margin: float) -> list[str]:
    if metric.identical:
        state = "identical"
    elif metric.equivalent:
        state = "within variation"
    elif metric.equivalent is None and not metric.per_example:
        state = "changed"
    else:
        state = "diverged"
    line = (
        f"{metric.name}  {state}  {_score(metric.original)} -> {_score(metric.reproduced)}"
        f"  n {metric.n}"
    )
    lines = [line]
    indent = " " * (len(metric.name) + 2)
    if metric.lower is not None or metric.equivalent is not None:
        bounds = (
            f"[{_num(metric.lower)}, {_num(metric.upper)}]"
            if metric.lower is not None and metric.upper is not None
            else "[n/a]"
        )
        within = "within" if metric.equivalent else "not shown within"
        method = _METHODS.get(metric.method or "", metric.method or "")
        lines.append(
            f"{indent}difference {_num(metric.difference)} {bounds} {within} +-{_plain(margin)}"
            f" ({method}, two one-sided tests)"
        )
    if len(metric.original_repeats) > 1:
        scores = ", ".join(_score(score) for score in metric.original_repeats)
        spread = max(metric.original_repeats) - min(metric.original_repeats)
        lines.append(f"{indent}the original's repeats scored {scores} (spread {_score(spread)})")
    if metric.note and not metric.identical:
        lines.append(f"{indent}note: {metric.note}")
    if metric.changed:
        lines.append(f"{indent}{len(metric.changed)} examples changed:")
        lines += [f"{indent}  {_changed(example)}" for example in metric.changed[:_CHANGED_SHOWN]]
        if len(metric.changed) > _CHANGED_SHOWN:
            lines.append(f"{indent}  ... and {len(metric.changed) - _CHANGED_SHOWN} more")
    return lines


def _changed(example: ChangedExample) -> str:
    text = f"{example.example_id}: {_score(example.original)} -> {_score(example.reproduced)}"
    if example.stable is True:
        text += " (every repeat of the original agreed on it)"
    elif example.stable is False:
        text += " (the original's repeats disagreed on it)"
    return text


def _score(value: float) -> str:
    if value is None or not math.isfinite(value):
        return "n/a"
    return f"{value:.4g}"


def _num(value: float | None) -> str:
    if value is None or not math.isfinite(value):
        return "n/a"
    return "0" if value == 0 else f"{value:+.4g}"


def _plain(value: float) -> str:
    return f"{value:.4g}"


def _percent(fraction: float) -> str:
    text = f"{fraction * 100:.2f}".rstrip("0").rstrip(".")
    return f"{text}%"


# -- JSON ------------------------------------------------------------------------------------


def _json(report: ReproductionReport) -> str:
    comparison = report.comparison
    payload: dict[str, Any] = {
        "schema_version": JSON_SCHEMA_VERSION,
        "verdict": report.verdict,
        "exit_code": report.exit_code,
        "original": _run_json(report.original),
        "reproduction": _run_json(report.reproduction),
        "duration_s": report.duration_s,
        "duration_ratio": (
            report.duration_s / report.original.duration_s
            if report.original.duration_s > 0
            else None
        ),
        "datasets": [
            {"path": d.path, "sha256": d.sha256, "source": d.source} for d in report.restored
        ],
        "environment_differences": list(report.environment),
        "served": {
            "original": [s.model_dump(mode="json") for s in report.original.served],
            "reproduction": [s.model_dump(mode="json") for s in report.reproduction.served],
            "changed": report.served_changed,
        },
        "notes": list(report.notes),
        "margin": comparison.margin if comparison else None,
        "confidence": comparison.confidence if comparison else None,
        "reasons": list(comparison.reasons) if comparison else [],
        "metrics": [_metric_json(m) for m in comparison.metrics] if comparison else [],
    }
    return json.dumps(payload, indent=2, ensure_ascii=False) + "\n"


def _run_json(record: RunRecord) -> dict[str, Any]:
    return {
        "run_id": record.run_id,
        "pipeline": record.pipeline,
        "git_commit": record.git_commit,
        "git_dirty": record.git_dirty,
        "started_at": record.started_at.isoformat(),
        "duration_s": record.duration_s,
        "repeats": len(record.repeats),
        "status": record.status.value,
    }


def _metric_json(metric: MetricComparison) -> dict[str, Any]:
    return {
        "name": metric.name,
        "per_example": metric.per_example,
        "n": metric.n,
        "identical": metric.identical,
        "equivalent": metric.equivalent,
        "method": metric.method,
        "original": _finite(metric.original),
        "reproduced": _finite(metric.reproduced),
        "difference": _finite(metric.difference),
        "lower": _finite(metric.lower),
        "upper": _finite(metric.upper),
        "original_repeats": [_finite(v) for v in metric.original_repeats],
        "changed": [
            {
                "id": example.example_id,
                "original": example.original,
                "reproduced": example.reproduced,
                "stable_in_original": example.stable,
            }
            for example in metric.changed
        ],
        "note": metric.note,
    }


def _finite(value: float | None) -> float | None:
    return None if value is None or not math.isfinite(value) else float(value)
