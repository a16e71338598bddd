"""Cell source rows map to the right line and column of the raw ``.ipynb`` text."""

from __future__ import annotations

import json

import nbformat

from nbgraduate.notebook.raw_positions import line_starts, offset_of_column, source_row_offsets


def _line_and_column(raw: str, offset: int) -> tuple[int, int]:
    starts = line_starts(raw)
    line = max(i for i, start in enumerate(starts) if start <= offset)
    return line + 1, offset - starts[line] + 1


def test_nbformat_layout_one_string_per_line() -> None:
    notebook = nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_markdown_cell("# title\ntext"),
            nbformat.v4.new_code_cell('a = 1\nJUDGE = "gpt-4o"\n'),
        ]
    )
    raw = nbformat.writes(notebook)
    rows = source_row_offsets(raw)
    assert len(rows) == 2 and len(rows[1]) == 2
    line, column = _line_and_column(raw, rows[1][1])
    assert raw.splitlines()[line - 1][column - 1 :].startswith('JUDGE = \\"gpt-4o\\"')
    # Column 8 (from 0) of the cell row is the opening quote; escapes shift it in the raw text.
    offset = offset_of_column(raw, rows[1][1], 8)
    assert raw[offset : offset + 8] == '\\"gpt-4o'


def test_compact_json_and_source_as_one_string() -> None:
    document = {
        "metadata": {"source": "not a cell"},
        "nbformat": 4,
        "nbformat_minor": 5,
        "cells": [
            {
                "cell_type": "code",
                "metadata": {},
                "outputs": [],
                "execution_count": None,
                "source": "x = 1\ny = 'é'\nz = 3",
            }
        ],
    }
    raw = json.dumps(document)
    [rows] = source_row_offsets(raw)
    assert len(rows) == 3
    assert raw[rows[2] : rows[2] + 5] == "z = 3"
    assert raw[rows[1] : rows[1] + 4] == "y = "


def test_not_a_notebook_gives_no_rows() -> None:
    assert source_row_offsets("[1, 2, 3]") == []
    assert source_row_offsets('{"cells": [') == []


def test_fast_path_agrees_with_the_structural_walk() -> None:
    notebook = nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_code_cell('x = "a\\\\"b"\nprint(x)'),
            nbformat.v4.new_markdown_cell("# t"),
            nbformat.v4.new_code_cell(""),
        ]
    )
    notebook.cells[0].outputs = [
        nbformat.v4.new_output("stream", name="stdout", text='"source": [ "not a key" ]\n')
    ]
    raw = nbformat.writes(notebook)
    assert source_row_offsets(raw, cell_count=3) == source_row_offsets(raw)


def test_a_source_key_in_metadata_falls_back_to_the_walk() -> None:
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("a = 1\nb = 2")])
    notebook.cells[0].metadata["source"] = ["provenance", "notes"]
    raw = nbformat.writes(notebook)
    rows = source_row_offsets(raw, cell_count=1)
    assert rows == source_row_offsets(raw)
    assert raw[rows[0][1] : rows[0][1] + 5] == "b = 2"
