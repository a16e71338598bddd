"""No input makes nbgraduate print a traceback: each malformed notebook is one ``error:`` line
naming the file (exit 2) while every other file is still linted, and the cost of findings on
one line grows linearly, not with their square.

The growth tests compare the time at 2n with the time at n in this process (a quadratic cost
quadruples it); the absolute figures are printed by ``bench/bench_pathological.py``.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from cli_runner import run_cli

from nbgraduate.knowledge import secrets
from nbgraduate.lint.linter import FileJob, lint_file
from nbgraduate.lint.rules import ALL_CODES

GOOD = "good.ipynb"
KEY = "sk-" + "proj-" + "Zq8rT2vB9mK4pL7wX3nC6yH1"


def notebook_text(cells: list[dict], metadata: dict | None = None) -> str:
    document = {
        "cells": cells,
        "metadata": {"kernelspec": {"name": "python3", "language": "python"}}
        if metadata is None
        else metadata,
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    # ensure_ascii keeps lone surrogates as \\ud800 escapes, as a hostile file would hold them.
    return json.dumps(document)


def code(source: str, **fields: object) -> dict:
    cell = {"cell_type": "code", "execution_count": None, "id": "c1", "metadata": {}}
    cell.update({"outputs": [], "source": source})
    cell.update(fields)
    return cell


#: name -> (notebook text, words the one error line must hold)
BAD_NOTEBOOKS: dict[str, tuple[str, str]] = {
    "kernelspec_str.ipynb": (
        notebook_text([code("x = 1")], {"kernelspec": "python3"}),
        "kernelspec is not an object",
    ),
    "language_info_list.ipynb": (
        notebook_text([code("x = 1")], {"language_info": [1]}),
        "language_info is not an object",
    ),
    "sum_3000_terms.ipynb": (
        notebook_text([code("x = " + " + ".join(["1"] * 3000))]),
        "cell 1: an expression too long or nested too deeply",
    ),
    "not_30k.ipynb": (
        notebook_text([code("x = " + "not " * 30_000 + "1")]),
        "cell 1: an expression too long or nested too deeply",
    ),
    "lambda_5k.ipynb": (
        notebook_text([code("f = " + "lambda: " * 5000 + "1")]),
        "cell 1: an expression too long or nested too deeply",
    ),
    "surrogate_id.ipynb": (
        notebook_text([code("x = 1", id="ab\udc00")]),
        "cell 1 id holds a lone surrogate",
    ),
    "surrogate_source.ipynb": (
        notebook_text([code("x = '\ud800'")]),
        "cell 1 source holds a lone surrogate",
    ),
    "non_string_stream.ipynb": (
        notebook_text(
            [code("x = 1", outputs=[{"output_type": "stream", "name": "stdout", "text": [1]}])]
        ),
        "cell 1 output 1 'text' is not text",
    ),
    "non_string_data.ipynb": (
        notebook_text(
            [
                code(
                    "x = 1",
                    outputs=[
                        {
                            "output_type": "display_data",
                            "metadata": {},
                            "data": {"text/plain": ["a", None]},
                        }
                    ],
                )
            ]
        ),
        "'text/plain' is not text",
    ),
    "non_string_source.ipynb": (
        notebook_text([code(["x = 1\n", 2])]),
        "source holds an item that is not a string",
    ),
    "cell_id_int.ipynb": (notebook_text([code("x = 1", id=7)]), "cell 1 id is not a string"),
}


@pytest.fixture(scope="module")
def bad_directory(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("bad")
    for name, (text, _expected) in BAD_NOTEBOOKS.items():
        (directory / name).write_text(text, encoding="utf-8")
    (directory / GOOD).write_text(
        notebook_text([code("import random\nscore = random.random()")]), encoding="utf-8"
    )
    return directory


@pytest.mark.parametrize("output_format", ["concise", "json", "sarif", "gitlab"])
def test_every_bad_notebook_is_one_line_and_the_good_one_is_still_linted(
    bad_directory: Path, output_format: str
) -> None:
    result = run_cli(
        bad_directory, "lint", *sorted(BAD_NOTEBOOKS), GOOD, "--output-format", output_format
    )

    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    errors = dict(line.split(": ", 2)[1:] for line in result.stderr.splitlines())
    assert set(errors) == set(BAD_NOTEBOOKS), result.stderr
    for name, (_text, expected) in BAD_NOTEBOOKS.items():
        assert expected in errors[name], (name, errors[name])
    assert "NBG301" in result.stdout
    if output_format != "concise":
        json.loads(result.stdout)


def test_lone_carriage_returns_are_line_breaks(tmp_path: Path) -> None:
    cells = [
        code("import random\rscore = random.random()\rprint(later)\r", execution_count=2),
        code("later = 1", execution_count=1, id="c2"),
    ]
    (tmp_path / "old_mac.ipynb").write_text(notebook_text(cells), encoding="utf-8")

    result = run_cli(tmp_path, "lint", "old_mac.ipynb", "--output-format", "json")

    assert result.returncode == 1, result.stderr
    found = {(f["code"], f["location"]["row"]) for f in json.loads(result.stdout)}
    assert ("NBG301", 2) in found and ("NBG701", 3) in found, found


def test_lone_carriage_returns_in_a_script_are_line_breaks(tmp_path: Path) -> None:
    # Found by the fuzzer: rows split on "\n" and Python's lines disagreed (IndexError).
    (tmp_path / "old_mac.py").write_bytes(b"\r0\n\rA:0\rimport random\rx = random.random()\r")

    result = run_cli(tmp_path, "lint", "old_mac.py", "--output-format", "json")

    assert result.returncode == 1, result.stderr
    assert [(f["code"], f["location"]["row"]) for f in json.loads(result.stdout)] == [("NBG301", 6)]


def test_a_file_name_that_is_not_utf8_is_linted_in_every_format(tmp_path: Path) -> None:
    name = os.fsdecode(b"judge_\xff.ipynb")
    (tmp_path / name).write_text(
        notebook_text([code("import random\nscore = random.random()")]), encoding="utf-8"
    )
    for output_format in ("concise", "full", "json", "sarif", "github", "gitlab"):
        result = run_cli(tmp_path, "lint", name, "--output-format", output_format)
        assert result.returncode == 1, (output_format, result.stderr)
        assert "Traceback" not in result.stderr
        assert "xff.ipynb" in result.stdout or "%FF.ipynb" in result.stdout, output_format
    sarif = json.loads(run_cli(tmp_path, "lint", name, "--output-format", "sarif").stdout)
    location = sarif["runs"][0]["results"][0]["locations"][0]["physicalLocation"]
    assert location["artifactLocation"]["uri"] == "judge_%FF.ipynb"

    written = run_cli(tmp_path, "lint", name, "--write-baseline", "baseline.json")
    assert written.returncode == 0, written.stderr
    assert "judge_\\\\xff.ipynb" in (tmp_path / "baseline.json").read_text(encoding="utf-8")
    again = run_cli(tmp_path, "lint", name, "--baseline", "baseline.json")
    assert again.returncode == 0, again.stdout + again.stderr


def test_convert_refuses_a_bad_notebook_in_one_line(bad_directory: Path) -> None:
    for name in ("kernelspec_str.ipynb", "sum_3000_terms.ipynb"):
        result = run_cli(bad_directory, "convert", name)
        assert result.returncode == 2, (name, result.stderr)
        (line,) = result.stderr.splitlines()
        assert name in line, line
    assert sorted(p.name for p in bad_directory.iterdir()) == sorted([*BAD_NOTEBOOKS, GOOD])


# --- cost grows linearly with the findings on one line ----------------------------------------


def _best_time(action: Callable[[], object], repeats: int = 3) -> float:
    """Best CPU time of ``action`` in this process: other processes' load barely moves it."""
    best = float("inf")
    for _ in range(repeats):
        started = time.process_time()
        action()
        best = min(best, time.process_time() - started)
    return best


