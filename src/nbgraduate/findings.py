"""What rules report: a finding at a position in cell coordinates."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Position:
    """A place in a notebook: cell index from 0, row within the cell and column from 1.

    A plain script is one cell; for percent-format scripts the linter turns cell rows back into
    file lines when it reports.
    """

    cell_index: int
    row: int
    column: int


@dataclass(frozen=True, slots=True)
class Finding:
    """What a rule reports; the linter turns it into a located :class:`Diagnostic`."""

    code: str
    message: str
    start: Position
    end: Position
