"""Where something is in a notebook: cell index, row within the cell, column."""

from __future__ import annotations

from nbgraduate.core.records import Record

__all__ = ["Position"]


class Position(Record):
    """A place in a notebook: cell index from 0, row within the cell and column from 1.

    A plain script is one cell; for percent-format scripts the linter turns cell rows back into
    file lines when it reports.
    """

    _fields = ("cell_index", "row", "column")
    __slots__ = _fields

    def __init__(self, cell_index: int, row: int, column: int) -> None:
        self.cell_index = cell_index
        self.row = row
        self.column = column
