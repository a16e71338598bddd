"""From per-metric p-values to verdicts, with Benjamini-Hochberg across metrics."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from nbgraduate.gate.report import Verdict
from nbgraduate.gate.statistics import Estimate, benjamini_hochberg

__all__ = ["Decision", "decide"]


@dataclass(frozen=True)
class Decision:
    verdict: Verdict
    p_fail_adjusted: float
    p_pass_adjusted: float
    #: Set when the adjustment changed the verdict one metric would get on its own.
    note: str | None = None


def decide(estimates: Sequence[Estimate], confidence: float) -> list[Decision]:
    """One decision per estimate, in order.

    FAIL when the (adjusted) FAIL-test p-value is below ``1 - confidence`` (for one metric:
    the upper bound is below ``-margin``), PASS when the PASS-test p-value is (the lower bound
    is above ``-margin``), else INCONCLUSIVE. With several metrics, each family of tests (the
    FAIL tests, the PASS tests) is adjusted by Benjamini-Hochberg, so in expectation at most
    ``1 - confidence`` of the FAIL verdicts are false alarms and at most that share of the PASS
    verdicts hide a regression beyond the margin.
    """
    alpha = 1.0 - confidence
    fail_adjusted = benjamini_hochberg([estimate.p_fail for estimate in estimates])
    pass_adjusted = benjamini_hochberg([estimate.p_pass for estimate in estimates])
    decisions = []
    for estimate, p_fail, p_pass in zip(estimates, fail_adjusted, pass_adjusted, strict=True):
        verdict = _verdict(p_fail, p_pass, alpha)
        alone = _verdict(estimate.p_fail, estimate.p_pass, alpha)
        note = None
        if verdict is not alone:
            note = (
                f"{alone.value} on its own; {verdict.value} after the Benjamini-Hochberg"
                f" adjustment across {len(estimates)} metrics"
            )
        decisions.append(Decision(verdict, p_fail, p_pass, note))
    return decisions


def _verdict(p_fail: float, p_pass: float, alpha: float) -> Verdict:
    if p_fail < alpha:
        return Verdict.FAIL
    if p_pass < alpha:
        return Verdict.PASS
    return Verdict.INCONCLUSIVE
