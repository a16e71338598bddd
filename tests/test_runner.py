"""``nbgraduate lint`` with the baseline configured in ``[tool.nbgraduate]``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from nbgraduate.cli.app import app

runner = CliRunner()

FLOATING = 'JUDGE_MODEL = "gpt-4o"\n'
UNSEEDED = "import random\nscore = random.random()\n"


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "evals").mkdir()
    (tmp_path / "evals" / "judge.py").write_text(FLOATING, encoding="utf-8")
    (tmp_path / "pyproject.toml").write_text(
        '[tool.nbgraduate]\nbaseline = "ci/baseline.json"\n', encoding="utf-8"
    )
    monkeypatch.chdir(tmp_path)
    return tmp_path


def lint(*args: str):
    return runner.invoke(app, ["lint", *args])


def test_configured_baseline_accepts_recorded_findings(project: Path) -> None:
    (project / "ci").mkdir()
    written = lint("--write-baseline", "ci/baseline.json")
    assert written.exit_code == 0, written.output
    assert lint().exit_code == 0
    # Only the new finding is reported.
    (project / "evals" / "judge.py").write_text(FLOATING + UNSEEDED, encoding="utf-8")
    result = lint()
    assert result.exit_code == 1
    assert "NBG301" in result.output and "NBG101" not in result.output


def test_write_baseline_ignores_the_configured_one(project: Path) -> None:
    (project / "ci").mkdir()
    assert lint("--write-baseline", "ci/baseline.json").exit_code == 0
    # Writing again records every finding, not only those new since the old baseline.
    lint("--write-baseline", "ci/baseline.json")
    document = json.loads((project / "ci" / "baseline.json").read_text(encoding="utf-8"))
    assert [finding["code"] for finding in document["findings"]] == ["NBG101"]


def test_an_explicit_baseline_wins_over_the_configured_one(project: Path) -> None:
    (project / "ci").mkdir()
    (project / "ci" / "baseline.json").write_text(
        '{"version": 1, "tool": "nbgraduate", "findings": []}\n', encoding="utf-8"
    )
    assert lint().exit_code == 1
    assert lint("--write-baseline", "other.json").exit_code == 0
    assert lint("--baseline", "other.json").exit_code == 0


def test_a_configured_baseline_that_is_missing_is_a_config_error(project: Path) -> None:
    result = lint()
    assert result.exit_code == 2
    assert "the configured baseline ci/baseline.json does not exist" in result.output
    assert "nbgraduate lint --write-baseline ci/baseline.json" in result.output
