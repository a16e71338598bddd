"""The ``json`` format: ruff's JSON objects, plus the rule name, severity and cell id."""

from __future__ import annotations

import json
from typing import Any

from nbgraduate.lint.diagnostics import Diagnostic, LintReport
from nbgraduate.lint.output._common import ordered, rule_counts


def render_json(report: LintReport, *, statistics: bool = False) -> str:
    """A JSON array of findings (or of ``{code, name, count}`` rows with ``statistics``).

    Keys are sorted, as ruff's are, so that diffs of saved reports stay small.
    """
    payload: list[dict[str, Any]]
    if statistics:
        payload = [
            {"code": code, "name": name, "count": count}
            for count, code, name in rule_counts(report.diagnostics)
        ]
    else:
        payload = [_as_json(d) for d in ordered(report)]
    return json.dumps(payload, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def _as_json(diagnostic: Diagnostic) -> dict[str, Any]:
    return {
        "cell": diagnostic.cell,
        "cell_id": diagnostic.cell_id,
        "code": diagnostic.code,
        "name": diagnostic.name,
        "message": diagnostic.message,
        "severity": diagnostic.severity.value,
        "filename": diagnostic.path,
        "location": {"row": diagnostic.row, "column": diagnostic.column},
        "end_location": {"row": diagnostic.end_row, "column": diagnostic.end_column},
        "fix": None,
        # The suppression comment for a finding belongs on the row where the finding starts.
        "noqa_row": diagnostic.row,
        "url": diagnostic.url,
    }
