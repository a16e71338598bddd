"""The in-memory notebook: cells, one virtual Python program, and the map back to the file."""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from nbgraduate.notebook.raw_positions import RawSourceIndex

SourceKind = Literal["ipynb", "script", "percent"]
CommandOrigin = Literal["line-magic", "shell", "cell-magic"]


@dataclass(slots=True)
class Cell:
    """One notebook cell as stored; a plain script is a single code cell."""

    index: int
    cell_type: str
    source: str
    cell_id: str | None = None
    tags: tuple[str, ...] = ()
    execution_count: int | None = None
    outputs: list[dict] = field(default_factory=list)
    #: First file line of this cell's source in a ``.py`` input (unused for ``.ipynb``).
    first_file_line: int = 1
    #: Cell magic that governs the body (``bash``, ``capture``...), if any.
    cell_magic: str | None = None

    @property
    def number(self) -> int:
        """The cell number users see: every cell counted from 1, as ruff does."""
        return self.index + 1

    @property
    def lines(self) -> list[str]:
        return self.source.split("\n")


@dataclass(frozen=True, slots=True)
class ShellCommand:
    """An IPython escape (``%pip ...``, ``!ls``, a ``%%bash`` body line) found in a code cell.

    ``text`` is the command with its escape removed (``pip install x`` for ``%pip install x``);
    ``column`` is the 1-based column of ``text`` in the cell line, so findings can point into it.
    """

    cell_index: int
    row: int
    column: int
    text: str
    origin: CommandOrigin
    magic: str | None = None
    #: For a command joined from backslash-continued lines: ``(text offset, row, column)`` where
    #: each continuation line's text starts, so positions inside ``text`` map back to their row.
    continuations: tuple[tuple[int, int, int], ...] = ()

    def locate(self, offset: int) -> tuple[int, int]:
        """The cell ``(row, column)`` of the 0-based ``offset`` into ``text``."""
        row, column, start = self.row, self.column, 0
        for segment_offset, segment_row, segment_column in self.continuations:
            if offset >= segment_offset:
                row, column, start = segment_row, segment_column, segment_offset
        return row, column + offset - start


@dataclass(frozen=True, slots=True)
class CellSyntaxError:
    """A code cell that does not parse; it is left out of the program and reported as NBG703."""

    cell_index: int
    row: int
    column: int
    message: str


# Read-only by convention, not ``frozen``: one is made per program line, and a frozen
# dataclass's ``__init__`` (``object.__setattr__`` per field) is three times slower.
@dataclass(slots=True, unsafe_hash=True)
class LineOrigin:
    """Where a line of the virtual program comes from: a cell row, and a column shift.

    The shift is the number of characters the IPython translation removed at the start of the
    line (``%time f()`` becomes ``f()``), so ``program column + column_shift = cell column``.
    """

    cell_index: int
    row: int
    column_shift: int = 0


@dataclass(slots=True)
class Notebook:
    """A notebook (or script) read once and modelled once, for rules, converter and hooks.

    ``program`` holds every parsable Python code cell in notebook order as one module;
    ``line_origins[n - 1]`` says which cell row virtual line ``n`` came from.
    """

    path: Path
    kind: SourceKind
    cells: list[Cell]
    raw_text: str
    language: str = "python"
    kernel_name: str = "python3"
    program_source: str = ""
    program: ast.Module = field(default_factory=lambda: ast.Module(body=[], type_ignores=[]))
    line_origins: list[LineOrigin] = field(default_factory=list)
    shell_commands: list[ShellCommand] = field(default_factory=list)
    syntax_errors: list[CellSyntaxError] = field(default_factory=list)
    _raw_index: RawSourceIndex | None = None

    @property
    def is_script(self) -> bool:
        return self.kind != "ipynb"

    @property
    def code_cells(self) -> list[Cell]:
        return [cell for cell in self.cells if cell.cell_type == "code"]

    def origin(self, program_line: int, program_column: int) -> tuple[int, int, int]:
        """Map a 1-based program line and 0-based AST column to ``(cell_index, row, column)``.

        The returned column is 1-based, as users count.
        """
        origin = self.line_origins[program_line - 1]
        return origin.cell_index, origin.row, program_column + origin.column_shift + 1

    def cell_line(self, cell_index: int, row: int) -> str:
        lines = self.cells[cell_index].lines
        return lines[row - 1] if 0 < row <= len(lines) else ""

    def file_position(self, cell_index: int, row: int, column: int) -> tuple[int, int]:
        """The 1-based line and column in the file on disk for a cell position.

        For ``.py`` inputs that is plain arithmetic; for ``.ipynb`` it is the JSON line that holds
        the source row, with the column shifted past the string's quote and escapes. The JSON is
        scanned lazily, once, only for notebooks that have findings.
        """
        cell = self.cells[cell_index]
        if self.kind != "ipynb":
            return cell.first_file_line + row - 1, column
        from nbgraduate.notebook import raw_positions

        if self._raw_index is None:
            self._raw_index = raw_positions.RawSourceIndex(self.raw_text, len(self.cells))
        rows = self._raw_index.rows(cell_index)
        if not rows:
            return 1, 1
        row_offset = rows[min(row, len(rows)) - 1]
        offset = raw_positions.offset_of_column(self.raw_text, row_offset, column - 1)
        return self._raw_index.line_and_column(offset)
