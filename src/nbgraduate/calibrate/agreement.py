"""How well the judge agrees with the reference, and whether it changed since the last run.

Pure functions over verdicts keyed by example id:

- labels: agreement (an unparseable answer counts as a disagreement) and Cohen's kappa (over
  the parsed answers); the change since the previous run is an exact McNemar test on the
  per-example agreement (examples that went right -> wrong against wrong -> right);
- scores: mean absolute difference from the reference and Spearman's rank correlation (over
  the parsed answers); the change is a Wilcoxon signed-rank test on the paired absolute errors
  (examples parsed in both runs) plus an exact McNemar test on whether each answer parsed.

A change is significant when its two-sided p-value is below ``1 - confidence``.
"""

from __future__ import annotations

import math
import warnings
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from nbgraduate.calibrate.reference import Kind, Verdict

__all__ = [
    "DriftTest",
    "Flip",
    "LabelSummary",
    "PairedComparison",
    "ScoreSummary",
    "absolute_errors",
    "cohen_kappa",
    "compare_runs",
    "exact_mcnemar",
    "label_summary",
    "score_summary",
    "spearman",
    "wilcoxon_signed_rank",
]


@dataclass(frozen=True, slots=True)
class LabelSummary:
    """Agreement of label verdicts with the reference."""

    examples: int
    agreed: int
    unparseable: int
    kappa: float | None

    @property
    def agreement(self) -> float:
        return self.agreed / self.examples if self.examples else 0.0


@dataclass(frozen=True, slots=True)
class ScoreSummary:
    """Closeness of score verdicts to the reference, over the answers that parsed."""

    examples: int
    unparseable: int
    mean_absolute_difference: float | None
    spearman: float | None


@dataclass(frozen=True, slots=True)
class Flip:
    """An example whose verdict changed since the previous run (``None``: unparseable)."""

    id: str
    reference: Verdict
    previous: Verdict | None
    current: Verdict | None


@dataclass(frozen=True, slots=True)
class DriftTest:
    """One paired test of the change since the previous run."""

    name: str
    p_value: float
    significant: bool
    detail: str


@dataclass(frozen=True, slots=True)
class PairedComparison:
    """This run against the previous run of the same judge on the same reference set."""

    previous_run_id: str
    tests: tuple[DriftTest, ...]
    flips: tuple[Flip, ...] = field(default=())

    @property
    def significant(self) -> bool:
        return any(test.significant for test in self.tests)

    @property
    def p_value(self) -> float:
        return min((test.p_value for test in self.tests), default=1.0)


# --- agreement with the reference ---------------------------------------------------------


def label_summary(
    references: Mapping[str, Verdict], verdicts: Mapping[str, Verdict | None]
) -> LabelSummary:
    """Agreement over every example; kappa over the examples whose answer parsed."""
    agreed = sum(1 for key, ref in references.items() if verdicts.get(key) == ref)
    parsed = [key for key in references if verdicts.get(key) is not None]
    kappa = cohen_kappa(
        [str(references[key]) for key in parsed], [str(verdicts[key]) for key in parsed]
    )
    return LabelSummary(
        examples=len(references),
        agreed=agreed,
        unparseable=len(references) - len(parsed),
        kappa=kappa,
    )


def score_summary(
    references: Mapping[str, Verdict], verdicts: Mapping[str, Verdict | None]
) -> ScoreSummary:
    """Mean absolute difference and Spearman's rho over the examples whose answer parsed."""
    parsed = [key for key in references if verdicts.get(key) is not None]
    expected = [float(references[key]) for key in parsed]
    judged = [float(verdicts[key]) for key in parsed]  # type: ignore[arg-type]
    differences = [abs(a - b) for a, b in zip(expected, judged, strict=True)]
    mad = sum(differences) / len(differences) if differences else None
    return ScoreSummary(
        examples=len(references),
        unparseable=len(references) - len(parsed),
        mean_absolute_difference=mad,
        spearman=spearman(expected, judged),
    )


def absolute_errors(
    references: Mapping[str, Verdict], verdicts: Mapping[str, Verdict | None]
) -> dict[str, float]:
    """``|verdict - reference|`` of every example whose answer parsed, in reference order."""
    return {
        key: abs(float(verdicts[key]) - float(ref))  # type: ignore[arg-type]
        for key, ref in references.items()
        if verdicts.get(key) is not None
    }


