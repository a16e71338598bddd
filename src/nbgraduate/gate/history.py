"""Keep each gate decision in the run store, so the dashboard can draw verdicts over time."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timezone
from pathlib import Path

from nbgraduate.gate.report import GateReport
from nbgraduate.runs.decisions import GateDecision, MetricDecision, new_decision_id
from nbgraduate.runs.records import CiRun

__all__ = ["decision_of", "record_decision"]


def decision_of(report: GateReport, environ: Mapping[str, str]) -> GateDecision:
    """``report`` as the store keeps it, with the CI run ``environ`` describes."""
    return GateDecision(
        decision_id=new_decision_id(),
        pipeline=report.candidate.pipeline,
        decided_at=datetime.now(timezone.utc),
        baseline_run=report.baseline.run_id,
        candidate_run=report.candidate.run_id,
        baseline_commit=report.baseline.git_commit,
        candidate_commit=report.candidate.git_commit,
        verdict=report.verdict.value,
        margin=report.margin,
        confidence=report.confidence,
        metrics=[
            MetricDecision(
                name=metric.name,
                verdict=metric.verdict.value,
                difference=metric.difference.estimate,
                lower=metric.difference.lower,
                upper=metric.difference.upper,
                n=metric.n,
            )
            for metric in report.metrics
        ],
        ci=CiRun.from_environment(environ),
    )


def record_decision(
    report: GateReport, store: str | Path | None, environ: Mapping[str, str]
) -> str | None:
    """Store the decision in the run store when there is one (two record files gate without
    any, and then nothing is created); returns how the store is named, or ``None`` when there
    was no store to record in."""
    from nbgraduate.runs.settings import resolve_store
    from nbgraduate.runs.store import open_store
    from nbgraduate.runs.store_sqlite import DATABASE_FILENAME

    location = resolve_store(store, Path.cwd(), environ)
    if location.root is not None and not (location.root / DATABASE_FILENAME).is_file():
        return None
    with open_store(location, create=False) as opened:
        opened.add_gate_decision(decision_of(report, environ))
        return opened.display
