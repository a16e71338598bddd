"""The ``gitlab`` format: a GitLab Code Quality report for merge-request widgets."""

from __future__ import annotations

import os

from nbgraduate.lint.diagnostics import Diagnostic, LintReport, Severity
from nbgraduate.lint.output._common import fingerprints, ordered, relative_posix_path
from nbgraduate.lint.output._indented import dumps_indented

#: ``typing.TYPE_CHECKING`` without importing typing, which costs ``nbgraduate lint`` start-up.
TYPE_CHECKING = False

if TYPE_CHECKING:
    from typing import Any

_SEVERITIES = {Severity.ERROR: "major", Severity.WARNING: "minor"}


def render_gitlab(report: LintReport) -> str:
    """A JSON array of Code Quality issues located by the file's own lines.

    Paths are relative to ``$CI_PROJECT_DIR`` (or the working directory outside CI) because
    GitLab matches them against the repository tree.
    """
    root = os.environ.get("CI_PROJECT_DIR") or os.getcwd()
    diagnostics = ordered(report)
    paths = [_project_path(d.path, root) for d in diagnostics]
    hashes = fingerprints(zip(paths, diagnostics, strict=True))
    issues = [
        _issue(diagnostic, path, fingerprint)
        for diagnostic, path, fingerprint in zip(diagnostics, paths, hashes, strict=True)
    ]
    return dumps_indented(issues) + "\n"


def _project_path(path: str, root: str) -> str:
    relative = relative_posix_path(path, root)
    return relative if relative is not None else os.path.abspath(path).replace(os.sep, "/")


def _issue(diagnostic: Diagnostic, path: str, fingerprint: str) -> dict[str, Any]:
    return {
        "check_name": diagnostic.code,
        # GitLab's widget shows only the description, so it carries the code too (as ruff's).
        "description": f"{diagnostic.code}: {diagnostic.message}",
        "severity": _SEVERITIES[diagnostic.severity],
        "fingerprint": fingerprint,
        "location": {
            "path": path,
            "positions": {
                "begin": {"line": diagnostic.file_line, "column": diagnostic.file_column},
                "end": {"line": diagnostic.file_end_line, "column": diagnostic.file_end_column},
            },
        },
    }
