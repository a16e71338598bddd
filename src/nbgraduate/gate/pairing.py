"""Pair two runs' per-example values by example id, repeats averaged per example first."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import numpy as np

from nbgraduate.gate.errors import GateInputError
from nbgraduate.runs.records import MetricSeries, RunRecord

__all__ = [
    "ExampleValues",
    "PairedMetric",
    "example_values",
    "gateable_metrics",
    "pair_metric",
]

_IDS_SHOWN = 5


@dataclass(frozen=True)
class ExampleValues:
    """One run's values of one metric, one per example id (the mean over repeats)."""

    ids: list[str]
    values: np.ndarray
    #: The cluster key of each example, or ``None`` when the run recorded none.
    clusters: list[str] | None
    repeats: int


@dataclass(frozen=True)
class PairedMetric:
    """Both runs' values of one metric on the examples they share, in the same order."""

    name: str
    ids: list[str]
    baseline: np.ndarray
    candidate: np.ndarray
    clusters: list[str] | None
    #: Example ids in only one run, dropped within ``--id-tolerance``.
    only_in_baseline: list[str]
    only_in_candidate: list[str]
    baseline_repeats: int
    candidate_repeats: int

    @property
    def n(self) -> int:
        return len(self.ids)

    @property
    def unpaired(self) -> int:
        return len(self.only_in_baseline) + len(self.only_in_candidate)


def gateable_metrics(record: RunRecord) -> tuple[list[str], list[str]]:
    """``(per_example, scalar)`` metric names of ``record``, each in first-recorded order.

    A metric is per-example when its series carry ids; anything else cannot be paired.
    """
    per_example: dict[str, None] = {}
    scalar: dict[str, None] = {}
    for series in record.metrics:
        (per_example if series.ids is not None else scalar)[series.name] = None
    return list(per_example), [name for name in scalar if name not in per_example]


def example_values(record: RunRecord, metric: str, role: str) -> ExampleValues:
    """Average ``metric`` over the repeats of ``record``, per example id.

    ``role`` (``baseline``/``candidate``) only words the errors.
    """
    series_list = [series for series in record.metrics if series.name == metric]
    where = f"metric {metric!r} in the {role} run {record.run_id}"
    if not series_list:
        raise GateInputError(f"{where}: not recorded")
    for series in series_list:
        _check_series(series, where)
    first = series_list[0]
    if all(series.ids == first.ids and series.clusters == first.clusters for series in series_list):
        # The usual case (every repeat scored the same examples in the same order): no id
        # lookups at all, which matters at 100,000 examples.
        assert first.ids is not None
        stacked = np.array([series.values for series in series_list], dtype=np.float64)
        _check_finite(stacked, where)
        return ExampleValues(
            ids=list(first.ids),
            values=stacked.mean(axis=0),
            clusters=None if first.clusters is None else list(first.clusters),
            repeats=len(series_list),
        )
    index: dict[str, int] = {}
    positions: list[np.ndarray] = []
    values: list[np.ndarray] = []
    clusters: dict[str, str] = {}
    with_clusters = 0
    for series in series_list:
        assert series.ids is not None
        ids_here = np.fromiter(
            (index.setdefault(example, len(index)) for example in series.ids),
            dtype=np.intp,
            count=len(series.ids),
        )
        positions.append(ids_here)
        values.append(np.asarray(series.values, dtype=np.float64))
        if series.clusters is not None:
            with_clusters += 1
            for example, cluster in zip(series.ids, series.clusters, strict=True):
                known = clusters.setdefault(example, cluster)
                if known != cluster:
                    raise GateInputError(
                        f"{where}: example {example!r} is in cluster {known!r} in one repeat"
                        f" and {cluster!r} in another"
                    )
    if 0 < with_clusters < len(series_list):
        raise GateInputError(f"{where}: some repeats carry cluster keys and others do not")
    all_positions = np.concatenate(positions)
    all_values = np.concatenate(values)
    _check_finite(all_values, where)
    sums = np.bincount(all_positions, weights=all_values, minlength=len(index))
    counts = np.bincount(all_positions, minlength=len(index))
    ids = list(index)
    return ExampleValues(
        ids=ids,
        values=sums / counts,
        clusters=[clusters[example] for example in ids] if with_clusters else None,
        repeats=len(series_list),
    )


