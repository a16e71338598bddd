"""The gate's result: per-metric estimates and verdicts, the runs compared, and the exit code."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import Enum

from nbgraduate.gate.statistics import Estimate, RunSummary

__all__ = ["GateReport", "MetricResult", "RunInfo", "Verdict"]


class Verdict(str, Enum):
    """A metric's verdict, or the gate's (the worst of its metrics')."""

    PASS = "PASS"
    FAIL = "FAIL"
    INCONCLUSIVE = "INCONCLUSIVE"


@dataclass(frozen=True)
class RunInfo:
    """Which run was compared and how it was named, so a reader can find it again."""

    run_id: str
    pipeline: str
    spec: str
    source: str
    git_commit: str | None
    git_dirty: bool | None
    started_at: datetime
    contract_version: str | None
    status: str
    #: The CI workflow run that made the run (recorded from GitHub's variables), if any.
    ci_url: str | None = None


@dataclass(frozen=True)
class MetricResult:
    """One metric: both runs on the paired examples, the difference, and the verdict."""

    name: str
    lower_is_better: bool
    n: int
    #: Example ids in only one run, dropped within ``--id-tolerance``.
    unpaired: int
    baseline_repeats: int
    candidate_repeats: int
    baseline: RunSummary
    candidate: RunSummary
    difference: Estimate
    #: The p-values the verdict used: Benjamini-Hochberg adjusted across metrics (equal to the
    #: raw ones for a single metric).
    p_fail_adjusted: float
    p_pass_adjusted: float
    verdict: Verdict
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class GateReport:
    """Everything the gate decided; ``exit_code`` is what the CLI returns."""

    baseline: RunInfo
    candidate: RunInfo
    margin: float
    confidence: float
    inconclusive: str
    metrics: tuple[MetricResult, ...]
    #: Shown prominently: an allowed eval-contract change, a run that did not end cleanly.
    warnings: tuple[str, ...] = ()
    #: Metrics that were not gated, and why.
    notes: tuple[str, ...] = ()

    @property
    def adjusted(self) -> bool:
        """Whether Benjamini-Hochberg adjusted the p-values (more than one metric)."""
        return len(self.metrics) > 1

    @property
    def verdict(self) -> Verdict:
        """FAIL if any metric fails, else INCONCLUSIVE if any is, else PASS."""
        verdicts = {metric.verdict for metric in self.metrics}
        for verdict in (Verdict.FAIL, Verdict.INCONCLUSIVE):
            if verdict in verdicts:
                return verdict
        return Verdict.PASS

    @property
    def exit_code(self) -> int:
        """0 all PASS; 1 any FAIL, or any INCONCLUSIVE unless ``--inconclusive pass``."""
        verdict = self.verdict
        if verdict is Verdict.FAIL:
            return 1
        if verdict is Verdict.INCONCLUSIVE and self.inconclusive != "pass":
            return 1
        return 0

    def counts(self) -> dict[Verdict, int]:
        """How many metrics got each verdict (every verdict present, possibly 0)."""
        tally = dict.fromkeys(Verdict, 0)
        for metric in self.metrics:
            tally[metric.verdict] += 1
        return tally
