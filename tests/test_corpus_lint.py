"""``nbgraduate lint`` on the whole real corpus: no crash, no traceback, every unreadable file named.

The corpus (``../shared/corpus/`` beside the checkout: real eval notebooks from public
repositories) is not part of the repository; without it these tests skip.
"""

from __future__ import annotations

import json
from pathlib import Path

from cli_runner import run_cli
from corpus_dir import CORPUS, needs_corpus

from nbgraduate.lint.jobs import FileJob
from nbgraduate.lint.linter import lint_file
from nbgraduate.lint.rules import RULES_BY_CODE

pytestmark = needs_corpus


def test_linting_the_whole_corpus_neither_crashes_nor_loses_a_file(tmp_path: Path) -> None:
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "truncated.ipynb").write_text('{"cells": [', encoding="utf-8")
    report = tmp_path / "report.json"
    completed = run_cli(
        tmp_path,
        "lint",
        str(CORPUS),
        str(broken),
        "--output-format",
        "json",
        "-o",
        str(report),
    )
    assert "Traceback" not in completed.stderr + completed.stdout
    assert "internal error" not in completed.stderr, completed.stderr
    # The unreadable file makes it exit 2; every error line names its file.
    assert completed.returncode == 2, completed.stderr
    error_lines = [line for line in completed.stderr.splitlines() if line.strip()]
    named = [line for line in error_lines if ".ipynb: " in line]
    assert any(str(broken / "truncated.ipynb") in line for line in named), completed.stderr
    unnamed = [line for line in error_lines if line not in named and "error" in line.lower()]
    assert unnamed == [] or all("could not be read" in line for line in unnamed), unnamed
    diagnostics = json.loads(report.read_text(encoding="utf-8"))
    reported = {Path(d["filename"]).name for d in diagnostics}
    assert all(d["cell"] is None or d["cell"] >= 1 for d in diagnostics)
    # A notebook missing from the report must be one with nothing to report: linted on its
    # own, it is clean. A file dropped on the floor by the whole-corpus run fails here.
    silent = sorted(path for path in CORPUS.glob("*.ipynb") if path.name not in reported)
    not_clean = {path.name: _lint_alone(path) for path in silent}
    assert {name: result for name, result in not_clean.items() if result} == {}


def _lint_alone(path: Path) -> list[str]:
    """What linting one notebook on its own reports: its diagnostics' codes, or its error."""
    result = lint_file(FileJob(path, str(path), frozenset(RULES_BY_CODE), file_positions=False))
    if result.error is not None:
        return [f"error: {result.error.reason}"]
    return [diagnostic.code for diagnostic in result.diagnostics]