def pair_metric(
    metric: str,
    baseline: RunRecord,
    candidate: RunRecord,
    *,
    id_tolerance: float,
) -> PairedMetric:
    """Pair ``metric`` of both runs by example id.

    More than ``id_tolerance`` (a fraction of the union of ids) unpaired is an error that
    lists the missing and the extra ids; within it, unpaired examples are dropped.
    """
    before = example_values(baseline, metric, "baseline")
    after = example_values(candidate, metric, "candidate")
    if before.ids == after.ids:
        return PairedMetric(
            name=metric,
            ids=before.ids,
            baseline=before.values,
            candidate=after.values,
            clusters=_paired_clusters(metric, before.ids, before, after, None, None),
            only_in_baseline=[],
            only_in_candidate=[],
            baseline_repeats=before.repeats,
            candidate_repeats=after.repeats,
        )
    # Built only here: at 100,000 examples the index costs a tenth of a t gate.
    after_index = {example: position for position, example in enumerate(after.ids)}
    before_ids = set(before.ids)
    shared = [example for example in before.ids if example in after_index]
    only_in_baseline = [example for example in before.ids if example not in after_index]
    only_in_candidate = [example for example in after.ids if example not in before_ids]
    union = len(before.ids) + len(only_in_candidate)
    unpaired = len(only_in_baseline) + len(only_in_candidate)
    if unpaired > id_tolerance * union:
        parts = []
        if only_in_baseline:
            parts.append(f"missing from the candidate: {_some(only_in_baseline)}")
        if only_in_candidate:
            parts.append(f"extra in the candidate: {_some(only_in_candidate)}")
        raise GateInputError(
            f"metric {metric!r}: {unpaired} of {union} example ids"
            f" ({unpaired / union:.1%}) are in only one run, over --id-tolerance"
            f" {id_tolerance:g}; {'; '.join(parts)}"
        )
    if not shared:
        raise GateInputError(f"metric {metric!r}: the runs share no example id")
    before_position = {example: position for position, example in enumerate(before.ids)}
    take_before = np.fromiter((before_position[e] for e in shared), np.intp, len(shared))
    take_after = np.fromiter((after_index[e] for e in shared), np.intp, len(shared))
    return PairedMetric(
        name=metric,
        ids=shared,
        baseline=before.values[take_before],
        candidate=after.values[take_after],
        clusters=_paired_clusters(metric, shared, before, after, take_before, take_after),
        only_in_baseline=only_in_baseline,
        only_in_candidate=only_in_candidate,
        baseline_repeats=before.repeats,
        candidate_repeats=after.repeats,
    )


def _check_series(series: MetricSeries, where: str) -> None:
    if series.ids is None:
        raise GateInputError(
            f"{where}: repeat {series.repeat} has no example ids; the gate pairs examples by"
            " id (record it with nbgraduate.record(name, values, ids=...))"
        )
    if len(series.ids) != len(series.values):
        raise GateInputError(
            f"{where}: repeat {series.repeat} has {len(series.values)} values but"
            f" {len(series.ids)} ids"
        )
    if series.clusters is not None and len(series.clusters) != len(series.values):
        raise GateInputError(
            f"{where}: repeat {series.repeat} has {len(series.values)} values but"
            f" {len(series.clusters)} cluster keys"
        )
    if len(set(series.ids)) != len(series.ids):
        duplicated = [example for example, count in Counter(series.ids).items() if count > 1]
        raise GateInputError(
            f"{where}: repeat {series.repeat} repeats example ids: {_some(duplicated)}"
        )


def _paired_clusters(
    metric: str,
    shared: list[str],
    before: ExampleValues,
    after: ExampleValues,
    take_before: np.ndarray | None,
    take_after: np.ndarray | None,
) -> list[str] | None:
    # Clusters describe the dataset, not the run: take them from whichever run has them, and
    # refuse two runs that disagree (the standard error would depend on which one we chose).
    # ``take_*`` are the shared examples' positions; ``None`` when both runs list the same ids.
    from_before = _take(before.clusters, take_before)
    from_after = _take(after.clusters, take_after)
    if from_before is not None and from_after is not None:
        for example, left, right in zip(shared, from_before, from_after, strict=True):
            if left != right:
                raise GateInputError(
                    f"metric {metric!r}: example {example!r} is in cluster {left!r} in the"
                    f" baseline run and {right!r} in the candidate run"
                )
    return from_before if from_before is not None else from_after


def _take(clusters: list[str] | None, positions: np.ndarray | None) -> list[str] | None:
    if clusters is None or positions is None:
        return clusters
    return [clusters[position] for position in positions]


def _check_finite(values: np.ndarray, where: str) -> None:
    if not np.all(np.isfinite(values)):
        raise GateInputError(f"{where}: has values that are not finite numbers (NaN or inf)")


def _some(ids: list[str]) -> str:
    shown = ", ".join(ids[:_IDS_SHOWN])
    more = len(ids) - _IDS_SHOWN
    return f"{shown} (and {more} more)" if more > 0 else shown
