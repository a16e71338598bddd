"""NBG601: a pass/fail decision on a bare score, with no uncertainty."""

from __future__ import annotations

from collections.abc import Iterator

from nbgraduate.analysis.gates import point_estimate_gates
from nbgraduate.lint.rules.base import Example, Finding, Rule

#: ``typing.TYPE_CHECKING`` without importing typing, which costs ``nbgraduate lint`` start-up.
TYPE_CHECKING = False

if TYPE_CHECKING:
    from nbgraduate.lint.context import LintContext


class PointEstimateGate(Rule):
    """Reports ``assert`` statements and ``if ...: raise/sys.exit`` gates that compare a score to
    a bare numeric threshold. A comparison whose values mention a standard error, a confidence
    bound or a p-value (``acc_lower``, ``ci[0]``, ``score - 2 * se``) is a statistical gate and
    is not reported."""

    code = "NBG601"
    name = "point-estimate-gate"
    summary = "Release gate compares a bare score to a threshold"
    rationale = """
        One eval run is a sample. Gating on ``accuracy >= 0.85`` fails releases on noise and
        passes real regressions on luck; teams learn to re-run until green. Gate on a
        confidence bound (or use ``nbgraduate gate``, which tests the paired difference).
    """
    bad = (
        Example("accuracy = (preds == labels).mean()\nassert accuracy >= 0.85\n"),
        Example("import sys\nif win_rate < 0.5:\n    sys.exit(1)\n"),
    )
    good = (
        Example("acc_lower, acc_upper = bootstrap_ci(scores)\nassert acc_lower >= 0.85\n"),
        Example("assert len(rows) >= 100\n"),
    )

    def check(self, context: LintContext) -> Iterator[Finding]:
        for gate in point_estimate_gates(context.facts, context.values):
            node = gate.comparison.node
            kind = "assert" if gate.comparison.gate == "assert" else "if-statement gate"
            message = (
                f"{kind} compares a point estimate to a bare threshold; gate on a confidence "
                "bound or a paired test instead"
            )
            yield self.finding(message, context.position(node), context.end_position(node))
