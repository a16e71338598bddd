"""Lint one notebook: run the enabled rules, apply suppressions, locate findings for reporting."""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Collection, Iterable

from nbgraduate.core.errors import InputFileError
from nbgraduate.core.git_state import GitState
from nbgraduate.knowledge import secrets
from nbgraduate.knowledge.model_policy import policy_for
from nbgraduate.lint.context import LintContext
from nbgraduate.lint.diagnostics import Diagnostic, InputError
from nbgraduate.lint.findings import Finding
from nbgraduate.lint.jobs import FileJob, FileResult
from nbgraduate.lint.noqa import file_suppressions
from nbgraduate.lint.rules import ALL_RULES, RULES_BY_CODE
from nbgraduate.notebook.model import Notebook
from nbgraduate.notebook.reader import read_notebook

SECRET_CODE_PREFIX = "NBG5"


def lint_file(job: FileJob) -> FileResult:
    """Read, model and lint one file; unreadable input becomes an :class:`InputError`."""
    try:
        notebook = read_notebook(job.path)
    except InputFileError as error:
        return FileResult([], InputError(job.display_path, secrets.redact(error.reason)))
    try:
        findings = lint_notebook(
            notebook,
            job.codes,
            policy_for(job.policy),
            job.locked_datasets,
            git_state=job.git_state,
        )
        return FileResult(
            to_diagnostics(notebook, findings, job.display_path, file_positions=job.file_positions)
        )
    except RecursionError:
        return FileResult([], InputError(job.display_path, "code nested too deeply to analyse"))
    except Exception as error:  # a linter bug must not hide the other files' findings
        reason = f"internal error while linting ({type(error).__name__}: {error}); please report it"
        return FileResult([], InputError(job.display_path, secrets.redact(reason)))


def lint_notebook(
    notebook: Notebook,
    codes: Collection[str],
    model_policy,
    locked_datasets: frozenset[str] = frozenset(),
    *,
    git_state: GitState | None = None,
) -> list[Finding]:
    """Findings of the enabled rules that no ``noqa`` comment suppresses, in position order."""
    context = LintContext(notebook, model_policy, locked_datasets, git_state=git_state)
    suppressions = file_suppressions(notebook)
    findings: list[Finding] = []
    for rule_class in ALL_RULES:
        if rule_class.code not in codes or rule_class.scope != "notebook":
            continue
        for finding in rule_class().check(context):
            if suppressions.suppresses(
                notebook, finding.code, finding.start.cell_index, finding.start.row
            ):
                continue
            findings.append(finding)
    findings.sort(key=lambda f: (f.start.cell_index, f.start.row, f.start.column, f.code))
    return findings


def to_diagnostics(
    notebook: Notebook,
    findings: Iterable[Finding],
    display_path: str,
    *,
    file_positions: bool = True,
) -> list[Diagnostic]:
    """Locate findings for reporting: cell numbers, file lines, and a redacted source line.

    Without ``file_positions`` a notebook's findings get no line of the ``.ipynb`` file
    (``file_line`` and the rest are 0): only the github, gitlab and sarif formats print those,
    and finding them means scanning the raw JSON. Scripts always get theirs (it is arithmetic).
    """
    locate = file_positions or notebook.kind != "ipynb"
    diagnostics = []
    for finding in findings:
        rule = RULES_BY_CODE[finding.code]
        start, end = finding.start, finding.end
        cell = notebook.cells[start.cell_index]
        end_cell = end.cell_index if end.cell_index == start.cell_index else start.cell_index
        end_row, end_column = (
            (end.row, end.column) if end_cell == end.cell_index else (start.row, start.column)
        )
        if locate:
            file_line, file_column = notebook.file_position(
                start.cell_index, start.row, start.column
            )
            file_end_line, file_end_column = notebook.file_position(end_cell, end_row, end_column)
        else:
            file_line = file_column = file_end_line = file_end_column = 0
        raw_line = notebook.cell_line(start.cell_index, start.row)
        source_line = _redacted(raw_line, finding)
        if notebook.is_script:
            row, end_row_shown = file_line, file_end_line
        else:
            row, end_row_shown = start.row, end_row
        diagnostics.append(
            Diagnostic(
                path=display_path,
                code=finding.code,
                name=rule.name,
                message=secrets.redact(finding.message),
                severity=rule.severity,
                cell=None if notebook.is_script else cell.number,
                cell_id=None if notebook.is_script else cell.cell_id,
                row=row,
                column=start.column,
                end_row=end_row_shown,
                end_column=end_column,
                file_line=file_line,
                file_column=file_column,
                file_end_line=file_end_line,
                file_end_column=file_end_column,
                source_line=source_line,
                url=_rule_url(rule.code),
                line_fingerprint=_line_fingerprint(raw_line),
            )
        )
    return diagnostics


def _redacted(line: str, finding: Finding) -> str:
    """The source line with every secret masked, keeping its length so columns stay right."""
    if finding.code.startswith(SECRET_CODE_PREFIX) and finding.start.row == finding.end.row:
        start, end = finding.start.column - 1, finding.end.column - 1
        if 0 <= start < end <= len(line):
            line = line[:start] + secrets.mask_in_place(line[start:end]) + line[end:]
    return secrets.redact(line, keep_columns=True)


@functools.cache
def _rule_url(code: str) -> str:
    return RULES_BY_CODE[code].url()


def _line_fingerprint(line: str) -> str:
    return hashlib.sha256(" ".join(line.split()).encode("utf-8")).hexdigest()[:16]
