"""NBG601: a pass/fail decision on a bare score, with no uncertainty."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from typing import TYPE_CHECKING

from nbgraduate.analysis.facts import dotted_name
from nbgraduate.rules.base import Example, Finding, Rule

if TYPE_CHECKING:
    from nbgraduate.lint.context import LintContext

_UNCERTAINTY_WORDS = re.compile(
    r"(?i)(?:^|_)(?:ci|lower|upper|lcb|ucb|lb|ub|bound|bounds|stderr|std_err|sem|se|interval|"
    r"conf|confidence|p|pval|p_value|pvalue|margin|low|high|hdi|credible)(?:_|$)"
)


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
        for comparison in context.facts.comparisons:
            node = comparison.node
            operands = [node.left, *node.comparators]
            thresholds = [o for o in operands if _is_number(o, context)]
            scores = [o for o in operands if not _is_number(o, context)]
            if not thresholds or not scores:
                continue
            if any(_is_count(score) for score in scores):
                continue
            if any(_mentions_uncertainty(operand) for operand in operands):
                continue
            gate = "assert" if comparison.gate == "assert" else "if-statement gate"
            message = (
                f"{gate} compares a point estimate to a bare threshold; gate on a confidence "
                "bound or a paired test instead"
            )
            yield self.finding(message, context.position(node), context.end_position(node))


def _is_number(node: ast.expr, context: LintContext) -> bool:
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        node = node.operand
    if isinstance(node, ast.Constant):
        return isinstance(node.value, (int, float)) and not isinstance(node.value, bool)
    if isinstance(node, ast.Name):
        values = context.values.resolve(node)
        return bool(values) and all(
            isinstance(v.value, (int, float)) and not isinstance(v.value, bool) for v in values
        )
    return False


def _is_count(node: ast.expr) -> bool:
    if isinstance(node, ast.Call):
        name = dotted_name(node.func) or ""
        return name in ("len", "sum") or name.endswith((".count", ".size", ".nunique"))
    if isinstance(node, ast.Attribute):
        return node.attr in ("size", "shape")
    if isinstance(node, ast.Name):
        return bool(re.search(r"(?i)(?:^|_)(?:n|num|count|len|size|rows)(?:_|$)", node.id))
    return False


def _mentions_uncertainty(node: ast.expr) -> bool:
    for child in ast.walk(node):
        if isinstance(child, ast.Name):
            name = child.id
        elif isinstance(child, ast.Attribute):
            name = child.attr
        elif isinstance(child, ast.Constant) and isinstance(child.value, str):
            name = child.value
        elif isinstance(child, ast.Call):
            name = (dotted_name(child.func) or "").rsplit(".", 1)[-1]
        else:
            continue
        if _UNCERTAINTY_WORDS.search(name):
            return True
        if isinstance(child, ast.Subscript) and isinstance(child.slice, ast.Constant):
            continue
    return False