def _growth(build: Callable[[int], Path], n: int) -> float:
    def lint(path: Path) -> Callable[[], object]:
        job = FileJob(path=path, display_path=str(path), codes=frozenset(ALL_CODES))
        return lambda: lint_file(job)

    small, large = build(n), build(2 * n)
    result = lint_file(FileJob(path=large, display_path="x", codes=frozenset(ALL_CODES)))
    assert result.error is None and len(result.diagnostics) >= n, result.error
    # Interleaved, so a burst of load on a shared machine hits both sizes alike.
    small_best = large_best = float("inf")
    for _ in range(3):
        small_best = min(small_best, _best_time(lint(small), repeats=1))
        large_best = min(large_best, _best_time(lint(large), repeats=1))
    return large_best / small_best


# Quadratic work would make the ratio about 4; linear about 2. The bound leaves room for noise.
GROWTH_BOUND = 3.2


def test_many_findings_on_one_line_cost_linear_time(tmp_path: Path) -> None:
    def build(n: int) -> Path:
        items = ", ".join(
            f'"/home/alice/data_{i}.csv"' if i % 2 else f'"{KEY}{i:08d}x"' for i in range(n)
        )
        path = tmp_path / f"tokens_{n}.ipynb"
        path.write_text(notebook_text([code(f"values = [{items}]")]), encoding="utf-8")
        return path

    assert _growth(build, 1000) < GROWTH_BOUND


def test_findings_after_a_long_literal_cost_linear_time(tmp_path: Path) -> None:
    def build(n: int) -> Path:
        paths = ", ".join(f'"/home/alice/{i}.csv"' for i in range(n))
        line = f'blob = "{"a" * (n * 2000)}"; paths = [{paths}]'
        path = tmp_path / f"literal_{n}.ipynb"
        path.write_text(notebook_text([code(line)]), encoding="utf-8")
        return path

    assert _growth(build, 200) < GROWTH_BOUND


def test_redaction_costs_linear_time() -> None:
    def text(n: int) -> str:
        return " ".join(f"{KEY}{i:08d}x https://u:Pw{i:06d}zz@h/" for i in range(n))

    small, large = text(2000), text(4000)
    assert secrets.redact(large).count("…") == 8000
    ratio = _best_time(lambda: secrets.redact(large)) / _best_time(lambda: secrets.redact(small))
    assert ratio < GROWTH_BOUND
