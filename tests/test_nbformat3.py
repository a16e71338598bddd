"""Version 3 notebooks upgraded without nbformat: the cells nbformat's upgrade gives, no ids."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest
from nbformat import v3

from nbgraduate.core.errors import InputFileError
from nbgraduate.notebook import reader
from nbgraduate.notebook.nbformat3 import upgraded_from_v3


def _v3_text() -> str:
    cells = [
        v3.new_heading_cell("Judge eval\nsecond line", level=2),
        v3.new_text_cell("markdown", "Uses `gpt-4o`.\n\nSee below."),
        v3.new_text_cell("raw", "raw text"),
        v3.new_code_cell(
            input='import json\nJUDGE = "gpt-4o"\nprint(JUDGE)',
            prompt_number=3,
            outputs=[
                v3.new_output("stream", output_text="gpt-4o\n", stream="stdout"),
                v3.new_output(
                    "pyout",
                    output_text="{'a': 1}",
                    output_html="<b>1</b>",
                    output_json=json.dumps({"model": "gpt-4o"}),
                    prompt_number=3,
                    metadata={"png": {"width": 10}},
                ),
                v3.new_output("display_data", output_png="aGVsbG8=", output_text="<Figure>"),
                v3.new_output("pyerr", ename="KeyError", evalue="'x'", traceback=["tb 1", "tb 2"]),
            ],
            metadata={"tags": ["parameters"]},
        ),
        v3.new_code_cell(input="%pip install openai\n!ls", prompt_number=None),
    ]
    notebook = v3.new_notebook(
        worksheets=[v3.new_worksheet(cells=cells)], metadata=v3.new_metadata(name="eval")
    )
    # nbformat writes multi-line text as lists of lines, as Jupyter saved version 3.
    return v3.writes_json(notebook)


def _cells(document: dict) -> list[tuple]:
    cells = [reader._cell_from_node(i, raw) for i, raw in enumerate(document["cells"])]
    return [
        (c.cell_type, c.source, c.tags, c.execution_count, json.dumps(c.outputs, sort_keys=True))
        for c in cells
    ]


def test_the_upgrade_reads_the_cells_nbformat_gives() -> None:
    text = _v3_text()
    ours = upgraded_from_v3(json.loads(text))
    assert ours is not None
    theirs = nbformat.convert(nbformat.reader.reads(text), 4)
    assert _cells(ours) == _cells(json.loads(json.dumps(theirs)))
    assert ours["cells"][0]["source"] == "## Judge eval second line"
    assert [output["output_type"] for output in ours["cells"][3]["outputs"]] == [
        "stream",
        "execute_result",
        "display_data",
        "error",
    ]


def test_upgraded_cells_have_no_made_up_ids(tmp_path: Path) -> None:
    path = tmp_path / "old.ipynb"
    path.write_text(_v3_text(), encoding="utf-8")
    first, second = reader.read_notebook(path), reader.read_notebook(path)
    assert [cell.cell_id for cell in first.cells] == [None] * 5
    assert [cell.source for cell in first.cells] == [cell.source for cell in second.cells]
    assert first.cells[3].tags == ("parameters",)


def test_an_unusual_notebook_is_left_to_nbformat(tmp_path: Path) -> None:
    document = json.loads(_v3_text())
    del document["worksheets"][0]["cells"][3]["outputs"]  # nbformat refuses a code cell without
    assert upgraded_from_v3(json.loads(json.dumps(document))) is None
    path = tmp_path / "odd.ipynb"
    path.write_text(json.dumps(document), encoding="utf-8")
    with pytest.raises(InputFileError, match="not a readable Jupyter notebook"):
        reader.read_notebook(path)


def test_a_notebook_nbformat_upgrades_keeps_no_made_up_ids(tmp_path: Path) -> None:
    # Version 2 (and any version 3 notebook this module leaves to nbformat) is upgraded by
    # nbformat, which invents a random id per cell: two reads must still agree.
    from nbformat import v2

    cells = [v2.new_code_cell(input="import random\nx = random.random()")]
    document = v2.new_notebook(worksheets=[v2.new_worksheet(cells=cells)])
    path = tmp_path / "v2.ipynb"
    path.write_text(v2.nbjson.writes(document), encoding="utf-8")
    first, second = reader.read_notebook(path), reader.read_notebook(path)
    assert [cell.cell_id for cell in first.cells] == [None]
    assert [cell.cell_id for cell in second.cells] == [None]
    assert first.cells[0].source == "import random\nx = random.random()"
