"""Where something is in a notebook: cell index, row within the cell, column."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Position"]


@dataclass(frozen=True, slots=True)
class Position:
    """A place in a notebook: cell index from 0, row within the cell and column from 1.

    A plain script is one cell; for percent-format scripts the linter turns cell rows back into
    file lines when it reports.
    """

    cell_index: int
    row: int
    column: int
