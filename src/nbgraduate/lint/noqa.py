"""Suppression comments: ``# noqa: NBG101`` on a line, ``# nbgraduate: noqa-file`` anywhere."""

from __future__ import annotations

import re

from nbgraduate.core import regex_cache
from nbgraduate.notebook.model import Notebook

# Sources, compiled (by ``re``'s own cache) only when a line mentions noqa: most runs have no
# such line, and compiling both at import cost every lint run about 0.7 ms.
_LINE_DIRECTIVE = (
    r"#\s*(?:nbgraduate:\s*)?noqa(?!-)(?::\s*(?P<codes>[A-Z]+[0-9]*(?:[\s,]+[A-Z]+[0-9]*)*))?"
)
_FILE_DIRECTIVE = (
    r"#\s*nbgraduate:\s*noqa-file(?::\s*(?P<codes>[A-Z]+[0-9]*(?:[\s,]+[A-Z]+[0-9]*)*))?"
)
_ALL = frozenset({"*"})
#: What every file directive starts with, searched for in a whole cell before its lines are:
#: a cell without a match has no line that matches either. The search skips from ``#`` to
#: ``#`` (a literal first character), where lower-casing the cell to look for ``noqa-file``
#: cost about 20 instructions a character, and markdown cells hold whole base64 images.
_FILE_DIRECTIVE_START = regex_cache.compile(r"#\s*nbgraduate:\s*noqa-file", re.IGNORECASE)


class Suppressions:
    """What the notebook's comments switch off: per (cell, row), and for the whole file."""

    __slots__ = ("_cell_lines", "_line_cache", "file_codes")

    def __init__(self, file_codes: frozenset[str] = frozenset()) -> None:
        self.file_codes = file_codes
        self._line_cache: dict[tuple[int, int], frozenset[str]] = {}
        # Each cell split into lines once, however many of its lines have findings: splitting
        # it per finding made a cell of thousands of findings quadratic.
        self._cell_lines: dict[int, list[str]] = {}

    def suppresses(self, notebook: Notebook, code: str, cell_index: int, row: int) -> bool:
        if _matches(self.file_codes, code):
            return True
        key = (cell_index, row)
        codes = self._line_cache.get(key)
        if codes is None:
            lines = self._cell_lines.get(cell_index)
            if lines is None:
                lines = self._cell_lines[cell_index] = notebook.cells[cell_index].lines
            line = lines[row - 1] if 0 < row <= len(lines) else ""
            codes = self._line_cache[key] = _directive_codes(_LINE_DIRECTIVE, line)
        return _matches(codes, code)


def file_suppressions(notebook: Notebook) -> Suppressions:
    """Collect the file-level directive from any cell (code or markdown)."""
    codes: set[str] = set()
    for cell in notebook.cells:
        source = cell.source
        # Only ``-`` lower-cases to a ``-`` and only ``q`` and ``Q`` to a ``q``, so a cell
        # without both holds no directive in any case. One-character tests (``memchr``) spare
        # most cells the search; a longer needle would be searched for far more slowly.
        if not ("-" in source and ("q" in source or "Q" in source)):
            continue
        # The search first: lower-casing a cell costs several times more than searching it.
        if not _FILE_DIRECTIVE_START.search(source) or "noqa-file" not in source.lower():
            continue
        for line in cell.lines:
            codes |= _directive_codes(_FILE_DIRECTIVE, line)
    return Suppressions(frozenset(codes))


def _directive_codes(pattern: str, line: str) -> frozenset[str]:
    if "noqa" not in line.lower():
        return frozenset()
    match = re.search(pattern, line, re.IGNORECASE)
    if match is None:
        return frozenset()
    codes = match.group("codes")
    if not codes:
        return _ALL
    return frozenset(code.upper() for code in re.split(r"[\s,]+", codes) if code)


def _matches(codes: frozenset[str], code: str) -> bool:
    if not codes:
        return False
    if "*" in codes:
        return True
    return any(code.startswith(selector) for selector in codes)
