"""The numbers behind the dashboard: per pipeline, its scores over time and its own health."""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone

from nbgraduate.runs.contract import contract_differences
from nbgraduate.runs.decisions import GateDecision
from nbgraduate.runs.records import RunRecord, RunStatus

#: z for the two-sided 95% interval drawn around each run's mean (normal approximation:
#: eval sets have dozens to thousands of examples; the gate does the exact statistics).
_Z95 = 1.959963984540054


@dataclass(frozen=True, slots=True)
class MetricPoint:
    """One run's value of one metric: mean over examples (repeats averaged per example)."""

    run_id: str
    started_at: datetime
    #: The key of the run's contract span: points of two spans are never joined.
    contract: str
    mean: float
    low: float | None
    high: float | None
    n: int
    #: Runs of ``nbgraduate reproduce`` that re-ran this one, drawn beside it.
    reproductions: tuple[ReproductionPoint, ...] = ()


@dataclass(frozen=True, slots=True)
class ReproductionPoint:
    """A reproduction's value of one metric, and the verdict ``reproduce`` gave it."""

    run_id: str
    mean: float
    low: float | None
    high: float | None
    verdict: str


@dataclass(frozen=True, slots=True)
class ContractSpan:
    """A stretch of consecutive runs under one effective eval contract: one lock digest, and
    what each record says it ran with (``-p`` overrides of the temperature, a model id or a
    dataset change it, as they make ``gate`` refuse to compare two runs).

    ``key`` identifies the span among the pipeline's spans; ``changes`` says how its runs
    differ from the span before (empty for the first span or a lock change alone)."""

    key: str
    contract_version: str
    lock_digest: str
    first_run: datetime
    runs: int
    changes: tuple[str, ...] = ()


@dataclass(slots=True)
class PipelineSummary:
    """One pipeline: its runs (reproductions included, for the health numbers), the score
    series (of the runs that are not reproductions of a stored run), and its gate decisions."""

    name: str
    runs: list[RunRecord]
    metrics: dict[str, list[MetricPoint]] = field(default_factory=dict)
    #: Metrics whose every value lies in [0, 1] (pass rates, proportions): their intervals
    #: and axes are clipped to [0, 1].
    proportions: set[str] = field(default_factory=set)
    #: Original run id -> the runs that reproduced it, oldest first.
    reproductions: dict[str, list[RunRecord]] = field(default_factory=dict)
    #: What ``nbgraduate gate`` decided for this pipeline, oldest first.
    gate_decisions: list[GateDecision] = field(default_factory=list)
    contracts: list[ContractSpan] = field(default_factory=list)
    #: ``nbgraduate calibrate`` runs of this pipeline's judge, oldest first.
    calibrations: list[RunRecord] = field(default_factory=list)
    calibration_metrics: dict[str, list[MetricPoint]] = field(default_factory=dict)
    calibration_proportions: set[str] = field(default_factory=set)

    @property
    def passed(self) -> int:
        return sum(r.status == RunStatus.PASSED for r in self.runs)

    @property
    def eval_failed(self) -> int:
        return sum(r.status == RunStatus.EVAL_FAILED for r in self.runs)

    @property
    def infrastructure_errors(self) -> int:
        return sum(r.status == RunStatus.INFRASTRUCTURE_ERROR for r in self.runs)

    @property
    def success_rate(self) -> float | None:
        """Share of runs that passed, among runs that were not lost to infrastructure: an eval
        failure is a result, a dead kernel is not."""
        decided = self.passed + self.eval_failed
        return self.passed / decided if decided else None

    @property
    def infrastructure_error_rate(self) -> float | None:
        return self.infrastructure_errors / len(self.runs) if self.runs else None

    def duration_percentile(self, percent: int) -> float | None:
        return percentile([r.duration_s for r in self.runs], percent)

    @property
    def peak_runs_per_hour(self) -> int:
        return peak_per_window([r.started_at for r in self.runs], seconds=3600)

    def usage_per_run(self) -> dict[str, float]:
        """Average of each usage counter (tokens, cost) over the runs that report it."""
        totals: dict[str, list[float]] = {}
        for record in self.runs:
            for counter, amount in record.usage.items():
                totals.setdefault(counter, []).append(amount)
        return {counter: sum(values) / len(values) for counter, values in sorted(totals.items())}

    @property
    def dataset_changed_at(self) -> datetime | None:
        """When the current dataset content was first seen in a run (the freshness mark)."""
        latest_change: datetime | None = None
        previous: dict[str, str] | None = None
        for record in self.runs:
            if record.dataset_digests != previous:
                latest_change = record.started_at
                previous = record.dataset_digests
        return latest_change