def cohen_kappa(first: Sequence[str], second: Sequence[str]) -> float | None:
    """Cohen's kappa of two raters over the same items; ``None`` when undefined (no items, or
    both raters always gave one and the same label, so chance agreement is 1)."""
    if len(first) != len(second):
        raise ValueError("both raters must rate the same items")
    total = len(first)
    if total == 0:
        return None
    observed = sum(1 for a, b in zip(first, second, strict=True) if a == b) / total
    first_counts, second_counts = Counter(first), Counter(second)
    expected = sum(first_counts[label] * second_counts[label] for label in first_counts) / (
        total * total
    )
    if math.isclose(expected, 1.0):
        return None
    return (observed - expected) / (1.0 - expected)


def spearman(first: Sequence[float], second: Sequence[float]) -> float | None:
    """Spearman's rank correlation; ``None`` with fewer than two pairs or a constant side."""
    if len(first) < 2 or len(set(first)) < 2 or len(set(second)) < 2:
        return None
    from scipy import stats

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        rho = float(stats.spearmanr(first, second).statistic)
    return None if math.isnan(rho) else rho


# --- paired tests -------------------------------------------------------------------------


def exact_mcnemar(lost: int, gained: int) -> float:
    """Two-sided exact McNemar p-value for ``lost`` (yes -> no) and ``gained`` (no -> yes)
    discordant pairs: a binomial test of ``lost`` out of ``lost + gained`` at one half."""
    discordant = lost + gained
    if discordant == 0:
        return 1.0
    tail = sum(math.comb(discordant, k) for k in range(min(lost, gained) + 1))
    return min(1.0, 2 * tail / 2**discordant)


def wilcoxon_signed_rank(before: Sequence[float], after: Sequence[float]) -> float:
    """Two-sided p-value of the Wilcoxon signed-rank test on paired values; 1.0 when no pair
    changed (zero differences are dropped, as Wilcoxon did)."""
    differences = [b - a for a, b in zip(before, after, strict=True) if not math.isclose(a, b)]
    if not differences:
        return 1.0
    from scipy import stats

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = stats.wilcoxon(differences, zero_method="wilcox")
    p_value = float(result.pvalue)
    return 1.0 if math.isnan(p_value) else p_value


def compare_runs(
    *,
    kind: Kind,
    references: Mapping[str, Verdict],
    previous: Mapping[str, Verdict | None],
    current: Mapping[str, Verdict | None],
    previous_run_id: str,
    confidence: float,
) -> PairedComparison:
    """The paired test(s) of this run against the previous one, and every flipped example.

    Only examples present in both runs are paired (a reference set that changed is not
    compared at all; the caller picks previous runs on the same set).
    """
    alpha = 1.0 - confidence
    shared = [key for key in references if key in previous]
    flips = tuple(
        Flip(key, references[key], previous[key], current.get(key))
        for key in shared
        if previous[key] != current.get(key)
    )
    if kind == "label":
        before = [previous[key] == references[key] for key in shared]
        after = [current.get(key) == references[key] for key in shared]
        tests = (_mcnemar_test("exact McNemar on agreement", before, after, alpha),)
    else:
        errors_before = absolute_errors({k: references[k] for k in shared}, previous)
        errors_after = absolute_errors({k: references[k] for k in shared}, current)
        both = [key for key in errors_before if key in errors_after]
        before_values = [errors_before[key] for key in both]
        after_values = [errors_after[key] for key in both]
        p_value = wilcoxon_signed_rank(before_values, after_values)
        changed = sum(
            1 for a, b in zip(before_values, after_values, strict=True) if not math.isclose(a, b)
        )
        mean_before = sum(before_values) / len(both) if both else 0.0
        mean_after = sum(after_values) / len(both) if both else 0.0
        tests = (
            DriftTest(
                "Wilcoxon signed-rank on absolute error",
                p_value,
                p_value < alpha,
                f"mean absolute error {mean_before:.3f} -> {mean_after:.3f} over {len(both)} "
                f"examples parsed in both runs, {changed} changed",
            ),
            _mcnemar_test(
                "exact McNemar on parseable answers",
                [previous[key] is not None for key in shared],
                [current.get(key) is not None for key in shared],
                alpha,
            ),
        )
    return PairedComparison(previous_run_id, tests, flips)


def _mcnemar_test(name: str, before: list[bool], after: list[bool], alpha: float) -> DriftTest:
    lost = sum(1 for b, a in zip(before, after, strict=True) if b and not a)
    gained = sum(1 for b, a in zip(before, after, strict=True) if a and not b)
    p_value = exact_mcnemar(lost, gained)
    return DriftTest(
        name,
        p_value,
        p_value < alpha,
        f"{sum(before)}/{len(before)} -> {sum(after)}/{len(after)} ({lost} lost, {gained} gained)",
    )
