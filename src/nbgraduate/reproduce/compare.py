"""Step 5: does the reproduction give the original's numbers?

Three answers, per the strictest that holds:

* **identical**: every metric, every repeat, every example has the value it had (up to float
  rounding, a relative 1e-9), and the run ended the same way;
* **within variation**: not identical, but the original was repeated, so its run-to-run
  variation is measured, and a paired equivalence test puts each per-example metric within
  ``+-margin`` of the original at ``confidence``: the two one-sided tests of the gate (paired t,
  cluster-robust with cluster keys; exact McNemar with Tango's score test for pass/fail values)
  both reject, the lower bound above ``-margin`` and the upper bound below ``+margin``. Every
  metric must pass its own test (an intersection-union test, which needs no multiplicity
  adjustment to keep the overall error at ``1 - confidence``);
* **diverged**: anything else, with the examples whose values changed. With a single repeat in
  the original there is no measured variation, so only identical counts.

Examples are paired by id with the repeats averaged per example, as the gate pairs them. An
example that changed is marked *stable* when every repeat of the original agreed on it: a
stable example that changed is a flip, not noise.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np

from nbgraduate.gate.errors import GateInputError
from nbgraduate.gate.pairing import PairedMetric, example_values, gateable_metrics, pair_metric
from nbgraduate.gate.runner import choose_method
from nbgraduate.gate.statistics import Estimate, cluster_codes, mcnemar, paired_t
from nbgraduate.runs.records import MetricSeries, RunRecord

__all__ = ["ChangedExample", "Comparison", "MetricComparison", "Verdict", "compare_runs"]

Verdict = Literal["identical", "within-variation", "diverged"]

#: Relative tolerance of "identical": float rounding only.
_RELATIVE_TOLERANCE = 1e-9


@dataclass(frozen=True, slots=True)
class ChangedExample:
    """One example whose value (mean over repeats) differs between the runs."""

    example_id: str
    original: float
    reproduced: float
    #: Every repeat of the original gave it the same value (``None``: one repeat only).
    stable: bool | None


@dataclass(frozen=True, slots=True)
class MetricComparison:
    """One metric in both runs."""

    name: str
    per_example: bool
    #: Examples (per-example metrics) or values (scalar metrics) compared.
    n: int
    original: float
    reproduced: float
    #: The original's score in each repeat: its run-to-run variation.
    original_repeats: tuple[float, ...]
    identical: bool
    #: Reproduced minus original, with the equivalence test's bounds (``None`` untested).
    lower: float | None = None
    upper: float | None = None
    equivalent: bool | None = None
    method: str | None = None
    changed: tuple[ChangedExample, ...] = ()
    note: str | None = None

    @property
    def difference(self) -> float:
        return self.reproduced - self.original


@dataclass(frozen=True, slots=True)
class Comparison:
    verdict: Verdict
    metrics: tuple[MetricComparison, ...]
    #: Why the verdict is what it is, one line each (empty for identical).
    reasons: tuple[str, ...]
    margin: float
    confidence: float

    @property
    def changed_examples(self) -> int:
        return sum(len(metric.changed) for metric in self.metrics)


def compare_runs(
    original: RunRecord, reproduction: RunRecord, *, margin: float, confidence: float
) -> Comparison:
    """Compare every metric of the two runs and decide the verdict."""
    reasons: list[str] = []
    if original.status != reproduction.status:
        detail = f": {reproduction.status_detail}" if reproduction.status_detail else ""
        reasons.append(
            f"the original run ended {original.status.value}, the reproduction"
            f" {reproduction.status.value}{detail}"
        )
    original_per_example, original_scalar = gateable_metrics(original)
    reproduced_per_example, reproduced_scalar = gateable_metrics(reproduction)
    for name in [*original_per_example, *original_scalar]:
        if name not in reproduced_per_example and name not in reproduced_scalar:
            reasons.append(f"metric {name}: recorded by the original, not by the reproduction")
    for name in [*reproduced_per_example, *reproduced_scalar]:
        if name not in original_per_example and name not in original_scalar:
            reasons.append(f"metric {name}: recorded by the reproduction, not by the original")
    repeated = _repeat_count(original) >= 2
    metrics: list[MetricComparison] = []
    for name in original_per_example:
        if name in reproduced_per_example:
            metric = _per_example(name, original, reproduction, repeated, margin, confidence)
            metrics.append(metric)
            if metric.note and metric.equivalent is None and not metric.identical:
                reasons.append(f"metric {name}: {metric.note}")
    for name in original_scalar:
        if name in reproduced_scalar:
            metrics.append(_scalar(name, original, reproduction))
    everything_identical = all(metric.identical for metric in metrics)
    if not reasons and everything_identical:
        return Comparison("identical", tuple(metrics), (), margin, confidence)
    if not reasons and not repeated:
        reasons.append(
            "the original ran one repeat, so its run-to-run variation is not measured: only an"
            " identical result reproduces it (run it with --repeats N to measure it)"
        )
    if not reasons:
        tested = [m for m in metrics if m.per_example and not m.identical]
        for metric in tested:
            if not metric.equivalent:
                reasons.append(f"metric {metric.name}: {_not_equivalent(metric, margin)}")
        differing_scalars = [m for m in metrics if not m.per_example and not m.identical]
        if differing_scalars and not any(m.per_example for m in metrics):
            reasons += [
                f"metric {m.name}: changed, and without per-example ids only an identical value"
                " reproduces it"
                for m in differing_scalars
            ]
    verdict: Verdict = "diverged" if reasons else "within-variation"
    return Comparison(verdict, tuple(metrics), tuple(reasons), margin, confidence)


def _per_example(
    name: str,
    original: RunRecord,
    reproduction: RunRecord,
    repeated: bool,
    margin: float,
    confidence: float,
) -> MetricComparison:
    before = example_values(original, name, "original")
    after = example_values(reproduction, name, "reproduction")
    repeat_scores = _repeat_scores(original, name)
    stable = _stable_examples(original, name) if len(repeat_scores) > 1 else None
    after_by_id = dict(zip(after.ids, after.values.tolist(), strict=True))
    before_by_id = dict(zip(before.ids, before.values.tolist(), strict=True))
    changed = tuple(
        ChangedExample(
            example,
            value,
            after_by_id[example],
            None if stable is None else example in stable,
        )
        for example, value in before_by_id.items()
        if example in after_by_id and not _same(value, after_by_id[example])
    )
    identical = _series_identical(original, reproduction, name)
    common = dict(
        name=name,
        per_example=True,
        n=len(before.ids),
        original=float(np.mean(before.values)),
        reproduced=float(np.mean(after.values)),
        original_repeats=tuple(repeat_scores),
        identical=identical,
        changed=changed,
    )
    missing = [example for example in before.ids if example not in after_by_id]
    extra = [example for example in after.ids if example not in before_by_id]
    if missing or extra:
        parts = []
        if missing:
            parts.append(f"{len(missing)} examples missing ({_some(missing)})")
        if extra:
            parts.append(f"{len(extra)} new examples ({_some(extra)})")
        return MetricComparison(**common, note="; ".join(parts))  # type: ignore[arg-type]
    if identical or not repeated:
        return MetricComparison(**common)  # type: ignore[arg-type]
    try:
        paired = pair_metric(name, original, reproduction, id_tolerance=0.0)
    except GateInputError as error:
        return MetricComparison(**common, note=error.message)  # type: ignore[arg-type]
    lower, upper, equivalent, method = _equivalence(paired, margin, confidence)
    return MetricComparison(  # type: ignore[arg-type]
        **common, lower=lower, upper=upper, equivalent=equivalent, method=method
    )


def _equivalence(
    paired: PairedMetric, margin: float, confidence: float
) -> tuple[float | None, float | None, bool, str]:
    """Two one-sided tests: the difference is above ``-margin`` and below ``+margin``."""
    codes = cluster_codes(paired.clusters)
    method = choose_method("auto", "mean", paired, codes)
    d = paired.candidate - paired.baseline
    above = _estimate(method, d, codes, margin, confidence)  # H0: difference <= -margin
    below = _estimate(method, -d, codes, margin, confidence)  # H0: difference >= +margin
    alpha = 1.0 - confidence
    equivalent = above.p_pass < alpha and below.p_pass < alpha
    lower = above.lower
    upper = None if below.lower is None else -below.lower
    return lower, upper, equivalent, method


def _estimate(
    method: str, d: np.ndarray, codes: np.ndarray | None, margin: float, confidence: float
) -> Estimate:
    if method == "mcnemar":
        return mcnemar(d, confidence=confidence, margin=margin)
    return paired_t(d, codes, confidence=confidence, margin=margin)


def _scalar(name: str, original: RunRecord, reproduction: RunRecord) -> MetricComparison:
    before = [v for s in original.metrics if s.name == name for v in s.values]
    after = [v for s in reproduction.metrics if s.name == name for v in s.values]
    return MetricComparison(
        name=name,
        per_example=False,
        n=len(before),
        original=sum(before) / len(before) if before else math.nan,
        reproduced=sum(after) / len(after) if after else math.nan,
        original_repeats=tuple(_repeat_scores(original, name)),
        identical=_series_identical(original, reproduction, name),
        note="no per-example ids: compared for identity only",
    )


def _series_identical(original: RunRecord, reproduction: RunRecord, name: str) -> bool:
    before = _by_repeat(original, name)
    after = _by_repeat(reproduction, name)
    if before.keys() != after.keys():
        return False
    return all(_same_series(before[repeat], after[repeat]) for repeat in before)


def _by_repeat(record: RunRecord, name: str) -> dict[int, MetricSeries]:
    return {series.repeat: series for series in record.metrics if series.name == name}


def _same_series(before: MetricSeries, after: MetricSeries) -> bool:
    if before.ids is None or after.ids is None:
        return (
            before.ids is after.ids
            and len(before.values) == len(after.values)
            and all(_same(a, b) for a, b in zip(before.values, after.values, strict=True))
        )
    left = dict(zip(before.ids, before.values, strict=True))
    right = dict(zip(after.ids, after.values, strict=True))
    return left.keys() == right.keys() and all(_same(left[k], right[k]) for k in left)


def _same(left: float, right: float) -> bool:
    return math.isclose(left, right, rel_tol=_RELATIVE_TOLERANCE, abs_tol=0.0) or left == right


def _repeat_count(record: RunRecord) -> int:
    return len({series.repeat for series in record.metrics}) or len(record.repeats)


def _repeat_scores(record: RunRecord, name: str) -> list[float]:
    return [
        sum(series.values) / len(series.values)
        for _, series in sorted(_by_repeat(record, name).items())
        if series.values
    ]


def _stable_examples(record: RunRecord, name: str) -> set[str]:
    seen: dict[str, set[float]] = {}
    for series in record.metrics:
        if series.name != name or series.ids is None:
            continue
        for example, value in zip(series.ids, series.values, strict=True):
            seen.setdefault(example, set()).add(value)
    return {example for example, values in seen.items() if len(values) == 1}


def _not_equivalent(metric: MetricComparison, margin: float) -> str:
    if metric.lower is None or metric.upper is None:
        return (
            f"difference {_num(metric.difference)} cannot be bounded (too few examples), so it"
            f" is not shown to be within +-{margin:.4g}"
        )
    return (
        f"difference {_num(metric.difference)} [{_num(metric.lower)}, {_num(metric.upper)}]"
        f" is not shown to be within +-{margin:.4g}"
    )


def _num(value: float) -> str:
    return "0" if value == 0 else f"{value:+.4g}"


def _some(ids: list[str], shown: int = 5) -> str:
    more = len(ids) - shown
    return ", ".join(ids[:shown]) + (f" and {more} more" if more > 0 else "")
