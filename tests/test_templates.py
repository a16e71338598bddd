"""The files users copy from ``templates/`` (and the generated rule docs) stay true."""

from __future__ import annotations

from pathlib import Path

import yaml
from typer.testing import CliRunner

from nbgraduate.cli import app
from nbgraduate.output import OUTPUT_FORMATS

ROOT = Path(__file__).resolve().parent.parent


def test_lint_workflow_template_runs_real_commands() -> None:
    workflow = yaml.safe_load((ROOT / "templates" / "nbgraduate-lint.yml").read_text())
    steps = workflow["jobs"]["lint"]["steps"]
    commands = [step["run"] for step in steps if "run" in step]
    lint_commands = [c for c in commands if c.startswith("nbgraduate lint")]
    assert len(lint_commands) == 2
    for command in lint_commands:
        output_format = command.split("--output-format ")[1].split()[0]
        assert output_format in OUTPUT_FORMATS
    upload = next(step for step in steps if "upload-sarif" in step.get("uses", ""))
    assert upload["with"]["sarif_file"] == "nbgraduate.sarif"
    assert workflow["permissions"]["security-events"] == "write"


def test_docs_rules_md_matches_the_rules() -> None:
    generated = CliRunner().invoke(app, ["rule", "--all"]).output
    committed = (ROOT / "docs" / "rules.md").read_text(encoding="utf-8")
    assert committed == generated, "regenerate with: nbgraduate rule --all > docs/rules.md"
