"""Linting one file: a crash in a rule is reported for that file, never a traceback for all."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import nbformat
import pytest

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


def _fingerprint(tmp_path: Path, name: str, source: str, code: str) -> str:
    path = tmp_path / f"{name}.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source)]), path)
    [diagnostic] = lint_file(
        FileJob(path=path, display_path=name, codes=frozenset({code}))
    ).diagnostics
    return diagnostic.line_fingerprint


def test_the_fingerprint_follows_the_line_not_its_spacing_nor_its_place(tmp_path: Path) -> None:
    # What a baseline matches on: the same line anywhere, however it is spaced; not another line.
    judge = _fingerprint(tmp_path, "a", 'JUDGE_MODEL = "gpt-4o"', "NBG101")
    assert _fingerprint(tmp_path, "b", 'x = 1\n\nJUDGE_MODEL  =   "gpt-4o"', "NBG101") == judge
    assert _fingerprint(tmp_path, "c", 'JUDGE_MODEL = "gpt-4o-mini"', "NBG101") != judge


def test_the_fingerprint_is_of_the_unredacted_line(tmp_path: Path) -> None:
    # Two keys with the same first four characters look alike once masked; their lines must
    # still be told apart, or fixing one secret would hide a new one from the baseline.
    first = "sk-proj-T3stK3yF0rF1ngerpr1ntXq9Zr8Wv7Uu6Ts5Rq4Pp3"
    second = "sk-proj-T3stK3yF0rF1ngerpr1ntXq9Zr8Wv7Uu6Ts5Rq4Zz9"
    one = _fingerprint(tmp_path, "a", f'API_KEY = "{first}"', "NBG501")
    other = _fingerprint(tmp_path, "b", f'API_KEY = "{second}"', "NBG501")
    assert one != other
    assert first not in one and first[:8] not in one


def test_diagnostics_are_located_on_the_cell_line(tmp_path: Path) -> None:
    path = tmp_path / "eval.ipynb"
    source = 'JUDGE_MODEL = "gpt-4o"'
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source)]), path)
    [diagnostic] = lint_file(
        FileJob(path=path, display_path="e", codes=frozenset({"NBG101"}))
    ).diagnostics
    assert (diagnostic.cell, diagnostic.row, diagnostic.column, diagnostic.end_column) == (
        1,
        1,
        15,
        23,
    )
