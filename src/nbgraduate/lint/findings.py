"""What rules report: a finding at a position in cell coordinates."""

from __future__ import annotations

from nbgraduate.core.positions import Position
from nbgraduate.core.records import Record

__all__ = ["Finding", "Position"]


class Finding(Record):
    """What a rule reports; the linter turns it into a located :class:`Diagnostic`."""

    _fields = ("code", "message", "start", "end")
    __slots__ = _fields

    def __init__(self, code: str, message: str, start: Position, end: Position) -> None:
        self.code = code
        self.message = message
        self.start = start
        self.end = end
