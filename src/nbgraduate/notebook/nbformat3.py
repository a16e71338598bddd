"""Upgrade a version 3 notebook to the version 4 shape the reader models, without nbformat.

nbformat's reader and upgrade cost about 80 ms of CPU to import (with jsonschema) and then
validate every notebook twice; lint meets version 3 notebooks in old repositories. This does
what ``nbformat.convert(nbformat.reader.reads(text), 4)`` does to the parts the reader reads,
in the same order (lines joined as nbformat joins them, heading cells as markdown, ``input``
as ``source``, outputs renamed, their data keyed by MIME type). It handles only notebooks laid
out as nbformat expects: anything unusual (a missing key, a value of another type) gives
``None``, and the caller asks nbformat, so its error messages stay the same. Unlike nbformat it
makes up no random cell ids: the cells have none, as in a version 4.4 notebook, so findings
name the same cells on every run.
"""

from __future__ import annotations

import json

#: ``typing.TYPE_CHECKING`` without importing typing, which costs ``nbgraduate lint`` start-up.
TYPE_CHECKING = False

if TYPE_CHECKING:
    from typing import Any

__all__ = ["upgraded_from_v3"]

#: Output fields that version 3 may store as a list of lines (nbformat ``_multiline_outputs``).
_MULTILINE_OUTPUT_KEYS = ("text", "html", "svg", "latex", "javascript", "json")
#: Version 3 output keys and their MIME types, in nbformat's order (which orders ``data``).
_MIME_TYPES = (
    ("text", "text/plain"),
    ("html", "text/html"),
    ("svg", "image/svg+xml"),
    ("png", "image/png"),
    ("jpeg", "image/jpeg"),
    ("latex", "text/latex"),
    ("json", "application/json"),
    ("javascript", "application/javascript"),
)


class _Unusual(Exception):
    """Something nbformat may treat differently: leave the notebook to it."""


def upgraded_from_v3(document: dict[str, Any]) -> dict[str, Any] | None:
    """The version 4 form of a version 3 ``document`` (as ``json.loads`` gave it), or
    ``None`` when nbformat should read it."""
    try:
        return _upgraded(document)
    except Exception:  # _Unusual, a bad JSON output, anything else: nbformat decides
        return None


def _upgraded(document: dict[str, Any]) -> dict[str, Any]:
    metadata = _object(document.get("metadata"))
    cells = []
    for worksheet in _list(document.get("worksheets")):
        for cell in _list(_object(worksheet).get("cells")):
            cells.append(_upgraded_cell(_object(cell)))
    metadata = {k: v for k, v in metadata.items() if k not in ("name", "signature")}
    kept = {k: v for k, v in document.items() if k != "worksheets"}
    return {**kept, "metadata": metadata, "nbformat": 4, "cells": cells}


def _upgraded_cell(cell: dict[str, Any]) -> dict[str, Any]:
    cell_type = cell.get("cell_type")
    cell_metadata = _object(cell.get("metadata", {}))
    if cell_type == "code":
        outputs = [_upgraded_output(_object(output)) for output in _list(cell.get("outputs"))]
        return {
            "cell_type": "code",
            "metadata": cell_metadata,
            "source": _joined(cell.get("input", "")),
            "execution_count": cell.get("prompt_number"),
            "outputs": outputs,
        }
    if not isinstance(cell_type, str):
        raise _Unusual
    # Any other cell keeps its keys (outputs saved on a markdown cell stay, unconverted).
    upgraded = {**cell, "metadata": cell_metadata}
    source = _joined(cell.get("source", ""))
    _joined(cell.get("rendered"))  # nbformat joins it too, and refuses what cannot be joined
    if "source" in cell:
        upgraded["source"] = source
    if cell_type == "heading":
        level = upgraded.pop("level", 1)
        if type(level) is not int or not isinstance(source, str):
            raise _Unusual
        upgraded["source"] = "#" * level + " " + " ".join(source.splitlines())
        upgraded["cell_type"] = "markdown"
    elif cell_type == "html":
        upgraded["cell_type"] = "markdown"
    return upgraded


def _upgraded_output(output: dict[str, Any]) -> dict[str, Any]:
    output = {
        key: _joined(value) if key in _MULTILINE_OUTPUT_KEYS else value
        for key, value in output.items()
    }
    output_type = output.get("output_type")
    if output_type in ("pyout", "display_data"):
        metadata = _object(output.pop("metadata", {}))
        upgraded: dict[str, Any] = {"output_type": output_type, "metadata": metadata}
        if output_type == "pyout":
            upgraded["output_type"] = "execute_result"
            upgraded["execution_count"] = output.pop("prompt_number", None)
        data = {k: v for k, v in output.items() if k not in ("output_type", "execution_count")}
        _to_mime_keys(data)
        _to_mime_keys(metadata)
        if "application/json" in data:
            value = data["application/json"]
            if not isinstance(value, str):
                raise _Unusual
            data["application/json"] = json.loads(value)
        upgraded["data"] = data
        return upgraded
    if output_type == "pyerr":
        return {**output, "output_type": "error"}
    if output_type == "stream":
        name = output.pop("stream", "stdout")
        return {**output, "name": name}
    if not isinstance(output_type, str):
        raise _Unusual
    return output


def _to_mime_keys(mapping: dict[str, Any]) -> None:
    """Rename version 3 keys to MIME types in place, moving them last as nbformat does."""
    for alias, mime in _MIME_TYPES:
        if alias in mapping:
            mapping[mime] = mapping.pop(alias)


def _joined(value: object) -> object:
    """nbformat's ``_join_lines``: lines kept with their ends are concatenated, lines split
    without them are joined with newlines."""
    if not isinstance(value, list):
        return value
    if not all(isinstance(line, str) for line in value):
        raise _Unusual
    if value and value[0].endswith(("\n", "\r")):
        return "".join(value)
    return "\n".join(value)


def _object(value: object) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _Unusual
    return value


def _list(value: object) -> list[Any]:
    if not isinstance(value, list):
        raise _Unusual
    return value
