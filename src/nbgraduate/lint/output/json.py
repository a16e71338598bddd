"""The ``json`` format: ruff's JSON objects, plus the rule name, severity and cell id."""

from __future__ import annotations

import json

from nbgraduate.lint.diagnostics import Diagnostic, LintReport, Severity
from nbgraduate.lint.output._common import ordered, rule_counts

#: ``typing.TYPE_CHECKING`` without importing typing, which costs ``nbgraduate lint`` start-up.
TYPE_CHECKING = False

if TYPE_CHECKING:
    from typing import Any


def render_json(report: LintReport, *, statistics: bool = False) -> str:
    """A JSON array of findings (or of ``{code, name, count}`` rows with ``statistics``).

    Keys are sorted, as ruff's are, so that diffs of saved reports stay small.
    """
    if statistics:
        payload = [
            {"code": code, "name": name, "count": count}
            for count, code, name in rule_counts(report.diagnostics)
        ]
        return json.dumps(payload, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    findings = ordered(report)
    if not findings:
        return "[]\n"
    return "[\n" + ",\n".join(map(_object_text, findings)) + "\n]\n"


def _object_text(diagnostic: Diagnostic) -> str:
    """``_as_json(diagnostic)`` as ``json.dumps(..., indent=2, sort_keys=True,
    ensure_ascii=False)`` lays it out inside the array, character for character.

    Written from a template because json's indenting encoder is the pure-Python one: on a warm
    re-run answered by the cache, rendering a few thousand findings with it cost as much as
    everything else the run did. The keys are in sorted order; ``test_output`` compares this
    with ``json.dumps`` on awkward values.
    """
    d, value = diagnostic, _value
    return (
        f'  {{\n    "cell": {value(d.cell)},\n    "cell_id": {value(d.cell_id)},\n'
        f'    "code": {value(d.code)},\n'
        f'    "end_location": {{\n      "column": {value(d.end_column)},\n'
        f'      "row": {value(d.end_row)}\n    }},\n'
        f'    "filename": {value(d.path)},\n    "fix": null,\n'
        f'    "location": {{\n      "column": {value(d.column)},\n      "row": {value(d.row)}\n'
        f'    }},\n    "message": {value(d.message)},\n    "name": {value(d.name)},\n'
        # The suppression comment for a finding belongs on the row where the finding starts.
        f'    "noqa_row": {value(d.row)},\n    "severity": {_SEVERITY_TEXT[d.severity]},\n'
        f'    "url": {value(d.url)}\n  }}'
    )


#: What ``json.dumps(..., ensure_ascii=False)`` writes for a string (its C implementation).
_STRING = json.encoder.encode_basestring
#: Each severity as the template writes it (``.value`` is an enum property, slow per finding).
_SEVERITY_TEXT = {severity: _STRING(severity.value) for severity in Severity}


def _value(value: object) -> str:
    """One scalar as ``json.dumps(value, ensure_ascii=False)`` writes it."""
    if isinstance(value, str):
        return _STRING(value)
    if value is None:
        return "null"
    if isinstance(value, int) and not isinstance(value, bool):
        return int.__repr__(value)
    return json.dumps(value, ensure_ascii=False)


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
