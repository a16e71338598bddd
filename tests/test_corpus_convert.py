"""Graduation never hides a defect: converted real notebooks keep every floating model id visible.

Each corpus notebook is converted; linting the pipeline must report every floating model id
that linting its source reported (``candidate_model_2``, ``judge_model_3``... are model names
too), and the pipeline's lock must list every model-id parameter of its parameters cell.

Converting costs about 0.2-0.3 s a notebook, so CI converts a fixed third of the corpus (every
third file in name order); ``NBGRADUATE_CORPUS_ALL=1`` converts all of it (about a minute).
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest
from corpus_dir import CORPUS, needs_corpus

from nbgraduate.analysis.model_refs import is_model_name
from nbgraduate.graduate.convert import convert_notebook
from nbgraduate.graduate.result import ConversionOptions, ConversionRefused
from nbgraduate.knowledge.model_policy import ModelPolicy
from nbgraduate.lint.linter import lint_notebook
from nbgraduate.notebook.parameters import parse_parameters_cell
from nbgraduate.notebook.reader import read_notebook

pytestmark = needs_corpus

_MODEL_ID = re.compile(r"model id '([^']*)'")


def _notebooks() -> list[Path]:
    if not CORPUS.is_dir():
        return []
    notebooks = sorted(CORPUS.glob("*.ipynb"))
    if os.environ.get("NBGRADUATE_CORPUS_ALL") == "1":
        return notebooks
    return notebooks[::3]


def _floating_ids(path: Path) -> list[str]:
    findings = lint_notebook(read_notebook(path), {"NBG101"}, ModelPolicy.default())
    return sorted(
        match.group(1) for f in findings if (match := _MODEL_ID.search(f.message)) is not None
    )


@pytest.mark.parametrize("source", _notebooks(), ids=lambda path: path.stem[:80])
def test_a_converted_notebook_keeps_its_floating_model_ids_and_locks_its_models(
    source: Path, tmp_path: Path
) -> None:
    target = tmp_path / "pipeline"
    try:
        convert_notebook(source, ConversionOptions(output_dir=target))
    except ConversionRefused as refused:
        # Refusing writes nothing, so nothing is hidden; the reason names the file.
        assert str(source) in str(refused)
        assert not target.exists()
        return
    pipeline = target / f"{source.stem}.ipynb"
    assert set(_floating_ids(source)) <= set(_floating_ids(pipeline))

    document = json.loads(pipeline.read_text(encoding="utf-8"))
    parameters = [
        parameter
        for cell in document["cells"]
        if "parameters" in cell.get("metadata", {}).get("tags", [])
        for parameter in parse_parameters_cell("".join(cell["source"]))
    ]
    lock = json.loads((target / "nbgraduate.lock").read_text(encoding="utf-8"))
    locked = {model["parameter"]: model["model_id"] for model in lock["models"]}
    for parameter in parameters:
        if is_model_name(parameter.name) and isinstance(parameter.default, str):
            assert locked.get(parameter.name) == parameter.default, (parameter, lock["models"])


def test_names_the_converter_generates_are_model_names() -> None:
    for name in ("judge_model", "candidate_model_2", "judge_model_3", "JUDGE_MODEL_12"):
        assert is_model_name(name), name
    for name in ("embedding_model", "output_model_dir", "model_kwargs", "temperature"):
        assert not is_model_name(name), name
