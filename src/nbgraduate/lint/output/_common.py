"""Pieces every output format shares: ordering, paths, labels, summaries and fingerprints."""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterable
from operator import attrgetter

from nbgraduate.core.errors import printable
from nbgraduate.lint.diagnostics import Diagnostic, InputError, LintReport


def ordered(report: LintReport) -> list[Diagnostic]:
    """The findings in ``LintReport.sort`` order, without mutating the caller's report."""
    return sorted(report.diagnostics, key=lambda d: (d.path, d.cell or 0, d.row, d.column, d.code))


def _inside(path: str, root: str) -> bool:
    try:
        return os.path.commonpath([path, root]) == root
    except ValueError:  # different drives on Windows, or a mix of relative and absolute
        return False


def display_path(path: str, cwd: str) -> str:
    """``path`` relative to ``cwd`` when it lies below it, else as given; what ruff shows."""
    absolute = os.path.abspath(path)
    return os.path.relpath(absolute, cwd) if _inside(absolute, cwd) else path


def relative_posix_path(path: str, root: str) -> str | None:
    """``path`` relative to ``root`` with forward slashes, or ``None`` when it is outside."""
    absolute = os.path.abspath(path)
    root = os.path.abspath(root)
    if not _inside(absolute, root):
        return None
    return os.path.relpath(absolute, root).replace(os.sep, "/")


def location_label(diagnostic: Diagnostic, path: str) -> str:
    """``path:cell N:row:col`` for notebooks and ``path:row:col`` for scripts, as ruff writes."""
    if diagnostic.cell is None:
        return f"{path}:{diagnostic.row}:{diagnostic.column}"
    return f"{path}:cell {diagnostic.cell}:{diagnostic.row}:{diagnostic.column}"


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def summary(report: LintReport) -> str:
    """The closing line of the human formats; never claims success when a file was unreadable."""
    found = len(report.diagnostics)
    unreadable = len(report.errors)
    if found == 0 and unreadable == 0:
        return "All checks passed!"
    text = f"Found {_plural(found, 'error')}."
    if unreadable:
        text += f" {_plural(unreadable, 'file')} could not be read."
    return text


def rule_counts(diagnostics: Iterable[Diagnostic]) -> list[tuple[int, str, str]]:
    """``(count, code, name)`` rows, most frequent first and by code on ties."""
    counts = Counter((d.code, d.name) for d in diagnostics)
    return sorted(
        ((count, code, name) for (code, name), count in counts.items()),
        key=lambda row: (-row[0], row[1], row[2]),
    )


def fingerprints(located: Iterable[tuple[str, Diagnostic]]) -> list[str]:
    """A stable hash per finding that survives edits elsewhere in the file.

    Line numbers are left out on purpose so that adding a cell above does not make CI treat
    every old finding as new; an occurrence counter keeps identical findings apart.
    """
    import hashlib

    seen: Counter[tuple[str, str, str]] = Counter()
    result = []
    for path, diagnostic in located:
        key = (path, diagnostic.code, diagnostic.source_line.strip())
        occurrence = seen[key]
        seen[key] += 1
        material = "\0".join((*key, str(occurrence))).encode()
        result.append(hashlib.md5(material, usedforsecurity=False).hexdigest())
    return result


_PATH = attrgetter("path")
_CELL_ID = attrgetter("cell_id")
_MESSAGE = attrgetter("message")
_SOURCE_LINE = attrgetter("source_line")


def printable_report(report: LintReport) -> LintReport:
    """The report with every path, id and text printable (see :func:`printable`); the same
    object when nothing needed it, which is every report of well-named files."""

    def clean(diagnostic):
        return diagnostic.replace(
            path=printable(diagnostic.path),
            cell_id=None if diagnostic.cell_id is None else printable(diagnostic.cell_id),
            message=printable(diagnostic.message),
            source_line=printable(diagnostic.source_line),
        )

    diagnostics = report.diagnostics
    texts = [
        *map(_PATH, diagnostics),
        *filter(None, map(_CELL_ID, diagnostics)),
        *map(_MESSAGE, diagnostics),
        *map(_SOURCE_LINE, diagnostics),
        *(text for e in report.errors for text in (e.path, e.reason)),
    ]
    try:
        # One pass for thousands of texts: a lone surrogate in any of them fails the whole,
        # as it fails on its own (Python's UTF-8 codec never pairs surrogates).
        "".join(texts).encode("utf-8")
    except UnicodeEncodeError:
        pass
    else:
        return report
    return LintReport(
        diagnostics=[clean(d) for d in report.diagnostics],
        errors=[InputError(printable(e.path), printable(e.reason)) for e in report.errors],
        files_checked=report.files_checked,
    )
