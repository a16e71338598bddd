"""The ``sarif`` format: SARIF 2.1.0 for GitHub code scanning and other SARIF viewers."""

from __future__ import annotations

import inspect
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from urllib.parse import quote

from nbgraduate import __version__
from nbgraduate.lint.diagnostics import Diagnostic, InputError, LintReport, Severity
from nbgraduate.lint.output._common import (
    fingerprints,
    ordered,
    printable,
    relative_posix_path,
)
from nbgraduate.lint.output._indented import dumps_indented
from nbgraduate.lint.rules.base import Rule

SARIF_SCHEMA = (
    "https://raw.githubusercontent.com/oasis-tcs/sarif-spec/master/Schemata/sarif-schema-2.1.0.json"
)
INFORMATION_URI = "https://github.com/nbgraduate/nbgraduate"
SOURCE_ROOT = "%SRCROOT%"
FINGERPRINT_KEY = "nbgraduate/v1"

_LEVELS = {Severity.ERROR: "error", Severity.WARNING: "warning"}


def render_sarif(report: LintReport, *, rules: Sequence[type[Rule]]) -> str:
    """One SARIF run listing every rule in ``rules`` and every finding of ``report``.

    Regions use the lines of the file as stored, so for an ``.ipynb`` code scanning highlights
    the JSON line that holds the offending source (ruff falls back to 1:1 there); the cell
    number and id travel in a logical location and in the result's properties.
    """
    cwd = os.getcwd()
    descriptors = _unique_by_code(rules)
    rule_index = {rule.code: index for index, rule in enumerate(descriptors)}
    diagnostics = ordered(report)
    # Once per file, not per finding: a relative path, a percent-encoding and, outside the
    # working directory, a ``file:`` URI built by pathlib.
    located: dict[str, dict[str, str]] = {}
    for path in dict.fromkeys(d.path for d in diagnostics):
        located[path] = _artifact_location(path, cwd)
    artifacts = [located[d.path] for d in diagnostics]
    uris = [artifact["uri"] for artifact in artifacts]
    hashes = fingerprints(zip(uris, diagnostics, strict=True))
    run = {
        "tool": {
            "driver": {
                "name": "nbgraduate",
                "version": __version__,
                "informationUri": INFORMATION_URI,
                "rules": [_rule_descriptor(rule) for rule in descriptors],
            }
        },
        "invocations": [_invocation(report.errors, cwd)],
        "originalUriBaseIds": {SOURCE_ROOT: {"uri": _directory_uri(cwd)}},
        # Columns are Python string offsets, i.e. code points, not SARIF's UTF-16 default.
        "columnKind": "unicodeCodePoints",
        "results": [
            _result(d, artifact, rule_index.get(d.code), fingerprint)
            for d, artifact, fingerprint in zip(diagnostics, artifacts, hashes, strict=True)
        ],
    }
    document = {"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [run]}
    return dumps_indented(document) + "\n"


def _unique_by_code(rules: Sequence[type[Rule]]) -> list[type[Rule]]:
    """Rules sorted by code, once each, so ``ruleIndex`` is stable between runs."""
    by_code = {rule.code: rule for rule in rules}
    return [by_code[code] for code in sorted(by_code)]


def _rule_descriptor(rule: type[Rule]) -> dict[str, Any]:
    level = _LEVELS[rule.severity]
    documentation = rule.documentation()
    return {
        "id": rule.code,
        "name": rule.name,
        "shortDescription": {"text": rule.summary},
        "fullDescription": {"text": inspect.cleandoc(rule.rationale)},
        "help": {"text": documentation, "markdown": documentation},
        "helpUri": rule.url(),
        "defaultConfiguration": {"level": level},
        # GitHub code scanning reads `problem.severity` and `tags` for non-security alerts.
        "properties": {"tags": ["reproducibility", "llm-eval"], "problem.severity": level},
    }


def _artifact_location(path: str, cwd: str) -> dict[str, str]:
    """A URI relative to ``%SRCROOT%`` (the working directory), percent-encoded per RFC 3986.

    Files outside the working directory get an absolute ``file:`` URI instead of ``../``
    segments, which code scanning would not resolve against the repository.
    """
    relative = relative_posix_path(path, cwd)
    if relative is None:
        return {"uri": Path(os.path.abspath(path)).as_uri()}
    # Encoded from the path's bytes: a file name that is not UTF-8 keeps its exact URI.
    return {"uri": quote(os.fsencode(relative), safe="/"), "uriBaseId": SOURCE_ROOT}


def _directory_uri(directory: str) -> str:
    uri = Path(os.path.abspath(directory)).as_uri()
    return uri if uri.endswith("/") else f"{uri}/"


def _result(
    diagnostic: Diagnostic,
    artifact: dict[str, str],
    rule_index: int | None,
    fingerprint: str,
) -> dict[str, Any]:
    location: dict[str, Any] = {
        "physicalLocation": {
            "artifactLocation": artifact,
            "region": {
                "startLine": diagnostic.file_line,
                "startColumn": diagnostic.file_column,
                "endLine": diagnostic.file_end_line,
                "endColumn": diagnostic.file_end_column,
            },
        }
    }
    properties: dict[str, Any] = {
        "row": diagnostic.row,
        "column": diagnostic.column,
        "endRow": diagnostic.end_row,
        "endColumn": diagnostic.end_column,
    }
    if diagnostic.cell is not None:
        location["logicalLocations"] = [
            {"name": f"cell {diagnostic.cell}", "fullyQualifiedName": _cell_name(diagnostic)}
        ]
        properties["cell"] = diagnostic.cell
        if diagnostic.cell_id is not None:
            properties["cellId"] = printable(diagnostic.cell_id)
    result: dict[str, Any] = {"ruleId": diagnostic.code}
    if rule_index is not None:
        result["ruleIndex"] = rule_index
    result.update(
        {
            "level": _LEVELS[diagnostic.severity],
            "message": {"text": printable(diagnostic.message)},
            "locations": [location],
            "partialFingerprints": {FINGERPRINT_KEY: fingerprint},
            "properties": properties,
        }
    )
    return result


def _cell_name(diagnostic: Diagnostic) -> str:
    cell = f"cell {diagnostic.cell}"
    return f"{cell} ({printable(diagnostic.cell_id)})" if diagnostic.cell_id else cell


def _invocation(errors: Sequence[InputError], cwd: str) -> dict[str, Any]:
    """Unreadable files become tool notifications: not findings, but not a silent pass either."""
    invocation: dict[str, Any] = {"executionSuccessful": not errors}
    if errors:
        invocation["toolExecutionNotifications"] = [
            {
                "descriptor": {"id": "input-error"},
                "level": "error",
                "message": {"text": printable(str(error))},
                "locations": [
                    {"physicalLocation": {"artifactLocation": _artifact_location(error.path, cwd)}}
                ],
            }
            for error in errors
        ]
    return invocation
