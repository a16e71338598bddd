"""The ``--statistics`` table: how often each rule fired, like ``ruff --statistics``."""

from __future__ import annotations

from nbgraduate.lint.diagnostics import LintReport
from nbgraduate.lint.output._common import rule_counts, summary


def render_statistics(report: LintReport) -> str:
    """One ``count  CODE  name`` row per rule, columns aligned, then the summary line."""
    rows = rule_counts(report.diagnostics)
    lines = []
    if rows:
        count_width = max(len(str(count)) for count, _, _ in rows)
        code_width = max(len(code) for _, code, _ in rows)
        lines = [
            f"{count:>{count_width}}  {code:<{code_width}}  {name}" for count, code, name in rows
        ]
    lines.append(summary(report))
    return "\n".join(lines) + "\n"