def summarise(
    records: Iterable[RunRecord], decisions: Iterable[GateDecision] = ()
) -> list[PipelineSummary]:
    """Group runs by pipeline (eval runs and judge calibrations apart), oldest first within
    each, pipelines by name; each pipeline's gate decisions with it."""
    runs_of: dict[str, list[RunRecord]] = {}
    calibrations_of: dict[str, list[RunRecord]] = {}
    for record in records:
        target = calibrations_of if record.kind == "calibration" else runs_of
        target.setdefault(record.pipeline, []).append(record)
    decisions_of: dict[str, list[GateDecision]] = {}
    for decision in decisions:
        decisions_of.setdefault(decision.pipeline, []).append(decision)
    summaries = []
    for name in sorted(runs_of.keys() | calibrations_of.keys() | decisions_of.keys()):
        runs = sorted(runs_of.get(name, []), key=lambda r: _aware(r.started_at))
        calibrations = sorted(calibrations_of.get(name, []), key=lambda r: _aware(r.started_at))
        summary = PipelineSummary(name=name, runs=runs, calibrations=calibrations)
        summary.gate_decisions = sorted(
            decisions_of.get(name, []), key=lambda d: _aware(d.decided_at)
        )
        series, summary.reproductions = split_reproductions(runs)
        summary.contracts, key_of = _contracts(series)
        summary.proportions = _proportions(runs)
        summary.metrics = _with_reproductions(
            _metric_points(series, key_of, summary.proportions),
            _metric_points(
                [r for rs in summary.reproductions.values() for r in rs],
                None,
                summary.proportions,
            ),
            summary.reproductions,
        )
        summary.calibration_proportions = _proportions(calibrations)
        summary.calibration_metrics = {
            metric: points
            for metric, points in _metric_points(
                calibrations, None, summary.calibration_proportions
            ).items()
            if metric in ("agreement", "absolute_error")
        }
        summaries.append(summary)
    return summaries


def split_reproductions(
    runs: Sequence[RunRecord],
) -> tuple[list[RunRecord], dict[str, list[RunRecord]]]:
    """The runs that make the score series, and the reproductions of those runs by original.

    A reproduction re-runs an old commit: drawn in time order it would break the series with
    an old contract, so it is drawn beside its original instead. A reproduction whose
    original is not in the store stays in the series.
    """
    ids = {record.run_id for record in runs}
    series: list[RunRecord] = []
    reproductions: dict[str, list[RunRecord]] = {}
    for record in runs:
        original = record.reproduction.of if record.reproduction is not None else None
        if original is not None and original in ids and original != record.run_id:
            reproductions.setdefault(original, []).append(record)
        else:
            series.append(record)
    return series, reproductions


def run_scores(record: RunRecord) -> dict[str, tuple[float, int]]:
    """Each metric's mean over examples (repeats averaged per example) and example count."""
    scores = {}
    for name, examples in _per_example(record).items():
        values = [sum(v) / len(v) for v in examples.values()]
        scores[name] = (sum(values) / len(values), len(values))
    return scores


def _per_example(record: RunRecord) -> dict[str, dict[str, list[float]]]:
    per_metric: dict[str, dict[str, list[float]]] = {}
    for series in record.metrics:
        examples = per_metric.setdefault(series.name, {})
        ids = series.ids or [f"#{index}" for index in range(len(series.values))]
        for example_id, value in zip(ids, series.values, strict=False):
            examples.setdefault(str(example_id), []).append(value)
    return per_metric


def _proportions(runs: Sequence[RunRecord]) -> set[str]:
    inside: dict[str, bool] = {}
    for record in runs:
        for series in record.metrics:
            bounded = all(0.0 <= value <= 1.0 for value in series.values)
            inside[series.name] = inside.get(series.name, True) and bounded
    return {name for name, bounded in inside.items() if bounded}


