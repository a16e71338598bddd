"""Linting one file: a crash in a rule is reported for that file, never a traceback for all."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import nbformat
import pytest

from nbgraduate.lint import linter
from nbgraduate.lint.linter import FileJob, lint_file
from nbgraduate.lint.rules import ALL_CODES
from nbgraduate.lint.rules.nbg101_floating_model_id import FloatingModelId


def test_a_rule_crash_becomes_an_input_error_for_that_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "eval.ipynb"
    nbformat.write(
        nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell('M = "gpt-4o"')]), path
    )

    def explode(self: FloatingModelId, context: object) -> Iterator[object]:
        raise KeyError("boom")
        yield

    monkeypatch.setattr(FloatingModelId, "check", explode)
    result = lint_file(FileJob(path=path, display_path="eval.ipynb", codes=ALL_CODES))
    assert result.diagnostics == []
    assert result.error is not None
    assert result.error.path == "eval.ipynb"
    assert "internal error while linting (KeyError" in result.error.reason


def test_diagnostics_carry_a_fingerprint_of_the_unredacted_line(tmp_path: Path) -> None:
    path = tmp_path / "eval.ipynb"
    source = 'JUDGE_MODEL = "gpt-4o"'
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source)]), path)
    [diagnostic] = lint_file(
        FileJob(path=path, display_path="e", codes=frozenset({"NBG101"}))
    ).diagnostics
    assert diagnostic.line_fingerprint == linter._line_fingerprint(source)
    assert (diagnostic.cell, diagnostic.row, diagnostic.column, diagnostic.end_column) == (
        1,
        1,
        15,
        23,
    )
