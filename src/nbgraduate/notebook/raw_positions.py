"""Find where each cell's source rows sit in the raw ``.ipynb`` JSON text.

nbformat gives us cell sources as strings; CI annotations and SARIF need the line of the file on
disk. We walk the JSON text structurally (never by searching for ``"source"``, which could sit in
metadata or outputs), so any valid formatting works: one string per line (nbformat's own), one
long string with ``\\n`` escapes, or everything on one line.
"""

from __future__ import annotations

import json
import re
from itertools import accumulate

from nbgraduate.core import regex_cache

_decoder = json.JSONDecoder()
_WHITESPACE = regex_cache.compile(r"[ \t\n\r]*")
_ESCAPE = regex_cache.compile(r"\\(?:u[0-9a-fA-F]{4}|.)", re.DOTALL)
_PLAIN = regex_cache.compile(r'[^"\\]+')
_SOURCE_KEY = regex_cache.compile(r'"(?:source|input)"[ \t\r\n]*:[ \t\r\n]*\[')


def line_starts(raw: str) -> list[int]:
    """Offsets at which each line of ``raw`` starts (split and accumulate run in C)."""
    return [0, *accumulate(len(line) + 1 for line in raw.split("\n"))][:-1] or [0]


class RawSourceIndex:
    """Where each cell's source rows sit in the raw text, found on demand for the cells that
    have findings (most cells have none), with line numbers from one cached newline table."""

    def __init__(self, raw: str, cell_count: int) -> None:
        self.raw = raw
        self._keys = _source_keys(raw, cell_count)
        self._rows: dict[int, list[int]] = {}
        self._walked: list[list[int]] | None = None
        self._counted_to = (0, 1, 0)

    def rows(self, cell_index: int) -> list[int]:
        """Raw offsets of each source row of a cell (empty when the text is not a notebook)."""
        if cell_index in self._rows:
            return self._rows[cell_index]
        rows: list[int] = []
        if self._keys is not None:
            try:
                _source_rows(self.raw, self._keys[cell_index], rows)
            except (ValueError, IndexError):
                self._keys = None
        if self._keys is None:
            if self._walked is None:
                self._walked = source_row_offsets(self.raw)
            rows = self._walked[cell_index] if cell_index < len(self._walked) else []
        self._rows[cell_index] = rows
        return rows

    def line_and_column(self, offset: int) -> tuple[int, int]:
        """1-based line and column of a raw offset.

        Findings arrive in file order, so newlines are counted on from the previous offset:
        one pass over the text per notebook, not one per finding.
        """
        counted_offset, line, line_start = self._counted_to
        if offset >= counted_offset:
            newlines = self.raw.count("\n", counted_offset, offset)
            if newlines:
                line += newlines
                line_start = self.raw.rfind("\n", counted_offset, offset) + 1
        else:
            line -= self.raw.count("\n", offset, counted_offset)
            line_start = self.raw.rfind("\n", 0, offset) + 1
        # The line start is carried along too: searching back from each offset to its line's
        # start cost the whole line per finding, quadratic on a long one-line notebook.
        self._counted_to = (offset, line, line_start)
        return line, offset - line_start + 1


def _source_keys(raw: str, cell_count: int) -> list[int] | None:
    """Offsets of the ``[`` opening each cell's source array, if exactly one per cell is found.

    Inside a JSON string a quote is always escaped, so ``"source": [`` can only be a key. The
    shortcut is trusted only when it finds one per cell; a ``source`` key in metadata or a
    source stored as a single string sends the caller to the structural walk instead.
    """
    starts = []
    for key in ('"source"', '"input"'):
        position = raw.find(key)
        while position != -1:
            # str.find runs at memory speed; the regex only confirms the few hits are keys.
            match = _SOURCE_KEY.match(raw, position)
            if match is not None:
                starts.append(match.end() - 1)
            position = raw.find(key, position + 1)
    starts.sort()
    return starts if len(starts) == cell_count else None


def source_row_offsets(raw: str, cell_count: int | None = None) -> list[list[int]]:
    """For every cell in notebook order, the raw offset where each row of its source starts.

    Handles nbformat 4 (``cells`` / ``source``) and nbformat 3 (``worksheets`` / ``input``).
    Returns an empty list for text that is not shaped like a notebook. With ``cell_count`` the
    source keys are found directly (see :func:`_source_keys`) instead of walking every output.
    """
    keys = _source_keys(raw, cell_count) if cell_count is not None else None
    if keys is not None:
        try:
            rows_per_cell: list[list[int]] = []
            for key in keys:
                rows: list[int] = []
                _source_rows(raw, key, rows)
                rows_per_cell.append(rows)
            return rows_per_cell
        except (ValueError, IndexError):
            pass
    try:
        return _walk_notebook(raw)
    except (ValueError, IndexError):
        return []


# The last walk of ``offset_of_column``: ``(raw, row_offset, decoded column, raw position)``.
# Findings on one row arrive in column order, so each walk continues from the previous one
# instead of starting at the row again (thousands of findings on one line were quadratic).
_last_walk: tuple[str, int, int, int] | None = None