def _with_reproductions(
    points: dict[str, list[MetricPoint]],
    reproduced: dict[str, list[MetricPoint]],
    reproductions: dict[str, list[RunRecord]],
) -> dict[str, list[MetricPoint]]:
    verdict_of = {
        record.run_id: record.reproduction.verdict if record.reproduction else "?"
        for records in reproductions.values()
        for record in records
    }
    original_of = {
        record.run_id: original for original, records in reproductions.items() for record in records
    }
    for name, series in points.items():
        extra: dict[str, list[ReproductionPoint]] = {}
        for point in reproduced.get(name, []):
            extra.setdefault(original_of[point.run_id], []).append(
                ReproductionPoint(
                    point.run_id, point.mean, point.low, point.high, verdict_of[point.run_id]
                )
            )
        points[name] = [
            replace(point, reproductions=tuple(extra.get(point.run_id, ()))) for point in series
        ]
    return points


def _contracts(runs: Sequence[RunRecord]) -> tuple[list[ContractSpan], dict[str, str]]:
    """The spans of ``runs`` (oldest first) and each run's span key."""
    spans: list[ContractSpan] = []
    key_of: dict[str, str] = {}
    previous: RunRecord | None = None
    for record in runs:
        digest = record.lock_digest or "unlocked"
        changes: list[str] = []
        if previous is not None:
            changes = contract_differences(previous, record, names=("before", "after"))
        if spans and spans[-1].lock_digest == digest and not changes:
            last = spans[-1]
            spans[-1] = ContractSpan(
                last.key, last.contract_version, digest, last.first_run, last.runs + 1, last.changes
            )
        else:
            spans.append(
                ContractSpan(
                    f"{len(spans)}:{digest}",
                    record.contract_version or "?",
                    digest,
                    record.started_at,
                    1,
                    tuple(changes),
                )
            )
        key_of[record.run_id] = spans[-1].key
        previous = record
    return spans, key_of


def _metric_points(
    runs: Sequence[RunRecord],
    key_of: dict[str, str] | None = None,
    proportions: set[str] | None = None,
) -> dict[str, list[MetricPoint]]:
    """Each metric's points; ``contract`` is the run's span key (``key_of``), else its lock
    digest (calibration runs, whose contract is the judge's). The interval of a metric in
    ``proportions`` is clipped to [0, 1]: a pass rate's cannot leave it."""
    points: dict[str, list[MetricPoint]] = {}
    for record in runs:
        for name, examples in _per_example(record).items():
            values = [sum(v) / len(v) for v in examples.values()]
            mean = sum(values) / len(values)
            low = high = None
            if len(values) > 1:
                half_width = _Z95 * statistics.stdev(values) / math.sqrt(len(values))
                low, high = mean - half_width, mean + half_width
                if proportions is not None and name in proportions:
                    low, high = max(0.0, low), min(1.0, high)
            points.setdefault(name, []).append(
                MetricPoint(
                    run_id=record.run_id,
                    started_at=record.started_at,
                    contract=(key_of or {}).get(record.run_id) or record.lock_digest or "unlocked",
                    mean=mean,
                    low=low,
                    high=high,
                    n=len(values),
                )
            )
    return points


def percentile(values: Sequence[float], percent: int) -> float | None:
    """Linear-interpolation percentile (numpy's default); ``None`` for no values."""
    if not values:
        return None
    ordered = sorted(values)
    position = (len(ordered) - 1) * percent / 100
    lower = math.floor(position)
    upper = min(lower + 1, len(ordered) - 1)
    return ordered[lower] + (ordered[upper] - ordered[lower]) * (position - lower)


def peak_per_window(times: Iterable[datetime], *, seconds: int) -> int:
    """Most events in any window of ``seconds`` (sliding, not clock hours)."""
    stamps = sorted(_aware(t).timestamp() for t in times)
    peak = start = 0
    for end, stamp in enumerate(stamps):
        while stamp - stamps[start] >= seconds:
            start += 1
        peak = max(peak, end - start + 1)
    return peak


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
