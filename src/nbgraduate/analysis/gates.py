"""Pass/fail gates that compare a point estimate with a bare threshold (NBG601's subject)."""

from __future__ import annotations

import ast
import re

from nbgraduate.analysis.facts import Comparison, ProgramFacts, dotted_name
from nbgraduate.analysis.values import ResolvedValue, ValueResolver
from nbgraduate.core import regex_cache
from nbgraduate.core.records import Record

_UNCERTAINTY_WORDS = regex_cache.compile(
    r"(?i)(?:^|_)(?:ci|lower|upper|lcb|ucb|lb|ub|bound|bounds|stderr|std_err|sem|se|interval|"
    r"conf|confidence|p|pval|p_value|pvalue|margin|low|high|hdi|credible)(?:_|$)"
)


class PointEstimateGate(Record):
    """A gate on a bare number: ``threshold_values`` are where the threshold is written."""

    _fields = ("comparison", "score", "threshold", "threshold_values")
    __slots__ = _fields

    def __init__(
        self,
        comparison: Comparison,
        score: ast.expr,
        threshold: ast.expr,
        threshold_values: list[ResolvedValue],
    ) -> None:
        self.comparison = comparison
        self.score = score
        self.threshold = threshold
        self.threshold_values = threshold_values


def point_estimate_gates(facts: ProgramFacts, values: ValueResolver) -> list[PointEstimateGate]:
    """Gates comparing a score (not a count, not an interval bound) with a plain number."""
    gates = []
    for comparison in facts.comparisons:
        node = comparison.node
        operands = [node.left, *node.comparators]
        numbers = [(operand, numeric_values(operand, values)) for operand in operands]
        thresholds = [(operand, found) for operand, found in numbers if found]
        scores = [operand for operand, found in numbers if not found]
        if not thresholds or not scores:
            continue
        if any(_is_count(score) for score in scores) or any(
            _mentions_uncertainty(operand) for operand in operands
        ):
            continue
        threshold, found = thresholds[0]
        gates.append(PointEstimateGate(comparison, scores[0], threshold, found))
    return gates


def numeric_values(node: ast.expr, values: ValueResolver) -> list[ResolvedValue]:
    """The numbers an operand certainly holds (a literal, a constant, a config entry), or []."""
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        inner = numeric_values(node.operand, values)
        return [ResolvedValue(-v.value, node) for v in inner if v.node is node.operand]  # type: ignore[operator]
    resolved = values.resolve(node)
    if resolved and all(_is_plain_number(v.value) for v in resolved):
        return resolved
    return []


def _is_plain_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


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
    return False