def offset_of_column(raw: str, row_offset: int, column: int) -> int:
    """Raw offset of the 0-based decoded ``column`` of the row starting at ``row_offset``.

    Escapes (``\\"``, ``\\\\``, ``\\u00e9``) take more raw characters than they decode to.
    """
    global _last_walk
    position = row_offset
    decoded = 0
    if _last_walk is not None:
        last_raw, last_row, last_decoded, last_position = _last_walk
        if last_raw is raw and last_row == row_offset and last_decoded <= column:
            decoded, position = last_decoded, last_position
    while decoded < column and position < len(raw):
        # A run of plain characters decodes one to one: skip it in C, never past the column.
        plain = _PLAIN.match(raw, position, min(len(raw), position + column - decoded))
        if plain is not None:
            decoded += plain.end() - position
            position = plain.end()
            continue
        char = raw[position]
        if char == '"':
            break
        if char == "\\":
            match = _ESCAPE.match(raw, position)
            if match is None or match.group() == "\\n":
                break
            position = match.end()
        else:
            position += 1
        decoded += 1
    _last_walk = (raw, row_offset, decoded, position)
    return position


def _skip(raw: str, position: int) -> int:
    match = _WHITESPACE.match(raw, position)
    return match.end() if match else position


def _members(raw: str, position: int):
    """Yield ``(key, value_offset)`` for the object starting at ``position``; the caller must
    report back where the value ended by sending the new offset."""
    if raw[position] != "{":
        raise ValueError("expected object")
    position = _skip(raw, position + 1)
    if raw[position] == "}":
        return position + 1
    while True:
        key, position = json.decoder.scanstring(raw, position + 1)
        position = _skip(raw, position)
        if raw[position] != ":":
            raise ValueError("expected colon")
        position = _skip(raw, position + 1)
        position = yield key, position
        position = _skip(raw, position)
        if raw[position] == ",":
            position = _skip(raw, position + 1)
            continue
        if raw[position] == "}":
            return position + 1
        raise ValueError("expected , or }")


def _skip_value(raw: str, position: int) -> int:
    _, end = _decoder.raw_decode(raw, position)
    return end


def _walk_notebook(raw: str) -> list[list[int]]:
    cells: list[list[int]] = []
    position = _skip(raw, 0)
    members = _members(raw, position)
    try:
        key, value_at = next(members)
        while True:
            if key == "cells":
                end = _walk_cells(raw, value_at, cells)
            elif key == "worksheets":
                end = _walk_worksheets(raw, value_at, cells)
            else:
                end = _skip_value(raw, value_at)
            key, value_at = members.send(end)
    except StopIteration:
        pass
    return cells


def _walk_worksheets(raw: str, position: int, cells: list[list[int]]) -> int:
    return _walk_array(raw, position, lambda at: _walk_worksheet(raw, at, cells))


def _walk_worksheet(raw: str, position: int, cells: list[list[int]]) -> int:
    members = _members(raw, position)
    try:
        key, value_at = next(members)
        while True:
            if key == "cells":
                end = _walk_cells(raw, value_at, cells)
            else:
                end = _skip_value(raw, value_at)
            key, value_at = members.send(end)
    except StopIteration as stop:
        return stop.value


def _walk_array(raw: str, position: int, visit) -> int:
    if raw[position] != "[":
        return _skip_value(raw, position)
    position = _skip(raw, position + 1)
    if raw[position] == "]":
        return position + 1
    while True:
        position = _skip(raw, visit(position))
        if raw[position] == ",":
            position = _skip(raw, position + 1)
        elif raw[position] == "]":
            return position + 1
        else:
            raise ValueError("expected , or ]")


def _walk_cells(raw: str, position: int, cells: list[list[int]]) -> int:
    def visit(at: int) -> int:
        rows: list[int] = []
        cells.append(rows)
        return _walk_cell(raw, at, rows)

    return _walk_array(raw, position, visit)


def _walk_cell(raw: str, position: int, rows: list[int]) -> int:
    members = _members(raw, position)
    try:
        key, value_at = next(members)
        while True:
            if key in ("source", "input"):
                end = _source_rows(raw, value_at, rows)
            else:
                end = _skip_value(raw, value_at)
            key, value_at = members.send(end)
    except StopIteration as stop:
        return stop.value


def _source_rows(raw: str, position: int, rows: list[int]) -> int:
    """Record the raw offset of each source row; a row may start in one list element and a
    ``\\n`` escape inside an element starts the next row."""
    row_pending = True

    def visit(at: int) -> int:
        nonlocal row_pending
        if raw[at] != '"':
            return _skip_value(raw, at)
        _, end = json.decoder.scanstring(raw, at + 1)
        content_start, content_end = at + 1, end - 1
        if row_pending:
            rows.append(content_start)
            row_pending = False
        for escape in _ESCAPE.finditer(raw, content_start, content_end):
            # The reader reads a lone carriage return as a line break, so rows here do too.
            if escape.group() == "\\n" or (
                escape.group() == "\\r" and not raw.startswith("\\n", escape.end())
            ):
                if escape.end() < content_end:
                    rows.append(escape.end())
                else:
                    row_pending = True
        return end

    if raw[position] == '"':
        return visit(position)
    return _walk_array(raw, position, visit)
