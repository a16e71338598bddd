"""The in-memory notebook: cells, one virtual Python program, and the map back to the file."""

from __future__ import annotations

import ast
from itertools import repeat
from pathlib import Path

from nbgraduate.core.records import Record

#: ``typing.TYPE_CHECKING`` without importing typing, which costs ``nbgraduate lint`` start-up.
TYPE_CHECKING = False

if TYPE_CHECKING:
    from typing import Literal

    from nbgraduate.notebook.raw_positions import RawSourceIndex

    SourceKind = Literal["ipynb", "script", "percent"]
    CommandOrigin = Literal["line-magic", "shell", "cell-magic"]
else:
    SourceKind = CommandOrigin = str

# The classes below are records (:mod:`nbgraduate.core.records`), not dataclasses: every lint
# run loads them, and ``dataclasses`` costs start-up an import and an ``exec`` per class.


class Cell(Record):
    """One notebook cell as stored; a plain script is a single code cell."""

    _fields = (
        "index",
        "cell_type",
        "source",
        "cell_id",
        "tags",
        "execution_count",
        "outputs",
        "first_file_line",
        "cell_magic",
    )
    __slots__ = _fields

    def __init__(
        self,
        index: int,
        cell_type: str,
        source: str,
        cell_id: str | None = None,
        tags: tuple[str, ...] = (),
        execution_count: int | None = None,
        outputs: list[dict] | None = None,
        #: First file line of this cell's source in a ``.py`` input (unused for ``.ipynb``).
        first_file_line: int = 1,
        #: Cell magic that governs the body (``bash``, ``capture``...), if any.
        cell_magic: str | None = None,
    ) -> None:
        self.index = index
        self.cell_type = cell_type
        self.source = source
        self.cell_id = cell_id
        self.tags = tags
        self.execution_count = execution_count
        self.outputs = [] if outputs is None else outputs
        self.first_file_line = first_file_line
        self.cell_magic = cell_magic

    @property
    def number(self) -> int:
        """The cell number users see: every cell counted from 1, as ruff does."""
        return self.index + 1

    @property
    def lines(self) -> list[str]:
        return self.source.split("\n")


class ShellCommand(Record):
    """An IPython escape (``%pip ...``, ``!ls``, a ``%%bash`` body line) found in a code cell.

    ``text`` is the command with its escape removed (``pip install x`` for ``%pip install x``);
    ``column`` is the 1-based column of ``text`` in the cell line, so findings can point into it.
    """

    _fields = ("cell_index", "row", "column", "text", "origin", "magic", "continuations")
    __slots__ = _fields

    def __init__(
        self,
        cell_index: int,
        row: int,
        column: int,
        text: str,
        origin: CommandOrigin,
        magic: str | None = None,
        #: For a command joined from backslash-continued lines: ``(text offset, row, column)``
        #: where each continuation line's text starts, so positions inside ``text`` map back.
        continuations: tuple[tuple[int, int, int], ...] = (),
    ) -> None:
        self.cell_index = cell_index
        self.row = row
        self.column = column
        self.text = text
        self.origin = origin
        self.magic = magic
        self.continuations = continuations

    def locate(self, offset: int) -> tuple[int, int]:
        """The cell ``(row, column)`` of the 0-based ``offset`` into ``text``."""
        row, column, start = self.row, self.column, 0
        for segment_offset, segment_row, segment_column in self.continuations:
            if offset >= segment_offset:
                row, column, start = segment_row, segment_column, segment_offset
        return row, column + offset - start


class CellSyntaxError(Record):
    """A code cell that does not parse; it is left out of the program and reported as NBG703."""

    _fields = ("cell_index", "row", "column", "message")
    __slots__ = _fields

    def __init__(self, cell_index: int, row: int, column: int, message: str) -> None:
        self.cell_index = cell_index
        self.row = row
        self.column = column
        self.message = message


class LineOrigin(Record):
    """Where a line of the virtual program comes from: a cell row, and a column shift.

    The shift is the number of characters the IPython translation removed at the start of the
    line (``%time f()`` becomes ``f()``), so ``program column + column_shift = cell column``.
    """

    _fields = ("cell_index", "row", "column_shift")
    __slots__ = _fields

    def __init__(self, cell_index: int, row: int, column_shift: int = 0) -> None:
        self.cell_index = cell_index
        self.row = row
        self.column_shift = column_shift

    @classmethod
    def for_cell(cls, cell_index: int, column_shifts: list[int]) -> list[LineOrigin]:
        """The origins of a cell's rows, row ``n`` shifted by ``column_shifts[n - 1]``.

        The reader needs one per program line (27,000 for 140 notebooks), and a record costs
        a Python call to make; but a record is a value and few lines are shifted, so the
        unshifted rows of a cell index are made once and shared by every notebook read.
        """
        if any(column_shifts):
            return list(
                map(cls, repeat(cell_index), range(1, len(column_shifts) + 1), column_shifts)
            )
        return cls.unshifted(cell_index, len(column_shifts))

    @classmethod
    def unshifted(cls, cell_index: int, count: int) -> list[LineOrigin]:
        """The origins of a cell's ``count`` rows, none shifted (most cells): as
        :meth:`for_cell` with shifts of 0, without making and scanning a list of them."""
        if cell_index >= _SHARED_CELLS or count > _SHARED_ROWS:
            return list(map(cls, repeat(cell_index), range(1, count + 1)))
        while len(_UNSHIFTED) <= cell_index:
            _UNSHIFTED.append([])
        shared = _UNSHIFTED[cell_index]
        if len(shared) < count:
            shared.extend(map(cls, repeat(cell_index), range(len(shared) + 1, count + 1)))
        return shared[:count]


#: ``_UNSHIFTED[i][n - 1]`` is row ``n`` of cell ``i`` unshifted: made once per process for
#: the first ``_SHARED_ROWS`` rows of the first ``_SHARED_CELLS`` cells (at most 65,536
#: records, 4 MB; a notebook rarely has more), any others as they are needed.
_UNSHIFTED: list[list[LineOrigin]] = []
_SHARED_CELLS = 256
_SHARED_ROWS = 256


class Notebook(Record):
    """A notebook (or script) read once and modelled once, for rules, converter and hooks.

    ``program`` holds every parsable Python code cell in notebook order as one module;
    ``line_origins[n - 1]`` says which cell row virtual line ``n`` came from.
    """

    _fields = (
        "path",
        "kind",
        "cells",
        "raw_text",
        "language",
        "kernel_name",
        "program_source",
        "program",
        "line_origins",
        "shell_commands",
        "syntax_errors",
        "_raw_index",
    )
    __slots__ = _fields

    def __init__(
        self,
        path: Path,
        kind: SourceKind,
        cells: list[Cell],
        raw_text: str,
        language: str = "python",
        kernel_name: str = "python3",
        program_source: str = "",
        program: ast.Module | None = None,
        line_origins: list[LineOrigin] | None = None,
        shell_commands: list[ShellCommand] | None = None,
        syntax_errors: list[CellSyntaxError] | None = None,
        _raw_index: RawSourceIndex | None = None,
    ) -> None:
        self.path = path
        self.kind = kind
        self.cells = cells
        self.raw_text = raw_text
        self.language = language
        self.kernel_name = kernel_name
        self.program_source = program_source
        self.program = ast.Module(body=[], type_ignores=[]) if program is None else program
        self.line_origins = [] if line_origins is None else line_origins
        self.shell_commands = [] if shell_commands is None else shell_commands
        self.syntax_errors = [] if syntax_errors is None else syntax_errors
        self._raw_index = _raw_index

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
