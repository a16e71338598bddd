"""``nbgraduate convert`` on the real corpus: graduation never hides a defect, never crashes,
falls into no trap, and drops no requirement.

Each corpus notebook is converted once per session (the ``converted_corpus`` fixture of
``conftest.py``, with the package index unreachable); linting the pipeline must report every
floating model id that linting its source reported (``candidate_model_2``, ``judge_model_3``...
are model names too), and the pipeline's lock must list every model-id parameter of its
parameters cell. No conversion may end in a traceback, no pipeline may fall into a trap class
of ``trap_checks.py``, and every package an install line or an import names must be pinned or
listed as unresolved.

Every corpus notebook is converted (about 0.2-0.3 s each); ``NBGRADUATE_CORPUS_QUICK=1``
converts a fixed third (every third file in name order) for a quick local run.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import nbformat
import pytest
from corpus_conversion import CorpusConversion, corpus_selection
from corpus_dir import CORPUS, needs_corpus
from trap_checks import removed_cells, trap_failures

from nbgraduate.analysis.model_refs import is_model_name
from nbgraduate.knowledge.model_policy import ModelPolicy
from nbgraduate.lint.linter import lint_notebook
from nbgraduate.notebook.parameters import parse_parameters_cell
from nbgraduate.notebook.reader import read_notebook

pytestmark = [
    needs_corpus,
    # Real notebooks hold invalid escape sequences; parsing them warns, which is not ours.
    pytest.mark.filterwarnings("ignore::DeprecationWarning", "ignore::SyntaxWarning"),
]

_MODEL_ID = re.compile(r"model id '([^']*)'")


def _notebooks() -> list[Path]:
    return corpus_selection() if CORPUS.is_dir() else []


def _floating_ids(path: Path) -> list[str]:
    findings = lint_notebook(read_notebook(path), {"NBG101"}, ModelPolicy.default())
    return sorted(
        match.group(1) for f in findings if (match := _MODEL_ID.search(f.message)) is not None
    )


@pytest.mark.parametrize("source", _notebooks(), ids=lambda path: path.stem[:80])
def test_a_converted_notebook_keeps_its_floating_model_ids_and_locks_its_models(
    source: Path, converted_corpus: list[CorpusConversion]
) -> None:
    (conversion,) = [c for c in converted_corpus if c.source == source]
    if conversion.refusal is not None:
        # Refusing writes nothing, so nothing is hidden; the reason names a cell.
        assert "cell " in conversion.refusal
        return
    assert conversion.result is not None, conversion.traceback
    target = conversion.result.pipeline_dir
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


def test_converting_the_corpus_gives_no_traceback(
    converted_corpus: list[CorpusConversion],
) -> None:
    assert converted_corpus
    tracebacks = [f"{c.source.name}:\n{c.traceback}" for c in converted_corpus if c.traceback]
    assert tracebacks == []
    # Refusals are one-line reasons naming a cell, never silent.
    for conversion in converted_corpus:
        if conversion.refusal is not None:
            assert "cell " in conversion.refusal, conversion.refusal


def test_no_corpus_pipeline_falls_into_a_trap(converted_corpus: list[CorpusConversion]) -> None:
    failures = []
    checked = 0
    for conversion in converted_corpus:
        result = conversion.result
        if result is None or result.pipeline_dir is None:
            continue
        checked += 1
        pipeline = result.pipeline_dir / conversion.source.name
        found = trap_failures(
            nbformat.read(str(conversion.source), as_version=4),
            nbformat.read(str(pipeline), as_version=4),
            removed_cells(result.removed),
        )
        failures += [f"{conversion.source.name}: {failure}" for failure in found]
    assert checked >= 0.9 * len(converted_corpus)
    assert failures == []


def test_offline_every_installed_or_imported_package_is_pinned_or_listed(
    converted_corpus: list[CorpusConversion],
) -> None:
    """With the index unreachable, every project an install line names and every third-party
    import is pinned from the converting environment or listed as unresolved: 0 dropped."""
    from nbgraduate.graduate.resolve import distribution_for_import
    from nbgraduate.knowledge.install_commands import parse_install_line
    from nbgraduate.knowledge.packages import canonical_name, requirement_name
    from nbgraduate.notebook.reader import read_notebook

    dropped = []
    named = 0
    for conversion in converted_corpus:
        result = conversion.result
        if result is None:
            continue
        accounted = {
            canonical_name(name)
            for name in [*result.pinned_requirements, *result.unresolved_requirements]
            if requirement_name(name)
        } | set(result.unresolved_requirements)
        notebook = read_notebook(conversion.source)
        wanted: set[str] = set()
        for command in notebook.shell_commands:
            prefix = {"line-magic": "%", "shell": "!"}.get(command.origin, "")
            for requirement in parse_install_line(prefix + command.text):
                name = requirement_name(requirement.spec)
                by_spec = requirement.kind in ("local", "requirements-file") or (
                    requirement.kind.startswith("vcs")
                )
                wanted.add(canonical_name(name) if name and not by_spec else requirement.spec)
        for module in _third_party_imports(notebook, conversion.source.parent):
            wanted.update(canonical_name(d) for d in distribution_for_import(module)[0])
        named += len(wanted)
        dropped += [f"{conversion.source.name}: {name}" for name in sorted(wanted - accounted)]
    assert named > 0
    assert dropped == []


def _third_party_imports(notebook, source_dir) -> set[str]:
    import ast
    import sys

    found = set()
    for node in ast.walk(notebook.program):
        names = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
            names = [f"{node.module}.{alias.name}" for alias in node.names]
        for name in names:
            top = name.split(".", 1)[0]
            if top in sys.stdlib_module_names or top in ("IPython", "ipykernel", "__future__"):
                continue
            if name.startswith("google.colab"):
                continue
            if (source_dir / f"{top}.py").exists() or (source_dir / top).is_dir():
                continue
            found.add(name)
    return found
