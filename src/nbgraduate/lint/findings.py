"""What rules report: a finding at a position in cell coordinates."""

from __future__ import annotations

from dataclasses import dataclass

from nbgraduate.core.positions import Position

__all__ = ["Finding", "Position"]


@dataclass(frozen=True, slots=True)
class Finding:
    """What a rule reports; the linter turns it into a located :class:`Diagnostic`."""

    code: str
    message: str
    start: Position
    end: Position
