"""The ``concise`` format: one grep-able line per finding, then a summary."""

from __future__ import annotations

import os

from nbgraduate.lint.diagnostics import LintReport
from nbgraduate.lint.output._common import display_path, location_label, ordered, summary


def render_concise(report: LintReport, *, statistics: bool = False) -> str:
    """``path:cell N:row:col: CODE message`` lines (no cell for ``.py``) and the summary."""
    if statistics:
        from nbgraduate.lint.output.statistics import render_statistics

        return render_statistics(report)
    cwd = os.getcwd()
    lines = [
        f"{location_label(d, display_path(d.path, cwd))}: {d.code} {d.message}"
        for d in ordered(report)
    ]
    lines.append(summary(report))
    return "\n".join(lines) + "\n"
