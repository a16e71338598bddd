"""What a lint run reports: findings located in the user's own coordinates, ready to format."""

from __future__ import annotations

from enum import Enum

from nbgraduate.core.records import Record


class Severity(str, Enum):
    """How bad a finding is; mapped to SARIF levels and GitLab severities by the formatters."""

    ERROR = "error"
    WARNING = "warning"


class Diagnostic(Record):
    """One finding, located both in notebook terms (cell, row) and in the raw file (line).

    ``source_line`` and ``message`` never carry a secret: the linter masks keys in both.
    Columns are 1-based characters; ``end_column`` is exclusive.

    ``cell`` counts every cell from 1 (as ruff does); it is ``None`` for ``.py`` inputs, whose
    ``row`` is then the file line. ``file_line``/``file_column`` point into the file as stored on
    disk (for ``.ipynb`` the JSON line holding the source), so CI annotations land on the right
    line of a diff. For a notebook they are 0 when the run's output format does not print them
    (only github, gitlab and sarif do; see ``LintRequest.file_positions``).
    """

    _fields = (
        "path",
        "code",
        "name",
        "message",
        "severity",
        "cell",
        "cell_id",
        "row",
        "column",
        "end_row",
        "end_column",
        "file_line",
        "file_column",
        "file_end_line",
        "file_end_column",
        "source_line",
        "url",
        "line_fingerprint",
    )
    __slots__ = _fields

    def __init__(
        self,
        path: str,
        code: str,
        name: str,
        message: str,
        severity: Severity,
        cell: int | None,
        cell_id: str | None,
        row: int,
        column: int,
        end_row: int,
        end_column: int,
        file_line: int,
        file_column: int,
        file_end_line: int,
        file_end_column: int,
        source_line: str,
        url: str,
        #: Hash of the offending line as written (before redaction), so a baseline tells two
        #: different secrets on the same line apart without ever storing either of them.
        line_fingerprint: str = "",
    ) -> None:
        self.path = path
        self.code = code
        self.name = name
        self.message = message
        self.severity = severity
        self.cell = cell
        self.cell_id = cell_id
        self.row = row
        self.column = column
        self.end_row = end_row
        self.end_column = end_column
        self.file_line = file_line
        self.file_column = file_column
        self.file_end_line = file_end_line
        self.file_end_column = file_end_column
        self.source_line = source_line
        self.url = url
        self.line_fingerprint = line_fingerprint


class InputError(Record):
    """A file that could not be read or understood; reported on stderr, never fatal to the run."""

    _fields = ("path", "reason")
    __slots__ = _fields

    def __init__(self, path: str, reason: str) -> None:
        self.path = path
        self.reason = reason

    def __str__(self) -> str:
        return f"{self.path}: {self.reason}"


class LintReport(Record):
    """Everything one ``nbgraduate lint`` invocation found, in a stable order."""

    _fields = ("diagnostics", "errors", "files_checked")
    __slots__ = _fields
    #: Filled in as the run goes, so not hashable (as a dataclass that is not frozen).
    __hash__ = None  # type: ignore[assignment]

    def __init__(
        self,
        diagnostics: list[Diagnostic] | None = None,
        errors: list[InputError] | None = None,
        files_checked: int = 0,
    ) -> None:
        self.diagnostics: list[Diagnostic] = [] if diagnostics is None else diagnostics
        self.errors: list[InputError] = [] if errors is None else errors
        self.files_checked = files_checked

    def sort(self) -> None:
        self.diagnostics.sort(key=lambda d: (d.path, d.cell or 0, d.row, d.column, d.code))
        self.errors.sort(key=lambda e: e.path)
