"""Lint one notebook: run the enabled rules, apply suppressions, locate findings for reporting."""

from __future__ import annotations

import functools
from collections.abc import Collection, Iterable

from nbgraduate.core.errors import InputFileError
from nbgraduate.core.git_state import GitState
from nbgraduate.core.small_digest import sha256
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
    except (RecursionError, MemoryError):
        return FileResult([], InputError(job.display_path, "nested too deeply to read"))
    try:
        context = LintContext(
            notebook, policy_for(job.policy), job.locked_datasets, git_state=job.git_state
        )
        findings = _enabled_findings(context, job.codes)
        # Every line shown is redacted for every secret on it, whether or not NBG5 is selected
        # or suppressed there: a line printed for NBG101 must not print a password beside it.
        hidden = _secret_findings(context) if findings else []
        return FileResult(
            to_diagnostics(
                notebook,
                findings,
                job.display_path,
                hidden,
                file_positions=job.file_positions,
            )
        )
    except (RecursionError, MemoryError):
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
    return _enabled_findings(context, codes)


def secret_findings(notebook: Notebook, model_policy) -> list[Finding]:
    """Every credential (NBG5) finding in ``notebook``, whatever is selected or suppressed:
    what ``convert`` refuses to write into a pipeline."""
    return _secret_findings(LintContext(notebook, model_policy))


def _secret_findings(context: LintContext) -> list[Finding]:
    """Every credential finding, selected or not, suppressed or not: what output must mask."""
    found: list[Finding] = []
    for rule_class in ALL_RULES:
        if rule_class.code.startswith(SECRET_CODE_PREFIX) and rule_class.scope == "notebook":
            rule = rule_class()
            every = getattr(rule, "every_credential", None)
            if every is not None:
                found.extend(every(context))
            elif rule_class.code in context.credential_findings:
                found.extend(context.credential_findings[rule_class.code])
            else:
                found.extend(rule.check(context))
    return found


def _enabled_findings(context: LintContext, codes: Collection[str]) -> list[Finding]:
    notebook = context.notebook
    suppressions = file_suppressions(notebook)
    findings: list[Finding] = []
    for rule_class in ALL_RULES:
        if rule_class.code not in codes or rule_class.scope != "notebook":
            continue
        checked = rule_class().check(context)
        if rule_class.code.startswith(SECRET_CODE_PREFIX):
            checked = context.credential_findings[rule_class.code] = list(checked)
        for finding in checked:
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
    secret_findings: Iterable[Finding] = (),
    *,
    file_positions: bool = True,
) -> list[Diagnostic]:
    """Locate findings for reporting: cell numbers, file lines, and a redacted source line.

    Without ``file_positions`` a notebook's findings get no line of the ``.ipynb`` file
    (``file_line`` and the rest are 0): only the github, gitlab and sarif formats print those,
    and finding them means scanning the raw JSON. Scripts always get theirs (it is arithmetic).

    Every secret on a shown line is masked: the spans of ``secret_findings`` and of any NBG5
    finding among ``findings``, and every key :func:`~nbgraduate.knowledge.secrets.find_secrets`
    sees. Each line is split, redacted and hashed once however many findings it has, so the
    cost is linear in the findings (a line of thousands of findings was quadratic).
    """
    is_script = notebook.is_script
    locate = file_positions or is_script
    findings = list(findings)
    lines = _ShownLines(notebook, [*findings, *secret_findings])
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
        source_line, line_fingerprint = lines.shown(start.cell_index, start.row)
        if is_script:
            row, end_row_shown = file_line, file_end_line
        else:
            row, end_row_shown = start.row, end_row
        # Arguments by position, in ``Diagnostic._fields`` order: a class called with keywords
        # gets them as a dict, eighteen entries built and unpacked for every finding.
        diagnostics.append(
            Diagnostic(
                display_path,  # path
                finding.code,  # code
                rule.name,  # name
                _redacted(finding.message),  # message
                rule.severity,  # severity
                None if is_script else cell.number,  # cell
                None if is_script else cell.cell_id,  # cell_id
                row,  # row
                start.column,  # column
                end_row_shown,  # end_row
                end_column,  # end_column
                file_line,  # file_line
                file_column,  # file_column
                file_end_line,  # file_end_line
                file_end_column,  # file_end_column
                source_line,  # source_line
                _rule_url(rule.code),  # url
                line_fingerprint,  # line_fingerprint
            )
        )
    return diagnostics


class _ShownLines:
    """Source lines as output shows them: secrets masked (length kept, so columns stay right)
    and a fingerprint of the line as written, each computed once per line."""

    def __init__(self, notebook: Notebook, findings: Iterable[Finding]) -> None:
        self.notebook = notebook
        self.spans: dict[tuple[int, int], list[tuple[int, int]]] = {}
        for finding in findings:
            if not finding.code.startswith(SECRET_CODE_PREFIX):
                continue
            start, end = finding.start, finding.end
            if end.cell_index != start.cell_index or end.row != start.row:
                end_column = -1  # a span onto later rows: masked to the end of its first row
            else:
                end_column = end.column - 1
            self.spans.setdefault((start.cell_index, start.row), []).append(
                (start.column - 1, end_column)
            )
        self._cell_lines: dict[int, list[str]] = {}
        self._shown: dict[tuple[int, int], tuple[str, str]] = {}

    def shown(self, cell_index: int, row: int) -> tuple[str, str]:
        key = (cell_index, row)
        cached = self._shown.get(key)
        if cached is not None:
            return cached
        lines = self._cell_lines.get(cell_index)
        if lines is None:
            lines = self._cell_lines[cell_index] = self.notebook.cells[cell_index].lines
        line = lines[row - 1] if 0 < row <= len(lines) else ""
        spans = [
            (start, len(line) if end < 0 else end)
            for start, end in self.spans.get(key, ())
            if 0 <= start < len(line)
        ]
        spans += [(match.start, match.end) for match in secrets.find_secrets(line)]
        shown = (secrets.redact_spans(line, spans, keep_columns=True), _line_fingerprint(line))
        self._shown[key] = shown
        return shown


@functools.cache
def _rule_url(code: str) -> str:
    return RULES_BY_CODE[code].url()


@functools.lru_cache(maxsize=4096)
def _redacted(message: str) -> str:
    """A message with its keys masked; most messages recur (one per rule and name), and the
    scan for keys is most of the cost of locating a finding."""
    return secrets.redact(message)


def _line_fingerprint(line: str) -> str:
    return sha256(" ".join(line.split()).encode("utf-8")).hexdigest()[:16]
