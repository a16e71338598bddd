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
    d = diagnostic
    if not _has_plain_types(d):
        return _object_text_of_any(d)
    string = _STRING
    cell = "null" if d.cell is None else f"{d.cell}"
    cell_id = "null" if d.cell_id is None else string(d.cell_id)
    return (
        f'  {{\n    "cell": {cell},\n    "cell_id": {cell_id},\n    "code": {string(d.code)},\n'
        f'    "end_location": {{\n      "column": {d.end_column},\n      "row": {d.end_row}\n'
        f'    }},\n    "filename": {string(d.path)},\n    "fix": null,\n'
        f'    "location": {{\n      "column": {d.column},\n      "row": {d.row}\n    }},\n'
        f'    "message": {string(d.message)},\n    "name": {string(d.name)},\n'
        # The suppression comment for a finding belongs on the row where the finding starts.
        f'    "noqa_row": {d.row},\n    "severity": {_SEVERITY_TEXT[d.severity]},\n'
        f'    "url": {string(d.url)}\n  }}'
    )


def _has_plain_types(d: Diagnostic) -> bool:
    """Whether every field has its declared type exactly (an ``int`` subclass such as ``bool``
    formats differently), so the template may format them directly."""
    return (
        type(d.code) is str
        and type(d.path) is str
        and type(d.message) is str
        and type(d.name) is str
        and type(d.url) is str
        and type(d.severity) is Severity
        and type(d.row) is int
        and type(d.column) is int
        and type(d.end_row) is int
        and type(d.end_column) is int
        and (d.cell is None or type(d.cell) is int)
        and (d.cell_id is None or type(d.cell_id) is str)
    )


def _object_text_of_any(diagnostic: Diagnostic) -> str:
    value = _value
    return (
        "  {\n"
        f'    "cell": {value(diagnostic.cell)},\n'
        f'    "cell_id": {value(diagnostic.cell_id)},\n'
        f'    "code": {value(diagnostic.code)},\n'
        '    "end_location": {\n'
        f'      "column": {value(diagnostic.end_column)},\n'
        f'      "row": {value(diagnostic.end_row)}\n'
        "    },\n"
        f'    "filename": {value(diagnostic.path)},\n'
        '    "fix": null,\n'
        '    "location": {\n'
        f'      "column": {value(diagnostic.column)},\n'
        f'      "row": {value(diagnostic.row)}\n'
        "    },\n"
        f'    "message": {value(diagnostic.message)},\n'
        f'    "name": {value(diagnostic.name)},\n'
        f'    "noqa_row": {value(diagnostic.row)},\n'
        f'    "severity": {value(diagnostic.severity.value)},\n'
        f'    "url": {value(diagnostic.url)}\n'
        "  }"
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
