"""Reading notebooks and scripts into the model, and refusing bad input with one clear line."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest

from nbgraduate.core.errors import InputFileError
from nbgraduate.notebook import reader
from nbgraduate.notebook.reader import read_notebook


def _write_notebook(path: Path, *cells: nbformat.NotebookNode) -> Path:
    notebook = nbformat.v4.new_notebook(cells=list(cells))
    nbformat.write(notebook, path)
    return path


def test_cells_program_and_line_origins(tmp_path: Path) -> None:
    path = _write_notebook(
        tmp_path / "eval.ipynb",
        nbformat.v4.new_markdown_cell("# Eval"),
        nbformat.v4.new_code_cell("%pip install openai\nJUDGE = 'gpt-4o'"),
        nbformat.v4.new_code_cell("x = JUDGE\n%time y = len(x)"),
    )
    notebook = read_notebook(path)
    assert [c.cell_type for c in notebook.cells] == ["markdown", "code", "code"]
    assert notebook.program_source == "pass\nJUDGE = 'gpt-4o'\nx = JUDGE\ny = len(x)"
    assert notebook.origin(2, 0) == (1, 2, 1)
    assert notebook.origin(4, 0) == (2, 2, 7)
    assert [c.text for c in notebook.shell_commands] == ["pip install openai"]
    assert len(notebook.program.body) == 4


def test_syntax_error_cell_is_reported_and_the_rest_parsed(tmp_path: Path) -> None:
    path = _write_notebook(
        tmp_path / "broken.ipynb",
        nbformat.v4.new_code_cell("a = 1"),
        nbformat.v4.new_code_cell("x = 1\ndef f(:\n    pass"),
        nbformat.v4.new_code_cell("b = a"),
    )
    notebook = read_notebook(path)
    [error] = notebook.syntax_errors
    assert (error.cell_index, error.row) == (1, 2)
    assert [type(s).__name__ for s in notebook.program.body] == ["Assign", "Assign"]


def _counting_parses(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    parsed: list[str] = []

    def counting(source: str, *args: object) -> object:
        parsed.append(source)
        return compile(source, *args)  # type: ignore[call-overload]

    monkeypatch.setattr(reader, "compile", counting, raising=False)
    return parsed


def test_one_broken_cell_costs_one_more_parse_not_one_per_cell(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cells = [nbformat.v4.new_code_cell(f"x{i} = {i}") for i in range(40)]
    cells[25] = nbformat.v4.new_code_cell("y = 1\nprint 'x'")
    path = _write_notebook(tmp_path / "broken.ipynb", *cells)
    parsed = _counting_parses(monkeypatch)
    notebook = read_notebook(path)
    # The whole program, the blamed cell alone, the program without it.
    assert len(parsed) == 3
    [error] = notebook.syntax_errors
    assert (error.cell_index, error.row) == (25, 2)
    assert len(notebook.program.body) == 39


def test_an_error_no_single_cell_explains_falls_back_to_every_cell(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _write_notebook(
        tmp_path / "broken.ipynb",
        nbformat.v4.new_code_cell("a = 1"),
        nbformat.v4.new_code_cell("x = (1,\n"),
        nbformat.v4.new_code_cell("b = 2"),
        nbformat.v4.new_code_cell("def f(:\n    pass"),
        nbformat.v4.new_code_cell("c = 3"),
    )
    parsed = _counting_parses(monkeypatch)
    notebook = read_notebook(path)
    assert [(e.cell_index, e.row) for e in notebook.syntax_errors] == [(1, 1), (3, 1)]
    assert [type(s).__name__ for s in notebook.program.body] == ["Assign", "Assign", "Assign"]
    # The unclosed parenthesis of cell 1 makes the parser fail inside cell 2, which parses on
    # its own: the whole program, cell 2, every cell, the program without cells 1 and 3.
    assert len(parsed) == 1 + 1 + 5 + 1


def test_top_level_await_parses(tmp_path: Path) -> None:
    path = _write_notebook(
        tmp_path / "a.ipynb", nbformat.v4.new_code_cell("r = await client.get()")
    )
    assert read_notebook(path).syntax_errors == []


def test_missing_cell_ids_and_v3_upgrade(tmp_path: Path) -> None:
    v3 = {
        "nbformat": 3,
        "nbformat_minor": 0,
        "metadata": {"name": ""},
        "worksheets": [
            {
                "cells": [
                    {
                        "cell_type": "code",
                        "input": ["import random\n", "random.random()"],
                        "language": "python",
                        "metadata": {},
                        "outputs": [],
                        "prompt_number": 2,
                    },
                ]
            }
        ],
    }
    path = tmp_path / "old.ipynb"
    path.write_text(json.dumps(v3, indent=1))
    notebook = read_notebook(path)
    assert notebook.cells[0].source == "import random\nrandom.random()"
    assert notebook.cells[0].execution_count == 2
    raw_lines = path.read_text().splitlines()
    expected = next(i for i, line in enumerate(raw_lines, 1) if '"random.random()"' in line)
    assert notebook.file_position(0, 2, 1)[0] == expected


def test_percent_script_cells_tags_and_file_lines(tmp_path: Path) -> None:
    path = tmp_path / "eval.py"
    path.write_text(
        '# %% [markdown]\n# Title\n# %% tags=["parameters"]\nSEED = 1\n# %%\nx = SEED\n'
    )
    notebook = read_notebook(path)
    assert notebook.kind == "percent"
    assert [(c.cell_type, c.tags) for c in notebook.cells] == [
        ("markdown", ()),
        ("code", ("parameters",)),
        ("code", ()),
    ]
    assert notebook.file_position(2, 1, 1) == (6, 1)


def test_plain_script_is_one_cell(tmp_path: Path) -> None:
    path = tmp_path / "run.py"
    path.write_text("import os\nprint(os.getcwd())\n")
    notebook = read_notebook(path)
    assert notebook.kind == "script" and len(notebook.cells) == 1
    assert notebook.file_position(0, 2, 3) == (2, 3)


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("empty.ipynb", b"", "empty file"),
        ("binary.ipynb", b"\x89PNG\x00\x01", "binary file"),
        ("corrupt.ipynb", b'{"cells": [', "invalid JSON"),
        ("other.ipynb", b'{"hello": 1}', "not a"),
        ("latin1.py", b"x = '\xe9'\n", "not UTF-8"),
        ("list.ipynb", b"[1, 2]", "not a"),
        (
            "outputs.ipynb",
            b'{"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [{"cell_type": "code",'
            b' "source": "x", "metadata": {}, "outputs": ["oops"], "execution_count": 1}]}',
            "outputs that are not objects",
        ),
    ],
)
def test_bad_input_is_one_line_naming_the_file(
    tmp_path: Path, name: str, content: bytes, reason: str
) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(InputFileError) as raised:
        read_notebook(path)
    message = str(raised.value)
    assert message.startswith(str(path)) and reason in message and "\n" not in message


def test_a_cells_own_warnings_neither_print_nor_break_it_under_w_error(tmp_path: Path) -> None:
    """``"\\d"`` in a cell is the notebook's warning (a SyntaxWarning printed by default from
    Python 3.12): lint prints none of it, and ``-W error`` does not make the cell a syntax
    error that hides its floating model id."""
    import subprocess
    import sys

    path = tmp_path / "escapes.ipynb"
    notebook = nbformat.v4.new_notebook()
    notebook.cells.append(
        nbformat.v4.new_code_cell(
            'import re\nfrom openai import OpenAI\nPATTERN = re.compile("\\d+ points")\n'
            'OpenAI().chat.completions.create(model="gpt-4o", messages=[], seed=1,'
            " temperature=0)\n"
        )
    )
    nbformat.write(notebook, path)
    completed = subprocess.run(
        [sys.executable, "-W", "error", "-m", "nbgraduate", "lint", "--no-cache", str(path)],
        capture_output=True,
        text=True,
        check=False,
        cwd=tmp_path,
    )
    assert "Warning" not in completed.stderr, completed.stderr
    assert "NBG101" in completed.stdout, completed.stdout
    assert "NBG703" not in completed.stdout, completed.stdout
