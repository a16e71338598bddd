"""Repository rules (NBG801, NBG802) through ``nbgraduate lint``: where they point, when they
run, and how selection, per-file ignores, baselines and output formats treat them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from lock_samples import MINIMAL_LOCK
from typer.testing import CliRunner

from nbgraduate.cli.app import app
from nbgraduate.lint import config as lint_config

runner = CliRunner()

NOTEBOOK = json.dumps(
    {
        "cells": [{"cell_type": "markdown", "id": "a1", "metadata": {}, "source": "# eval"}],
        "metadata": {"kernelspec": {"name": "python3", "language": "python"}},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
)
LOCK = json.dumps(MINIMAL_LOCK)


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / ".git").mkdir()
    (tmp_path / "pyproject.toml").write_text(
        '[tool.nbgraduate]\neval-paths = ["evals/"]\n', encoding="utf-8"
    )
    monkeypatch.chdir(tmp_path)
    return tmp_path


def write(root: Path, relative: str, text: str = "") -> Path:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def pipeline(root: Path, name: str, *, lock: str | None = LOCK) -> Path:
    directory = root / "evals" / name
    write(root, f"evals/{name}/judge.ipynb", NOTEBOOK)
    write(root, f"evals/{name}/requirements.txt", "openai==1.51.0\n")
    if lock is not None:
        write(root, f"evals/{name}/nbgraduate.lock", lock)
    return directory


def lint(*args: str):
    return runner.invoke(app, ["lint", *args])


def test_no_codeowners_points_at_the_eval_paths_setting(repo: Path) -> None:
    result = lint()
    assert result.exit_code == 1
    assert result.output.splitlines()[0] == (
        "pyproject.toml:2:1: NBG801 eval path evals/ has no owner: the repository has no"
        " CODEOWNERS file; add .github/CODEOWNERS with `/evals/ @org/team` or run"
        " `nbgraduate init --owner @org/team`"
    )


def test_unowned_eval_path_points_at_codeowners(repo: Path) -> None:
    write(repo, ".github/CODEOWNERS", "# owners\n/docs/ @acme/docs\n")
    result = lint()
    assert result.exit_code == 1
    assert result.output.startswith(
        ".github/CODEOWNERS:1:1: NBG801 eval path evals/ has no owner in .github/CODEOWNERS"
        " (no line matches it); add `/evals/ @org/team` at the end"
    )


def test_a_notebook_left_unowned_inside_an_owned_eval_path(repo: Path) -> None:
    write(repo, "CODEOWNERS", "/evals/ @acme/evals\n/evals/private/\n")
    write(repo, "evals/private/judge.ipynb", NOTEBOOK)
    result = lint()
    assert result.exit_code == 1
    assert (
        "CODEOWNERS:2:1: NBG801 evals/private/judge.ipynb (under eval path evals/) has no owner"
        " in CODEOWNERS (the last matching line lists no owner)"
    ) in result.output


def test_owned_eval_paths_and_locked_pipelines_are_clean(repo: Path) -> None:
    write(repo, "CODEOWNERS", "/evals/ @acme/evals\n")
    pipeline(repo, "support_judge")
    result = lint()
    assert result.exit_code == 0, result.output


def test_pipeline_without_lock_points_at_its_notebook(repo: Path) -> None:
    write(repo, "CODEOWNERS", "/evals/ @acme/evals\n")
    pipeline(repo, "support_judge", lock=None)
    write(repo, "evals/plain/idea.ipynb", NOTEBOOK)  # no graduation files: not a pipeline
    result = lint()
    assert result.exit_code == 1
    assert result.output.splitlines()[:-1] == [
        "evals/support_judge/judge.ipynb:1:1: NBG802 pipeline directory evals/support_judge"
        " has no nbgraduate.lock, so its inputs are not pinned; lock it: nbgraduate lock"
        " evals/support_judge"
    ]


def test_pipeline_with_a_lock_that_does_not_parse(repo: Path) -> None:
    write(repo, "CODEOWNERS", "/evals/ @acme/evals\n")
    pipeline(repo, "support_judge", lock='{"schema_version": 1}')
    result = lint()
    assert result.exit_code == 1
    assert "NBG802 nbgraduate.lock of pipeline evals/support_judge does not parse" in result.output
    assert "re-lock it: nbgraduate lock evals/support_judge" in result.output


def test_repository_findings_are_reported_only_within_the_linted_paths(repo: Path) -> None:
    pipeline(repo, "broken", lock=None)
    pipeline(repo, "fine")
    # The whole project: both the owner and the lock problem.
    assert {"NBG801", "NBG802"} <= set(_codes(lint()))
    # A file list (pre-commit): the lock problem of the staged pipeline only.
    assert _codes(lint("evals/broken/judge.ipynb")) == ["NBG802"]
    assert _codes(lint("evals/fine/judge.ipynb")) == []
    # A folder: its pipelines, not the CODEOWNERS finding outside it.
    assert _codes(lint("evals")) == ["NBG802"]


def test_repository_rules_need_eval_paths(repo: Path) -> None:
    (repo / "pyproject.toml").write_text("[tool.nbgraduate]\n", encoding="utf-8")
    pipeline(repo, "broken", lock=None)
    assert lint().exit_code == 0


def test_selection_and_per_file_ignores_apply(repo: Path) -> None:
    pipeline(repo, "broken", lock=None)
    assert _codes(lint("--ignore", "NBG8")) == []
    assert _codes(lint("--select", "NBG802")) == ["NBG802"]
    (repo / "pyproject.toml").write_text(
        '[tool.nbgraduate]\neval-paths = ["evals/"]\n'
        'per-file-ignores = { "evals/broken/*" = ["NBG802"] }\n',
        encoding="utf-8",
    )
    # A new `nbgraduate` process would read the edited file; this one caches per directory.
    lint_config.clear_caches()
    assert _codes(lint()) == ["NBG801"]


def test_a_baseline_accepts_repository_findings(repo: Path) -> None:
    pipeline(repo, "broken", lock=None)
    written = lint("--write-baseline", "baseline.json")
    assert "Wrote 2 findings" in written.output
    assert lint("--baseline", "baseline.json").exit_code == 0
    # A new pipeline without lock is a new finding.
    pipeline(repo, "also_broken", lock=None)
    assert _codes(lint("--baseline", "baseline.json")) == ["NBG802"]


def test_sarif_and_json_carry_repository_findings(repo: Path) -> None:
    pipeline(repo, "broken", lock=None)
    sarif = json.loads(lint("--output-format", "sarif", "--exit-zero").output)
    uris = {
        result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        for result in sarif["runs"][0]["results"]
    }
    assert uris == {"pyproject.toml", "evals/broken/judge.ipynb"}
    rules = {rule["id"] for rule in sarif["runs"][0]["tool"]["driver"]["rules"]}
    assert {"NBG801", "NBG802"} <= rules
    findings = json.loads(lint("--output-format", "json", "--exit-zero").output)
    assert {f["code"] for f in findings} == {"NBG801", "NBG802"}


def _codes(result) -> list[str]:
    return sorted(
        line.split(": ")[1].split()[0]
        for line in result.output.splitlines()
        if ": NBG" in line and not line.startswith("Found")
    )
