"""The ``full`` format: each finding with its source line and a caret under the span."""

from __future__ import annotations

import os
import unicodedata

from nbgraduate.lint.diagnostics import Diagnostic, LintReport
from nbgraduate.lint.output._common import display_path, location_label, ordered, summary

TAB_WIDTH = 4


def render_full(report: LintReport, *, statistics: bool = False) -> str:
    """Ruff's classic full layout: header, gutter with the row, underlined span, summary."""
    if statistics:
        from nbgraduate.lint.output.statistics import render_statistics

        return render_statistics(report)
    cwd = os.getcwd()
    lines: list[str] = []
    for diagnostic in ordered(report):
        header = location_label(diagnostic, display_path(diagnostic.path, cwd))
        lines.append(f"{header}: {diagnostic.code} {diagnostic.message}")
        lines.extend(_snippet(diagnostic))
        lines.append("")
    lines.append(summary(report))
    return "\n".join(lines) + "\n"


def _snippet(diagnostic: Diagnostic) -> list[str]:
    """The gutter block; empty when the finding has no source line (e.g. notebook metadata)."""
    source = diagnostic.source_line.rstrip("\r\n")
    if not source:
        return []
    text, offsets = _displayed(source)
    start, width = _underline(diagnostic, offsets)
    row = str(diagnostic.row)
    pad = " " * len(row)
    return [
        f"{pad} |",
        f"{row} | {text}".rstrip(),
        f"{pad} | {' ' * start}{'^' * width} {diagnostic.code}",
        f"{pad} |",
    ]


def _char_width(char: str) -> int:
    if unicodedata.combining(char) or unicodedata.category(char) == "Cf":
        return 0
    return 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1


def _displayed(source: str) -> tuple[str, list[int]]:
    """What the terminal shows for ``source`` and the screen column before each character.

    Tabs, control characters and wide (CJK, emoji) characters would otherwise push the caret
    away from the span it is meant to mark.
    """
    pieces: list[str] = []
    offsets = [0]
    for char in source:
        if char == "\t":
            piece, width = " " * TAB_WIDTH, TAB_WIDTH
        elif ord(char) < 0x20:
            piece, width = chr(0x2400 + ord(char)), 1  # the Unicode "control picture" glyphs
        elif char == "\x7f":
            piece, width = "\u2421", 1
        else:
            piece, width = char, _char_width(char)
        pieces.append(piece)
        offsets.append(offsets[-1] + width)
    return "".join(pieces), offsets


def _underline(diagnostic: Diagnostic, offsets: list[int]) -> tuple[int, int]:
    """Screen start and caret count; a span running onto later rows is marked to line end."""
    last = len(offsets) - 1
    start_index = min(max(diagnostic.column - 1, 0), last)
    if diagnostic.end_row == diagnostic.row:
        end_index = min(max(diagnostic.end_column - 1, start_index), last)
    else:
        end_index = last
    start = offsets[start_index]
    return start, max(offsets[end_index] - start, 1)
