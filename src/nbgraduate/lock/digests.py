"""Content hashes for the lock: files, datasets (with row counts) and notebook cells."""

from __future__ import annotations

import csv
import hashlib
import json
import os
from collections.abc import Iterable, Sequence
from pathlib import Path

__all__ = [
    "CellContent",
    "dataset_facts",
    "file_sha256",
    "notebook_digest",
    "scoring_digest",
    "text_sha256",
]

#: ``(cell_type, source, tags)`` of one notebook cell, as the notebook model stores it.
CellContent = tuple[str, str, Sequence[str]]

_CHUNK_SIZE = 1024 * 1024
_PARAMETERS_TAG = "parameters"
_DELIMITED_SUFFIXES = {".csv": ",", ".tsv": "\t"}
_JSON_LINES_SUFFIXES = {".jsonl", ".ndjson"}


def file_sha256(path: str | os.PathLike[str]) -> str:
    """Hex sha256 of a file's bytes, read in 1 MiB chunks so datasets never sit in memory."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(_CHUNK_SIZE), b""):
            digest.update(chunk)
    return digest.hexdigest()


def text_sha256(text: str) -> str:
    """Hex sha256 of ``text`` encoded as UTF-8."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def dataset_facts(path: str | os.PathLike[str]) -> tuple[str, int, int | None]:
    """``(sha256, size in bytes, rows)`` of a dataset file.

    ``rows`` counts records for tabular text formats (``.csv``/``.tsv`` without the header,
    ``.jsonl``/``.ndjson`` non-blank lines, ``.json`` a top-level list) and is ``None`` for
    any other format or for a file that does not parse as its suffix says: a row count is a
    readable summary of a change, the sha256 is what the lock relies on.
    """
    path = Path(path)
    sha256 = file_sha256(path)
    size = path.stat().st_size
    suffix = path.suffix.lower()
    rows: int | None = None
    if suffix in _DELIMITED_SUFFIXES:
        rows = _delimited_rows(path, _DELIMITED_SUFFIXES[suffix])
    elif suffix in _JSON_LINES_SUFFIXES:
        rows = _json_lines_rows(path)
    elif suffix == ".json":
        rows = _json_list_rows(path)
    return sha256, size, rows


def _delimited_rows(path: Path, delimiter: str) -> int | None:
    # The csv module (not a line count) so that quoted fields with newlines count once;
    # blank lines are skipped, as pandas does by default.
    try:
        with open(path, encoding="utf-8-sig", newline="") as handle:
            records = sum(1 for record in csv.reader(handle, delimiter=delimiter) if record)
    except (UnicodeDecodeError, csv.Error):
        return None
    return max(records - 1, 0)


def _json_lines_rows(path: Path) -> int:
    rows = 0
    with open(path, "rb") as handle:
        for line in handle:
            if line.strip():
                rows += 1
    return rows


def _json_list_rows(path: Path) -> int | None:
    try:
        data = json.loads(path.read_bytes())
    except (ValueError, RecursionError):
        return None
    return len(data) if isinstance(data, list) else None


def notebook_digest(cells: Iterable[CellContent]) -> str:
    """sha256 of what a reader of the notebook sees: every cell's type and source, in order.

    Whether a cell is the papermill ``parameters`` cell is part of it (it changes how the
    notebook runs); outputs, execution counts, cell ids and other metadata are not, so
    re-running a notebook does not change its digest.
    """
    payload = [[cell_type, source, _PARAMETERS_TAG in tags] for cell_type, source, tags in cells]
    return _framed_sha256("notebook", payload)


def scoring_digest(cells: Iterable[CellContent]) -> str:
    """sha256 of the code that produces scores: code cells other than the ``parameters`` cell.

    Each source is normalised (trailing whitespace on every line, leading and trailing blank
    lines removed) and cells that are then empty are dropped, so whitespace-only edits do
    not read as a change of the eval contract.
    """
    payload = []
    for cell_type, source, tags in cells:
        if cell_type != "code" or _PARAMETERS_TAG in tags:
            continue
        normalised = _normalise_code(source)
        if normalised:
            payload.append(normalised)
    return _framed_sha256("scoring", payload)


def _normalise_code(source: str) -> str:
    # Split on "\n" only: str.splitlines would also split on characters such as U+2028 that
    # can sit inside a string literal, and so merge sources that differ.
    lines = [line.rstrip(" \t\r\f\v") for line in source.split("\n")]
    while lines and not lines[-1]:
        lines.pop()
    while lines and not lines[0]:
        lines.pop(0)
    return "\n".join(lines)


def _framed_sha256(domain: str, payload: list) -> str:
    # A JSON list frames every cell unambiguously (no separator inside a source can fake a
    # cell boundary), and the domain keeps the two digests of one notebook apart.
    text = json.dumps([domain, 1, payload], ensure_ascii=False, separators=(",", ":"))
    return text_sha256(text)
