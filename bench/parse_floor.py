"""The parse floor: what any notebook linter must at least do, in plain Python.

For every file ``nbgraduate lint DIR`` would discover (``.ipynb`` and ``.py``, no hidden
directories): read it, decode it, ``json.loads`` a notebook, and ``ast.parse`` every code cell
(a script whole). Lint's speed targets are ratios over this work.

Run as a script (``python bench/parse_floor.py DIR``) it is a process of its own, the way a user
runs ``nbgraduate lint``: start-up, a fresh heap and the work, and nothing else. That is why it
imports only the standard library modules the work needs; the bench measures lint against this
process, so both sides pay for starting an interpreter and growing its heap. ``bench_lint.py``
imports the same functions to time the floor inside its own process.
"""

from __future__ import annotations

import ast
import json
import os
import sys

__all__ = ["FloorStats", "floor_once", "lintable_files"]

_LINTABLE_SUFFIXES = (".ipynb", ".py")


class FloorStats:
    """What one pass of the floor saw."""

    __slots__ = ("code_cells", "files", "total_bytes", "unparsable_cells")

    def __init__(self) -> None:
        self.files = 0
        self.total_bytes = 0
        self.code_cells = 0
        self.unparsable_cells = 0


def lintable_files(root: str | os.PathLike[str]) -> list[str]:
    """What ``nbgraduate lint ROOT`` would discover in a plain corpus (no hidden directories)."""
    found = []
    for directory, subdirectories, names in os.walk(root):
        subdirectories[:] = sorted(d for d in subdirectories if not d.startswith("."))
        found.extend(os.path.join(directory, n) for n in names if n.endswith(_LINTABLE_SUFFIXES))
    return sorted(found)


def _parse_code(source: str, stats: FloorStats) -> None:
    stats.code_cells += 1
    try:
        ast.parse(source)
    except (SyntaxError, ValueError):
        # IPython escapes and top-level ``await`` do not parse; that is fine for a floor.
        stats.unparsable_cells += 1


def floor_once(files: list[str] | list[os.PathLike[str]]) -> FloorStats:
    """One pass of the floor over ``files``."""
    stats = FloorStats()
    for path in files:
        with open(path, "rb") as handle:
            data = handle.read()
        stats.files += 1
        stats.total_bytes += len(data)
        text = data.decode("utf-8-sig", errors="replace")
        if not os.fspath(path).endswith(".ipynb"):
            _parse_code(text, stats)
            continue
        try:
            notebook = json.loads(text)
        except json.JSONDecodeError:
            continue
        cells = notebook.get("cells")
        if cells is None:  # nbformat 3 keeps cells in worksheets, code in "input"
            cells = [c for sheet in notebook.get("worksheets", []) for c in sheet.get("cells", [])]
        for cell in cells:
            if cell.get("cell_type") != "code":
                continue
            source = cell.get("source", cell.get("input", ""))
            _parse_code("".join(source) if isinstance(source, list) else source, stats)
    return stats


if __name__ == "__main__":
    if len(sys.argv) != 2 or not os.path.isdir(sys.argv[1]):
        sys.exit("usage: python bench/parse_floor.py DIRECTORY")
    floor_once(lintable_files(sys.argv[1]))
