"""What a lint run reports: findings located in the user's own coordinates, ready to format."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum


class Severity(str, Enum):
    """How bad a finding is; mapped to SARIF levels and GitLab severities by the formatters."""

    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """One finding, located both in notebook terms (cell, row) and in the raw file (line).

    ``source_line`` and ``message`` never carry a secret: the linter masks keys in both.
    Columns are 1-based characters; ``end_column`` is exclusive.

    ``cell`` counts every cell from 1 (as ruff does); it is ``None`` for ``.py`` inputs, whose
    ``row`` is then the file line. ``file_line``/``file_column`` point into the file as stored on
    disk (for ``.ipynb`` the JSON line holding the source), so CI annotations land on the right
    line of a diff. For a notebook they are 0 when the run's output format does not print them
    (only github, gitlab and sarif do; see ``LintRequest.file_positions``).
    """

    path: str
    code: str
    name: str
    message: str
    severity: Severity
    cell: int | None
    cell_id: str | None
    row: int
    column: int
    end_row: int
    end_column: int
    file_line: int
    file_column: int
    file_end_line: int
    file_end_column: int
    source_line: str
    url: str
    #: Hash of the offending line as written (before redaction), so a baseline tells two
    #: different secrets on the same line apart without ever storing either of them.
    line_fingerprint: str = ""


@dataclass(frozen=True, slots=True)
class InputError:
    """A file that could not be read or understood; reported on stderr, never fatal to the run."""

    path: str
    reason: str

    def __str__(self) -> str:
        return f"{self.path}: {self.reason}"


@dataclass(slots=True)
class LintReport:
    """Everything one ``nbgraduate lint`` invocation found, in a stable order."""

    diagnostics: list[Diagnostic] = field(default_factory=list)
    errors: list[InputError] = field(default_factory=list)
    files_checked: int = 0

    def sort(self) -> None:
        self.diagnostics.sort(key=lambda d: (d.path, d.cell or 0, d.row, d.column, d.code))
        self.errors.sort(key=lambda e: e.path)
